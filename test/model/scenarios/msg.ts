/**
 * Per-rule scenarios for sendmsg and recvmsg (model/socket/msg.ts and the send/recv paths they
 * share) and for MSG_WAITALL on TCP reads (model/ipv4/tcp_recvmsg.ts). Sockets: 4, 5, 6 as the
 * calls create them; a TCP connection is listener 4, client 5, accepted server 6.
 */
import type { AddrIn, Call, IovIn, IovOut, MsgCommon, SocketcallInner } from '../../../spec/call.js';
import { AF_INET6, MSG_CMSG_COMPAT, MSG_DONTWAIT, MSG_ERRQUEUE, MSG_OOB, MSG_PEEK, MSG_TRUNC, MSG_WAITALL, SOCK_NONBLOCK, SOCKETCALL_NUM } from '../../../spec/constants.js';
import { accept, bind, close, connect, inet, listen, shutdown, tcp, udp } from '../helpers.js';
import type { Scenario } from '../scenario.js';

const s = (...calls: Call[]): Scenario => ({ calls });
const to5000 = inet('127.0.0.1', 5000);
const closed7777 = inet('127.0.0.1', 7777);
const nameless: AddrIn = { ptr: 'null', len: 0 };
const snd = (fd: number, hex = '6869'): Call => ({ op: 'send', fd, data: hex, flags: 0 });
const sendto = (fd: number, addr: AddrIn, hex = '6869'): Call => ({ op: 'sendto', fd, data: hex, flags: 0, addr });

type SendFields = Partial<MsgCommon<IovIn> & { name: AddrIn }>;
/** sendmsg(fd, {name, iov=["6869"], 1, no control}, flags) with `o` changed. */
const smsg = (fd: number, o: SendFields = {}, flags = 0): Call => ({
  op: 'sendmsg', fd, flags,
  msg: { ptr: 'ok', name: nameless, iov: 'ok', iovs: [{ ptr: 'ok', data: '6869' }], iovlen: 1, control: 'ok', controllen: 0, flags: 0, ...o },
});
type RecvFields = Partial<MsgCommon<IovOut> & { name: { ptr: 'ok' | 'null' | 'bad'; len: number } }>;
/** recvmsg(fd, {name=&addr[16], iov=[buf[16]], 1, no control}, flags) with `o` changed. */
const rmsg = (fd: number, o: RecvFields = {}, flags = 0): Call => ({
  op: 'recvmsg', fd, flags,
  msg: { ptr: 'ok', name: { ptr: 'ok', len: 16 }, iov: 'ok', iovs: [{ ptr: 'ok', len: 16 }], iovlen: 1, control: 'ok', controllen: 0, flags: 0, ...o },
});
/** Two iovecs whose bytes make one payload. */
const two = (a: string, b: string): SendFields => ({ iovs: [{ ptr: 'ok', data: a }, { ptr: 'ok', data: b }], iovlen: 2 });
const bufs = (...lens: number[]): RecvFields => ({ iovs: lens.map((len) => ({ ptr: 'ok', len })), iovlen: lens.length });
const viaSocketcall = (c: Call): Call => ({ op: 'socketcall', num: SOCKETCALL_NUM[c.op as SocketcallInner['op']], args: 'ok', call: c as SocketcallInner });
const compat = MSG_CMSG_COMPAT | 0;

const L: Call[] = [tcp(), bind(4, to5000), listen(4, 0)];
const C: Call[] = [...L, tcp(), connect(5, to5000), accept(4)];
const U: Call[] = [udp(), bind(4, to5000), udp()];

const sendmsg: Record<string, Scenario> = {
  'sendmsg/EINVAL-cmsg-compat': s(udp(), smsg(4, {}, compat)),
  'sendmsg/EBADF': s(smsg(9)),
  'sendmsg/ENOTSOCK': s(smsg(3)),
  'sendmsg/EFAULT': s(udp(), { op: 'sendmsg', fd: 4, msg: { ptr: 'bad' }, flags: 0 }),
  'sendmsg/EINVAL-namelen': s(udp(), smsg(4, { name: { ...to5000, len: -1 }, iovlen: 2000 })),
  'sendmsg/EFAULT-name': s(udp(), smsg(4, { name: { ptr: 'bad', len: 16 }, iovlen: 2000 })),
  'sendmsg/EMSGSIZE': s(udp(), smsg(4, { iovlen: 1025, control: 'bad', controllen: 2 ** 31 })),
  'sendmsg/EFAULT-iov': s(udp(), smsg(4, { iov: 'bad' })),
  'sendmsg/EINVAL-iov-len': s(udp(), smsg(4, { iovs: [{ ptr: 'ok', data: '6869' }, { ptr: 'null', len: -1 }], iovlen: 2 })),
  'sendmsg/ENOBUFS': s(udp(), smsg(4, { control: 'bad', controllen: 2 ** 31 })),
  'sendmsg/ENOBUFS-optmem': s(udp(), smsg(4, { control: 'bad', controllen: 1 << 20 })),
  'sendmsg/EFAULT-control': s(udp(), smsg(4, { control: 'bad', controllen: 8 })),
  // Through the compat entry no struct compat_cmsghdr fits in 8 bytes: kcmlen 0, EINVAL
  // (natively 8 bytes hold no cmsg and are simply ignored, see EINVAL-cmsg's neighbours).
  'sendmsg/compat-EINVAL-cmsg': s(...U, viaSocketcall(smsg(5, { name: to5000, controllen: 8 }))),
  'sendmsg/compat-EFAULT-control': s(...U, viaSocketcall(smsg(5, { name: to5000, control: 'bad', controllen: 16 }))),
  'sendmsg/EINVAL-cmsg': s(...U, smsg(5, { name: to5000, controllen: 8 }), smsg(5, { name: to5000, controllen: 16 })),
  'sendmsg/tcp-EINVAL-cmsg': s(...C, smsg(5, { controllen: 4 }), smsg(5, { controllen: 64 })),
  'sendmsg/EOPNOTSUPP-oob': s(...U, smsg(5, { name: to5000, controllen: 16 }, MSG_OOB)),
  'sendmsg/EDESTADDRREQ': s(udp(), smsg(4, { controllen: 16 })),
  'sendmsg/ENETUNREACH': s(udp(), smsg(4, { name: inet('10.1.2.3', 5000) })),
  'sendmsg/EACCES-broadcast': s(udp(), bind(4, inet('127.0.0.1', 0)), smsg(4, { name: inet('255.255.255.255', 5000) })),
  'sendmsg/sock-error': s(udp(), connect(4, closed7777), snd(4), smsg(4)),
  'sendmsg/EPIPE': s(udp(), shutdown(4, 1), smsg(4, { name: to5000 })),
  'sendmsg/delivered': s(...U, smsg(5, { name: to5000, ...two('6869', '7468657265') })),
  'sendmsg/dropped-full': { unreachable: 'the send answers the same whether a full queue took the datagram or dropped it; a later recv tells which, and the runner names the first of equal outcomes (delivered)' },
  'sendmsg/refused': s(udp(), smsg(4, { name: closed7777 })),
  'sendmsg/no-receiver': s(udp(), bind(4, inet('127.0.0.1', 0)), smsg(4, { name: inet('224.0.0.2', 5000) })),
  'sendmsg/multicast': s(udp(), bind(4, inet('0.0.0.0', 5000)), udp(), bind(5, inet('127.0.0.1', 0)), smsg(5, { name: inet('224.0.0.1', 5000) })),
  // As send/stale-flow (a control buffer without a cmsg would change nothing: test/model/msg.test.ts).
  'sendmsg/stale-flow': s(udp(), connect(4, closed7777), connect(4, inet('10.1.2.3', 5000)), snd(4), snd(4), smsg(4)),
  'sendmsg/EINVAL-short': s(udp(), smsg(4, { name: { ...to5000, len: 8 } })),
  'sendmsg/EAFNOSUPPORT': s(udp(), smsg(4, { name: { ...to5000, family: AF_INET6 } })),
  'sendmsg/EINVAL-port0': s(udp(), smsg(4, { name: inet('127.0.0.1', 0) })),
  'sendmsg/tcp-sock-error': s(...C, smsg(5), close(6), smsg(5)),
  'sendmsg/tcp-EPIPE': s(tcp(), smsg(4, { controllen: 16 })),
  'sendmsg/tcp-EAGAIN-connecting': s(...L, tcp(), connect(5, to5000), tcp(SOCK_NONBLOCK), connect(6, to5000), smsg(6)),
  'sendmsg/tcp-blocks-connecting': { unreachable: 'the adapter makes sends without a deadline, and a blocking SYN_SENT socket waits for a SYN retransmission (>= 1 s); the generator never sends on one' },
  'sendmsg/tcp-empty': s(...C, smsg(5, { iovs: [], iovlen: 0, iov: 'null' })),
  'sendmsg/tcp-sent': s(...C, smsg(5, { ...two('68', '656c6c6f'), name: closed7777 })),
  'sendmsg/tcp-queued': s(...C, smsg(5), smsg(5)),
  'sendmsg/tcp-EAGAIN-sndbuf': { unreachable: 'needs a small SO_SNDBUF full of skbs that wait for a delayed ACK: allowed, never forced (the kernel acks in time unless the peer is in delayed-ACK mode)' },
};

const recvmsg: Record<string, Scenario> = {
  'recvmsg/EINVAL-cmsg-compat': s(udp(), rmsg(4, {}, compat)),
  'recvmsg/EBADF': s(rmsg(9)),
  'recvmsg/ENOTSOCK': s(rmsg(3)),
  'recvmsg/EFAULT': s(udp(), { op: 'recvmsg', fd: 4, msg: { ptr: 'null' }, flags: 0 }),
  'recvmsg/EINVAL-namelen': s(udp(), rmsg(4, { name: { ptr: 'ok', len: -1 }, iovlen: 2000 })),
  'recvmsg/EMSGSIZE': s(udp(), rmsg(4, { iovlen: 2000 })),
  'recvmsg/EFAULT-iov': s(udp(), rmsg(4, { iov: 'null' })),
  'recvmsg/EINVAL-iov-len': s(udp(), rmsg(4, { iovs: [{ ptr: 'null', len: -1 }] })),
  // The datagram is taken, then msg_name faults (msg_namelen already holds 16).
  'recvmsg/EFAULT-name': s(...U, sendto(5, to5000), rmsg(4, { name: { ptr: 'bad', len: 16 } })),
  'recvmsg/sock-error': s(udp(), connect(4, closed7777), snd(4), rmsg(4)),
  'recvmsg/EAGAIN': s(udp(), rmsg(4, {}, MSG_DONTWAIT)),
  // A TCP connection with a byte queued: the empty error queue answers, not the data.
  'recvmsg/EAGAIN-errqueue': s(...L, tcp(), connect(5, to5000), accept(4), snd(5), rmsg(6, {}, MSG_ERRQUEUE)),
  'recvmsg/shutdown-eof': s(udp(), shutdown(4, 0), rmsg(4)),
  'recvmsg/blocks': s(udp(), rmsg(4)),
  // Scattered over two buffers; a NULL msg_name leaves msg_namelen as passed.
  'recvmsg/datagram': s(...U, sendto(5, to5000, '68656c6c6f'), rmsg(4, { ...bufs(2, 16), name: { ptr: 'null', len: 7 }, flags: MSG_TRUNC })),
  'recvmsg/datagram-trunc': s(...U, sendto(5, to5000, '68656c6c6f'), rmsg(4, { ...bufs(2, 1), name: { ptr: 'ok', len: 128 } })),
  'recvmsg/peek': s(...U, sendto(5, to5000, '68656c6c6f'), rmsg(4, bufs(1, 1), MSG_PEEK | MSG_TRUNC)),
  'recvmsg/tcp-ENOTCONN-listener': s(...L, rmsg(4)),
  'recvmsg/tcp-data': s(...C, snd(5, '68656c6c6f'), rmsg(6, bufs(1, 0, 3))),
  'recvmsg/tcp-peek': s(...C, snd(5, '68656c6c6f'), rmsg(6, bufs(2, 8), MSG_PEEK)),
  'recvmsg/tcp-discard': s(...C, snd(5, '68656c6c6f'), rmsg(6, bufs(1, 2), MSG_TRUNC)),
  'recvmsg/tcp-eof': s(...C, snd(5), shutdown(5, 1), rmsg(6), rmsg(6)),
  'recvmsg/tcp-sock-error': s(...C, snd(6), snd(5), close(6), rmsg(5), rmsg(5)),
  'recvmsg/tcp-ENOTCONN': s(tcp(), rmsg(4)),
  'recvmsg/tcp-EAGAIN': s(...C, rmsg(6, {}, MSG_DONTWAIT)),
  'recvmsg/tcp-blocks': s(...C, rmsg(6)),
  'recvmsg/tcp-empty-wait': s(...C, rmsg(6, bufs(0, 0))),
  'recvmsg/tcp-waitall-short': s(...C, snd(5, '68656c6c6f'), shutdown(5, 1), rmsg(6, bufs(4, 12), MSG_WAITALL)),
  'recvmsg/tcp-waitall-blocks': s(...C, snd(5, '68656c6c6f'), rmsg(6, bufs(4, 12), MSG_WAITALL)),
};

const r = (op: 'recv' | 'recvfrom', fd: number, len: number, flags: number): Call =>
  (op === 'recv' ? { op, fd, len, flags } : { op, fd, len, flags, out: { ptr: 'ok', lenPtr: 'ok', len: 16 } });
const waitall = (op: 'recv' | 'recvfrom'): Record<string, Scenario> => ({
  // Five bytes, then the peer's FIN: the read returns the five (RCV_SHUTDOWN ends the wait).
  [`${op}/tcp-waitall-short`]: s(...C, snd(5, '68656c6c6f'), shutdown(5, 1), r(op, 6, 16, MSG_WAITALL)),
  // Five bytes and no more: the read takes them and sleeps until the deadline; they are gone after.
  [`${op}/tcp-waitall-blocks`]: s(...C, snd(5, '68656c6c6f'), r(op, 6, 16, MSG_WAITALL | MSG_PEEK), r(op, 6, 16, MSG_WAITALL)),
});

export const SCENARIOS: Record<string, Scenario> = { ...sendmsg, ...recvmsg, ...waitall('recv'), ...waitall('recvfrom') };
