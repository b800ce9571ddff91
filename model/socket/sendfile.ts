/**
 * sendfile(2) through sys_sendfile64 (fs/read_write.c; syscall 40 on x86_64, the libc
 * `sendfile`), from the world's regular file (or any fd) to a socket (or /dev/null).
 * Checks in the kernel's order:
 *   1. sys_sendfile64: copy_from_user of the offset: EFAULT (before any fd is looked at);
 *   2. do_sendfile: fdget(in_fd): EBADF; !FMODE_READ: EBADF (never here: every fd of the
 *      model is readable); with an offset, !FMODE_PREAD (a socket, a pipe): ESPIPE;
 *   3. rw_verify_area(READ, in, &pos, count): (ssize_t)count < 0: EINVAL; pos < 0: EINVAL
 *      (pos + count < 0 too, which no safe-integer offset reaches); then count is capped
 *      at MAX_RW_COUNT;
 *   4. fdget(out_fd): EBADF; !FMODE_WRITE (the pipe's read end, the O_RDONLY file): EBADF;
 *   5. max = min of both superblocks' s_maxbytes (the file's filesystem: Profile.file;
 *      sockfs and devtmpfs have MAX_LFS_FILESIZE): pos + count > max: pos >= max gives
 *      EOVERFLOW, else count = max - pos; rw_verify_area(WRITE, out) passes (out's f_pos 0);
 *   6. do_splice_direct → do_splice_direct_actor: out O_APPEND: EINVAL; then
 *      splice_direct_to_actor: an input without FMODE_LSEEK (a socket, a pipe: "we
 *      require the input to be seekable"): EINVAL; count 0: 0, nothing read;
 *   7. do_splice_read: no ->splice_read (/dev/null): EINVAL; the file's bytes from pos up
 *      to EOF, at most count (none at or past EOF: 0);
 *   8. the direct actor writes them: /dev/null's splice_write_null takes all; a socket's
 *      splice_to_socket → sock_sendmsg, which answers as send(2) with the same bytes
 *      (ipv4/udp_sendmsg.ts, ipv4/tcp_sendmsg.ts; rules sendfile/<the send rule>): MSG_MORE while more may follow
 *      and the splice_eof push (tcp_splice_eof, udp_splice_eof) change when, not what;
 *      an AF_UNIX socket answers as send(2) does there (unix/unix_sendrecv.ts, rules sendfile/unix-*),
 *      one record per sendfile, its stream skbs charged as spliced (unixSkbTruesize); an
 *      AF_VSOCK socket (never connected here) answers ENOTCONN (vsock_connectible_sendmsg);
 *   9. on success the file position (NULL offset) or *offset advances by the bytes sent;
 *      *offset is written back on failure too (put_user after do_sendfile), unchanged.
 * An input file with O_DIRECT (copy_splice_read under the device's alignment rules) is
 * not modelled (the generator never sets O_DIRECT on the file).
 */
import { variantOf } from '../../spec/variants.js';
import { produce } from 'immer';
import type { Call } from '../../spec/call.js';
import { O_APPEND_BIT, O_DIRECT } from './fcntlbits.js';
import { FILE_SIZE, fileHex } from '../../spec/file.js';
import { lookupFile } from './fd.js';
import type { Outcome } from '../core/outcome.js';
import { unixSendStep } from '../unix/unix_sendrecv.js';
import { TCP_SEND_RULE_SUFFIXES } from '../ipv4/tcp_sendmsg.js';
import { type File, type Obj, type State } from '../core/state.js';
import { sendStep } from './send.js';
import { sockName } from '../core/inet_sock.js';

/** The send rules a sendfile to a socket can end in (a non-empty send without flags or address). */
const SOCKET_SUFFIXES = [
  'EDESTADDRREQ',
  'ENETUNREACH',
  'EACCES-broadcast',
  'sock-error',
  'EPIPE',
  'delivered',
  'dropped-full',
  'refused',
  'no-receiver',
  'multicast',
  'stale-flow',
  'EINVAL-port0-mapped-peer',
  ...TCP_SEND_RULE_SUFFIXES.filter((r) => r !== 'tcp-empty'),
] as const;

/** The AF_UNIX send rules a sendfile can end in (unix/unix_sendrecv.ts: no address, no flags but MSG_DONTWAIT). */
const UNIX_SUFFIXES = [
  'unix-sock-error',
  'unix-EPIPE',
  'unix-EAGAIN',
  'unix-blocks',
  'unix-ENOTCONN',
  'unix-ECONNREFUSED',
  'unix-sent',
] as const;

export const SENDFILE_RULES = [
  'sendfile/EFAULT',
  'sendfile/EBADF-in',
  'sendfile/ESPIPE',
  'sendfile/EINVAL-count',
  'sendfile/EINVAL-pos',
  'sendfile/EBADF-out',
  'sendfile/EBADF-out-mode',
  'sendfile/EOVERFLOW',
  'sendfile/EINVAL-append',
  'sendfile/EINVAL-unseekable',
  'sendfile/empty',
  'sendfile/EINVAL-no-splice-read',
  'sendfile/eof',
  'sendfile/devnull',
  ...SOCKET_SUFFIXES.map((r) => `sendfile/${r}` as const),
  ...UNIX_SUFFIXES.map((r) => `sendfile/${r}` as const),
  'sendfile/vsock-ENOTCONN',
] as const;

/** MAX_RW_COUNT (include/linux/fs.h): INT_MAX & PAGE_MASK. */
const MAX_RW_COUNT = 0x7ffff000;

type SendfileCall = Extract<Call, { op: 'sendfile' }>;

/** FMODE_PREAD: set by do_dentry_open for opened files, never for sockets and pipes. */
function canPread(o: Obj): boolean {
  return o.kind === 'file' && o.what !== 'pipe-read';
}

/** FMODE_WRITE: sockets (sock_alloc_file: O_RDWR), /dev/null (O_RDWR); not the pipe's read end or the O_RDONLY file. */
function canWrite(o: Obj): boolean {
  return o.kind === 'socket' || (o.fileFlags & 3) !== 0;
}

export function sendfileStep(s: State, c: SendfileCall): Outcome[] {
  // The address getsockname reports for out_fd after the call when it is a socket that
  // nothing here touched (the adapter reads it after every sendfile).
  const outObj = c.fd >= 0 && s.fds[c.fd] !== undefined ? s.objs[s.fds[c.fd]!.obj] : undefined;
  const bound = outObj?.kind === 'socket' ? sockName(outObj) : null;
  const fail = (
    rule: (typeof SENDFILE_RULES)[number],
    errno: 'EFAULT' | 'EBADF' | 'ESPIPE' | 'EINVAL' | 'EOVERFLOW',
  ): Outcome[] => [{ rule, expect: { kind: 'returned', ret: -1, errno, bound }, next: () => s }];
  const done = (rule: (typeof SENDFILE_RULES)[number], ret: number): Outcome[] => [
    { rule, expect: { kind: 'returned', ret, bound }, next: () => s },
  ];

  if (c.offset.ptr === 'bad') return fail('sendfile/EFAULT', 'EFAULT');
  const inF = lookupFile(s, c.inFd);
  if (inF.errno) return fail('sendfile/EBADF-in', 'EBADF');
  const inObj = s.objs[inF.id]!;
  if (c.offset.ptr === 'ok' && !canPread(inObj)) return fail('sendfile/ESPIPE', 'ESPIPE');
  const pos = c.offset.ptr === 'ok' ? c.offset.value : inObj.kind === 'file' ? inObj.pos : 0;
  // rw_verify_area: "if (unlikely((ssize_t) count < 0)) return -EINVAL;" (a negative
  // count here is a size_t of 2^63 or more), then a negative position.
  if (c.count < 0) return fail('sendfile/EINVAL-count', 'EINVAL');
  if (pos < 0) return fail('sendfile/EINVAL-pos', 'EINVAL');
  let count = Math.min(c.count, MAX_RW_COUNT);
  const outF = lookupFile(s, c.fd);
  if (outF.errno) return fail('sendfile/EBADF-out', 'EBADF');
  const out = s.objs[outF.id]!;
  if (!canWrite(out)) return fail('sendfile/EBADF-out-mode', 'EBADF');
  const regular = inObj.kind === 'file' && inObj.what === 'regular';
  const max = regular ? s.profile.file?.maxBytes : undefined;
  if (max !== undefined && pos + count > max) {
    if (pos >= max) return fail('sendfile/EOVERFLOW', 'EOVERFLOW');
    count = max - pos;
  }
  if (out.fileFlags & O_APPEND_BIT) return fail('sendfile/EINVAL-append', 'EINVAL');
  if (!(inObj.kind === 'file' && (inObj.what === 'devnull' || regular)))
    return fail('sendfile/EINVAL-unseekable', 'EINVAL');
  if (count === 0) return done('sendfile/empty', 0);
  if (!regular) return fail('sendfile/EINVAL-no-splice-read', 'EINVAL');
  if (inObj.fileFlags & O_DIRECT)
    throw new Error(
      "model: sendfile from a file with O_DIRECT is not modelled (copy_splice_read under the device's alignment rules)",
    );
  const n = Math.max(0, Math.min(count, FILE_SIZE - pos));
  if (n === 0) return done('sendfile/eof', 0);
  // splice_direct_to_actor sets SPLICE_F_MORE when a read returns less than it still wants,
  // so splice_to_socket sends with MSG_MORE and udpv6_sendmsg corks the datagram; at EOF
  // the v4 socket's splice_eof pushes it, but on an AF_INET6 UDP socket it stays pending
  // (measured on 6.18: no datagram, no ICMP error) until a later send. Not modelled (the
  // generator asks for exactly the bytes left there).
  if (out.kind === 'socket' && out.proto === 'udp' && out.family === 'inet6' && count > n) {
    throw new Error(
      'model: a sendfile into an AF_INET6 UDP socket that reaches the end of the file before its count ' +
        '(the datagram stays corked) is not modelled',
    );
  }
  /** The world after `n` bytes went: the file position moves unless an offset was given. */
  const advanced = (w: State): State =>
    c.offset.ptr === 'ok'
      ? w
      : produce(w, (d) => {
          (d.objs[inF.id] as File).pos = pos + n;
        });
  const offset = c.offset.ptr === 'ok' ? { offset: pos + n } : {};
  // splice_to_socket hands the bytes to the socket's sendmsg in one call: the file's
  // bytes all sit in one page, so one pipe buffer, one bio_vec, one sock_sendmsg
  // (measured: a unix datagram or seqpacket pair receives one record per sendfile), with
  // MSG_DONTWAIT when the socket's file is O_NONBLOCK and no MSG_NOSIGNAL.
  if (out.kind === 'vsock') {
    // vsock_connectible_sendmsg on a socket never connected: ENOTCONN (measured: *offset unchanged).
    return [
      {
        rule: 'sendfile/vsock-ENOTCONN',
        expect: { kind: 'returned', ret: -1, errno: 'ENOTCONN', bound },
        next: () => s,
      },
    ];
  }
  if (out.kind === 'unix') {
    // Variant unix-stream-sendfile=sendpage (6.1): unix_stream_sendpage may append to the
    // peer's last skb without waiting for room; not modelled, so refused.
    if (out.type === 'stream' && n > 0 && variantOf(s.profile.variants, 'unix-stream-sendfile') === 'sendpage') {
      throw new Error(
        'model: sendfile into an AF_UNIX stream socket through unix_stream_sendpage (kernels before 6.5) is not modelled',
      );
    }
    const data = fileHex(pos, pos + n);
    return unixSendStep(s, { op: 'send', fd: c.fd, data, flags: 0 }, outF.id, out, true).map((o): Outcome => {
      const rule = `sendfile/${o.rule.slice('send/'.length)}`;
      if (!(SENDFILE_RULES as readonly string[]).includes(rule))
        throw new Error(`model: sendfile reached ${o.rule}, which it does not name`);
      const sent = o.expect.kind === 'returned' && o.expect.ret > 0;
      if (!sent) return { ...o, rule };
      return { rule, expect: { ...o.expect, ...offset }, next: (obs) => advanced(o.next(obs)) };
    });
  }
  if (out.kind === 'file')
    return [
      { rule: 'sendfile/devnull', expect: { kind: 'returned', ret: n, bound, ...offset }, next: () => advanced(s) },
    ];
  return sendStep(s, { op: 'send', fd: c.fd, data: fileHex(pos, pos + n), flags: 0 }).map((o): Outcome => {
    const rule = `sendfile/${o.rule.slice('send/'.length)}`;
    if (!(SENDFILE_RULES as readonly string[]).includes(rule))
      throw new Error(`model: sendfile reached ${o.rule}, which it does not name`);
    const sent = o.expect.kind === 'returned' && o.expect.ret > 0;
    if (!sent) return { ...o, rule };
    return { rule, expect: { ...o.expect, ...offset }, next: (obs) => advanced(o.next(obs)) };
  });
}
