/**
 * sendmsg(2) and recvmsg(2) on AF_UNIX sockets, after the generic struct msghdr checks of
 * net/socket.c (model/socket/msg.ts: the fd, the msghdr and iovec copies, ____sys_sendmsg's
 * control-buffer copy). net/unix/af_unix.c, in its order (measured on 6.18 for the three
 * types of a socketpair):
 *  - unix_stream_sendmsg and unix_dgram_sendmsg start with scm_send → __scm_send, whose
 *    for_each_cmsghdr refuses a first cmsghdr failing CMSG_OK (the zero-filled buffers the
 *    generator passes have cmsg_len 0): EINVAL before MSG_OOB, the address or the peer; a
 *    buffer shorter than a struct cmsghdr holds no cmsg (CMSG_FIRSTHDR is NULL) and passes;
 *  - unix_seqpacket_sendmsg reads sock_error and checks TCP_ESTABLISHED before it calls
 *    unix_dgram_sendmsg (and so before scm_send), and drops msg_name;
 *  - after that, the same path as send/sendto (model/unix/unix_sendrecv.ts: unixSendStep), with
 *    msg_name (its length clamped by __copy_msghdr) in sendto's place;
 *  - recvmsg: unix_stream_recvmsg / unix_dgram_recvmsg / unix_seqpacket_recvmsg read as
 *    recv does (unixRecvStep); __unix_dgram_recvmsg sets MSG_TRUNC in msg_flags when the
 *    record is longer than the iovecs ("else if (size < skb->len - skip) msg->msg_flags |=
 *    MSG_TRUNC", also with MSG_PEEK), the stream reader never does; unix_copy_addr gives
 *    msg_namelen the sender's address length (2 + the abstract name) or leaves it 0 for an
 *    unnamed sender, and ____sys_recvmsg's move_addr_to_user then writes just that length;
 *    scm_recv_unix adds no control message (no SO_PASSCRED, no fds), so msg_controllen is 0;
 *    a blocking MSG_WAITALL stream read short of its length takes what is queued and then
 *    sleeps in unix_stream_data_wait (unix/unix_wait.ts).
 * SCM_RIGHTS and SCM_CREDENTIALS themselves are not modelled (never generated).
 */
import { type AddrIn, type Call, msgData } from '../../spec/call.js';
import type { ErrnoName } from '../../spec/errno.js';
import type { Expected } from '../../spec/expected.js';
import { MSG_TRUNC, SOCKADDR_STORAGE_LEN } from '../../spec/constants.js';
import { moveAddrToUser, type Ctl } from '../core/addr.js';
import { blocked, fail, type Outcome } from '../core/outcome.js';
import type { State } from '../core/state.js';
import { sunHex, unixObj } from './af_unix.js';
import { unixRecvStep, unixSendStep } from './unix_sendrecv.js';
import { unixWaitall } from './unix_wait.js';
import type { UnixSock } from '../core/unix_sock.js';

export const UNIX_MSG_RULES = [
  'sendmsg/unix-EINVAL-cmsg',
  'sendmsg/unix-sock-error',
  'sendmsg/unix-EPIPE',
  'sendmsg/unix-EAGAIN',
  'sendmsg/unix-blocks',
  'sendmsg/unix-ENOTCONN',
  'sendmsg/unix-ECONNREFUSED',
  'sendmsg/unix-sent',
  'sendmsg/unix-EISCONN',
  'sendmsg/unix-EINVAL',
  'sendmsg/unix-EPERM',
  'recvmsg/unix-sock-error',
  'recvmsg/unix-EAGAIN',
  'recvmsg/unix-eof',
  'recvmsg/unix-blocks',
  'recvmsg/unix-data',
  'recvmsg/unix-trunc',
  'recvmsg/unix-peek',
] as const;

type SendmsgCall = Extract<Call, { op: 'sendmsg' }>;
type RecvmsgCall = Extract<Call, { op: 'recvmsg' }>;

/** `rule` (send's, sendto's, recv's or recvfrom's) under recvmsg's or sendmsg's name. */
function renamed(o: Outcome, p: 'sendmsg' | 'recvmsg'): Outcome {
  const rule = `${p}/${o.rule.slice(o.rule.indexOf('/') + 1)}`;
  if (!(UNIX_MSG_RULES as readonly string[]).includes(rule))
    throw new Error(`model: unix ${p} reached ${o.rule}, which it does not name`);
  return { ...o, rule };
}

/**
 * sock_sendmsg on AF_UNIX socket `id` once socket/msg.ts copied the msghdr: `dest` is msg_name as
 * the protocol sees it (null for none), `ctl` what the control buffer holds.
 */
export function unixSendmsg(
  s: State,
  c: SendmsgCall,
  id: number,
  u: UnixSock,
  dest: AddrIn | null,
  ctl: Ctl,
): Outcome[] {
  if (c.msg.ptr !== 'ok') throw new Error('unreachable: socket/msg.ts refused the msghdr');
  // unix_seqpacket_sendmsg: sock_error and the state come before unix_dgram_sendmsg's scm_send.
  const seqEarly = u.type === 'seqpacket' && (u.err !== null || u.st !== 'ESTABLISHED');
  // __scm_send: "if (!CMSG_OK(msg, cmsg)) goto error;" with err = -EINVAL.
  if (ctl === 'bogus' && !seqEarly) return [fail(s, 'sendmsg/unix-EINVAL-cmsg', 'EINVAL')];
  const addr: AddrIn = dest ?? { ptr: 'null', len: 0 };
  return unixSendStep(s, { op: 'sendto', fd: c.fd, data: msgData(c.msg), flags: c.flags, addr }, id, u).map((o) =>
    renamed(o, 'sendmsg'),
  );
}

/**
 * sock_recvmsg on AF_UNIX socket `id` into `total` bytes of iovecs: recv's answer, then
 * msg_flags, and msg_name/msg_namelen through move_addr_to_user (whose failure is the
 * call's answer although the bytes were taken).
 */
export function unixRecvmsg(s: State, c: RecvmsgCall, id: number, u: UnixSock, total: number): Outcome[] {
  const m = c.msg;
  if (m.ptr !== 'ok') throw new Error('unreachable: socket/msg.ts refused the msghdr');
  // The record the read takes (dgram, seqpacket): its length decides MSG_TRUNC.
  const head = u.type === 'stream' ? undefined : u.rq[0];
  const truncated = head !== undefined && total < head.data.length / 2;
  // recvfrom into a buffer big enough for any sockaddr_un: its addr and addrlen are what
  // unix_copy_addr wrote (hex of the first addrlen bytes), or length 0 for none.
  const probe = { ptr: 'ok' as const, lenPtr: 'ok' as const, len: SOCKADDR_STORAGE_LEN };
  const waits = unixWaitall(s, 'recvmsg', id, u, total, c.flags, (_n, _data, from, next) => {
    // The cut-short read's msg_name copy-out (move_addr_to_user) may fail: EFAULT-name.
    const o = unixObj(s, from);
    const kaddr = o?.name != null ? sunHex(o) : '';
    if (m.name.ptr === 'null') return blocked('recvmsg/unix-waitall-blocks', () => next);
    const copy = moveAddrToUser({ ptr: m.name.ptr, lenPtr: 'ok', len: m.name.len }, kaddr, s.profile);
    if (!copy.errno) return blocked('recvmsg/unix-waitall-blocks', () => next);
    const f: Extract<Expected, { kind: 'returned' }> = { kind: 'returned', ret: -1, errno: copy.errno as ErrnoName };
    if (copy.addr !== undefined) f.addr = copy.addr;
    if (copy.addrlen !== undefined) f.addrlen = copy.addrlen;
    return { rule: 'recvmsg/EFAULT-name', expect: f, next: () => next };
  });
  if (waits !== undefined) return [waits];
  return unixRecvStep(s, { op: 'recvfrom', fd: c.fd, len: total, flags: c.flags, out: probe }, id, u).map(
    (o0): Outcome => {
      const o = renamed(o0, 'recvmsg');
      const e = o.expect;
      if (e.kind !== 'returned' || e.ret < 0) return o;
      const kaddr = (e.addr ?? '').slice(0, 2 * (e.addrlen ?? 0));
      const r: Extract<Expected, { kind: 'returned' }> = {
        kind: 'returned',
        ret: e.ret,
        msgFlags: truncated ? MSG_TRUNC : 0,
        controllen: 0,
      };
      if (e.data !== undefined) r.data = e.data;
      const rule = truncated && o.rule === 'recvmsg/unix-data' ? 'recvmsg/unix-trunc' : o.rule;
      if (m.name.ptr !== 'null') {
        const copy = moveAddrToUser({ ptr: m.name.ptr, lenPtr: 'ok', len: m.name.len }, kaddr, s.profile);
        if (copy.errno) {
          const f: Extract<Expected, { kind: 'returned' }> = {
            kind: 'returned',
            ret: -1,
            errno: copy.errno as ErrnoName,
          };
          if (copy.addr !== undefined) f.addr = copy.addr;
          if (copy.addrlen !== undefined) f.addrlen = copy.addrlen;
          return { rule: 'recvmsg/EFAULT-name', expect: f, next: o.next };
        }
        if (copy.addr !== undefined) r.addr = copy.addr;
        if (copy.addrlen !== undefined) r.addrlen = copy.addrlen;
      }
      return { rule, expect: r, next: o.next };
    },
  );
}
