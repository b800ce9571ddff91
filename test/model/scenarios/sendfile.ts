/**
 * Per-rule scenarios for sendfile(2) (model/socket/sendfile.ts) and the world's regular file
 * (mmap of it): every world here has the file, so fd 4 is the file (O_RDONLY, 300 bytes)
 * and sockets start at 5.
 */
import type { World } from '../../../spec/adapter.js';
import type { Call, Offset } from '../../../spec/call.js';
import { AF_INET6, F_SETFL, SOCK_DGRAM, SOCK_NONBLOCK } from '../../../spec/constants.js';
import { FILE_FD } from '../../../spec/file.js';
import { accept, bind, close, connect, inet, listen, shutdown, tcp, udp } from '../helpers.js';
import type { Scenario } from '../scenario.js';

const F: World = { file: true };
const w = (...calls: Call[]): Scenario => ({ world: F, calls });
const NUL: Offset = { ptr: 'null' };
const at = (value: number): Offset => ({ ptr: 'ok', value });
/** sendfile(out, in (the file), offset (NULL), count (100)). */
export const sf = (out: number, o: { in?: number; offset?: Offset; count?: number } = {}): Call =>
  ({ op: 'sendfile', fd: out, inFd: o.in ?? FILE_FD, offset: o.offset ?? NUL, count: o.count ?? 100 });
const snd = (fd: number): Call => ({ op: 'send', fd, data: '6869', flags: 0 });
const mmap = (fd: number, flags: number): Call => ({ op: 'mmap', fd, len: 4096, prot: 1, flags, offset: 0 });

const to5000 = inet('127.0.0.1', 5000);
const closed7777 = inet('127.0.0.1', 7777);
/** A TCP connection: listener 5, client 6, accepted server 7. */
const C: Call[] = [tcp(), bind(5, to5000), listen(5, 0), tcp(), connect(6, to5000), accept(5)];
/** ext4's s_maxbytes with 4 KiB blocks ((2^32 - 1) * 4096), where /tmp is ext4. */
const EXT4_MAXBYTES = 17592186040320;
/** A scenario whose answer depends on the filesystem under the temp directory (`timing` lists the other rule the kernel may give). */
const fsDependent = (rule: string, why: string): { alsoAllowed: string[]; why: string } => ({ alsoAllowed: [rule], why });

export const SCENARIOS: Record<string, Scenario> = {
  'sendfile/EFAULT': w(sf(1, { offset: { ptr: 'bad' } })),
  'sendfile/EBADF-in': w(sf(1, { in: 9 })),
  'sendfile/ESPIPE': w(sf(1, { in: 3, offset: at(0) })),
  'sendfile/EINVAL-count': w(sf(1, { count: -1 })),
  'sendfile/EINVAL-pos': w(sf(1, { offset: at(-1) })),
  'sendfile/EBADF-out': w(sf(9)),
  'sendfile/EBADF-out-mode': w(sf(3)),
  'sendfile/EOVERFLOW': {
    world: F, calls: [sf(1, { offset: at(EXT4_MAXBYTES), count: 10 })],
    timing: fsDependent('sendfile/eof', "on a filesystem whose s_maxbytes is above 2^53 (tmpfs, xfs, btrfs) the offset is only past the file's end"),
  },
  'sendfile/EINVAL-append': w(udp(), { op: 'fcntl', fd: 5, cmd: F_SETFL, arg: 0o2000 }, sf(5)),
  'sendfile/EINVAL-unseekable': w(sf(1, { in: 3 })),
  'sendfile/empty': w(sf(1, { count: 0 })),
  'sendfile/EINVAL-no-splice-read': w(sf(1, { in: 0 })),
  'sendfile/eof': w(sf(1, { offset: at(300) })),
  'sendfile/devnull': w(sf(1)),
  'sendfile/EDESTADDRREQ': w(udp(), sf(5)),
  // sendfile's send path on an AF_INET6 socket connected to a v4-mapped peer on port 0 (udpv6_sendmsg → udp_sendmsg).
  'sendfile/EINVAL-port0-mapped-peer': w(
    { op: 'socket', domain: AF_INET6, type: SOCK_DGRAM, protocol: 0 },
    connect(5, { ptr: 'ok', len: 28, family: AF_INET6, addr: '::ffff:127.0.0.1', port: 0 }), sf(5),
  ),
  'sendfile/ENETUNREACH': { unreachable: 'a connected UDP socket has a route to its peer: ip4_datagram_connect refused the connect otherwise, with the same lookup' },
  'sendfile/EACCES-broadcast': { unreachable: 'connect to a broadcast address without SO_BROADCAST fails (EACCES), and SO_BROADCAST is not in scope' },
  'sendfile/sock-error': w(udp(), connect(5, closed7777), sf(5), sf(5)),
  'sendfile/EPIPE': w(udp(), connect(5, closed7777), shutdown(5, 1), sf(5)),
  'sendfile/delivered': w(udp(), bind(5, to5000), udp(), connect(6, to5000), sf(6, { count: 300 })),
  'sendfile/dropped-full': { unreachable: 'the call answers the same whether a full queue took the datagram or dropped it; a later recv tells which, and the runner names the first of equal outcomes (delivered)' },
  'sendfile/refused': w(udp(), connect(5, closed7777), sf(5)),
  'sendfile/no-receiver': w(udp(), bind(5, inet('127.0.0.1', 0)), connect(5, inet('224.0.0.2', 5000)), sf(5)),
  'sendfile/multicast': w(udp(), bind(5, inet('0.0.0.0', 5000)), udp(), bind(6, inet('127.0.0.1', 0)), connect(6, inet('224.0.0.1', 5000)), sf(6)),
  // As for send: the failed re-connect leaves 10.1.2.3:5000 in the flow key; the first
  // sendfile is refused, the second returns the error, the third takes the cached route.
  'sendfile/stale-flow': w(udp(), connect(5, closed7777), connect(5, inet('10.1.2.3', 5000)), sf(5), sf(5), sf(5)),
  // The peer closed with our bytes unread: RST, ECONNRESET in sk_err.
  'sendfile/tcp-sock-error': w(...C, snd(6), close(7), sf(6)),
  'sendfile/tcp-EPIPE': w(tcp(), sf(5)),
  // A full accept queue (backlog 0, one queued) drops the SYN: SYN_SENT.
  'sendfile/tcp-EAGAIN-connecting': w(...C.slice(0, 5), tcp(SOCK_NONBLOCK), connect(7, to5000), sf(7)),
  // The same with a blocking socket: its connect is interrupted at the deadline (still
  // SYN_SENT), and sendfile waits in sk_stream_wait_connect until its deadline too.
  'sendfile/tcp-blocks-connecting': w(...C.slice(0, 5), tcp(), connect(7, to5000), sf(7)),
  'sendfile/tcp-sent': w(...C, sf(6)),
  // The first segment is unacknowledged (maybe), so Nagle may hold the second.
  'sendfile/tcp-queued': w(...C, sf(6), sf(6)),
  'sendfile/tcp-EAGAIN-sndbuf': { unreachable: 'needs a small SO_SNDBUF full of skbs that wait for a delayed ACK: allowed, never forced (as for send)' },
  'mmap/file': w(mmap(FILE_FD, 0x01)),
  'mmap/EOPNOTSUPP-sync': {
    world: F, calls: [mmap(FILE_FD, 0x01 | 0x80000)],
    timing: fsDependent('mmap/file', 'tmpfs ignores VM_SYNC; ext4 and xfs without DAX refuse it'),
  },
};
