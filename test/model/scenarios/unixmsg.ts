/**
 * Per-rule scenarios for sendmsg/recvmsg on AF_UNIX (model/unix/unix_msg.ts) and AF_VSOCK
 * (vsock/vsock_ops.ts: vsockSendmsg, vsockRecvmsg) sockets, the blocking MSG_WAITALL read of
 * a unix stream (model/unix/unix_wait.ts), and sendfile into AF_UNIX and AF_VSOCK sockets
 * (model/socket/sendfile.ts). A first pair gets fds 4 and 5, a second 6 and 7; in the sendfile
 * worlds fd 4 is the file and the sockets start at 5.
 */
import type { World } from '../../../spec/adapter.js';
import type { AddrIn, Call, IovIn, IovOut, MsgCommon } from '../../../spec/call.js';
import {
  AF_INET, AF_UNIX, AF_UNSPEC, AF_VSOCK, MSG_DONTWAIT, MSG_OOB, MSG_PEEK, MSG_WAITALL, SOCK_DGRAM, SOCK_NONBLOCK,
  SOCK_SEQPACKET, SOCK_STREAM, SO_SNDBUF,
} from '../../../spec/constants.js';
import { FILE_FD } from '../../../spec/file.js';
import { close, connect, setsockopt, shutdown } from '../helpers.js';
import type { Scenario } from '../scenario.js';

export const pair = (type: number = SOCK_STREAM): Call => ({ op: 'socketpair', domain: AF_UNIX, type, protocol: 0, sv: 'ok' });
const vsock = (): Call => ({ op: 'socket', domain: AF_VSOCK, type: SOCK_STREAM, protocol: 0 });
/** An abstract name as the generator makes them: sun_path "\0\0" + the address bytes. */
export const uname = (addr = '127.0.0.1', len = 16): AddrIn => ({ ptr: 'ok', len, family: AF_UNIX, addr, port: 0 });
const unspec: AddrIn = { ptr: 'ok', len: 2, family: AF_UNSPEC, addr: '0.0.0.0', port: 0 };
const nameless: AddrIn = { ptr: 'null', len: 0 };
export const snd = (fd: number, data = '6869', flags = 0): Call => ({ op: 'send', fd, data, flags });

type SendFields = Partial<MsgCommon<IovIn> & { name: AddrIn }>;
/** sendmsg(fd, {name=NULL, iov=["6869"], 1, no control}, flags) with `o` changed. */
export const smsg = (fd: number, o: SendFields = {}, flags = 0): Call => ({
  op: 'sendmsg', fd, flags,
  msg: { ptr: 'ok', name: nameless, iov: 'ok', iovs: [{ ptr: 'ok', data: '6869' }], iovlen: 1, control: 'ok', controllen: 0, flags: 0, ...o },
});
type RecvFields = Partial<MsgCommon<IovOut> & { name: { ptr: 'ok' | 'null' | 'bad'; len: number } }>;
/** recvmsg(fd, {name=&addr[16], iov=[buf[16]], 1, no control}, flags) with `o` changed. */
export const rmsg = (fd: number, o: RecvFields = {}, flags = 0): Call => ({
  op: 'recvmsg', fd, flags,
  msg: { ptr: 'ok', name: { ptr: 'ok', len: 16 }, iov: 'ok', iovs: [{ ptr: 'ok', len: 16 }], iovlen: 1, control: 'ok', controllen: 0, flags: 0, ...o },
});
export const bufs = (...lens: number[]): RecvFields => ({ iovs: lens.map((len) => ({ ptr: 'ok', len })), iovlen: lens.length });
/** A zero-filled control buffer with room for a struct cmsghdr (cmsg_len 0). */
export const CTL16: SendFields = { control: 'ok', controllen: 16 };

const s = (...calls: Call[]): Scenario => ({ calls });
/** Six sends fill a 4608-byte send buffer (six skbs of UNIX_SKB_TRUESIZE); fd 4 sends to 5. */
const full = (flags: number): Call[] => [pair(SOCK_DGRAM | flags), setsockopt(4, SO_SNDBUF, 0), ...Array.from({ length: 6 }, () => snd(4))];

const F: World = { file: true };
const w = (...calls: Call[]): Scenario => ({ world: F, calls });
/** sendfile(out, the file, NULL, count). */
export const sf = (out: number, count = 100): Call => ({ op: 'sendfile', fd: out, inFd: FILE_FD, offset: { ptr: 'null' }, count });
/** Four 300-byte records (truesize 1280 each) fill a 4608-byte send buffer; fd 5 sends to 6. */
const fullOf300 = (flags: number): Call[] => [pair(SOCK_DGRAM | flags), setsockopt(5, SO_SNDBUF, 0), ...Array.from({ length: 4 }, () => ({ op: 'sendfile', fd: 5, inFd: FILE_FD, offset: { ptr: 'ok', value: 0 }, count: 300 }) as Call)];

// A sendfile of data into an AF_UNIX stream socket is refused on kernels of unix-stream-sendfile=sendpage (6.1).
const SPLICE = { 'unix-stream-sendfile': 'splice' } as const;

export const SCENARIOS: Record<string, Scenario> = {
  'sendmsg/unix-EINVAL-cmsg': s(pair(), smsg(4, CTL16)),
  // unix_seqpacket_sendmsg reads sock_error before unix_dgram_sendmsg's scm_send.
  'sendmsg/unix-sock-error': s(pair(SOCK_SEQPACKET), snd(4), close(5), smsg(4, CTL16)),
  'sendmsg/unix-EPIPE': s(pair(), shutdown(4, 1), smsg(4)),
  'sendmsg/unix-EAGAIN': s(...full(0), smsg(4, {}, MSG_DONTWAIT)),
  'sendmsg/unix-blocks': s(...full(0), smsg(4)),
  'sendmsg/unix-ENOTCONN': s(pair(SOCK_DGRAM), connect(4, unspec), smsg(4)),
  'sendmsg/unix-ECONNREFUSED': s(pair(SOCK_DGRAM), close(5), smsg(4)),
  'sendmsg/unix-sent': s(pair(), smsg(4, { control: 'ok', controllen: 8, iovs: [{ ptr: 'ok', data: '61' }, { ptr: 'ok', data: '6263' }], iovlen: 2 })),
  'sendmsg/unix-EISCONN': s(pair(), smsg(4, { name: uname() })),
  'sendmsg/unix-EINVAL': s(pair(SOCK_DGRAM), smsg(4, { name: { ptr: 'ok', len: 16, family: AF_INET, addr: '127.0.0.1', port: 5000 } })),
  // 5 is bound and connected to 4: 6 may not send to it (unix_may_send).
  'sendmsg/unix-EPERM': s(pair(SOCK_DGRAM), pair(SOCK_DGRAM), { op: 'bind', fd: 5, addr: uname() }, smsg(6, { name: uname() })),
  'recvmsg/unix-sock-error': s(pair(), snd(4), close(5), rmsg(4)),
  'recvmsg/unix-EAGAIN': s(pair(), rmsg(4, {}, MSG_DONTWAIT)),
  'recvmsg/unix-eof': s(pair(), close(5), rmsg(4)),
  'recvmsg/unix-blocks': s(pair(SOCK_SEQPACKET), rmsg(4)),
  'recvmsg/unix-data': s(pair(), snd(5, '61'), snd(5, '6263'), rmsg(4, bufs(1, 1))),
  'recvmsg/unix-trunc': s(pair(SOCK_DGRAM), snd(5), rmsg(4, bufs(1))),
  'recvmsg/unix-peek': s(pair(SOCK_DGRAM), snd(5), rmsg(4, {}, MSG_PEEK)),
  'recv/unix-waitall-blocks': s(pair(), snd(5), { op: 'recv', fd: 4, len: 16, flags: MSG_WAITALL }),
  'recvfrom/unix-waitall-blocks': s(pair(), snd(5), { op: 'recvfrom', fd: 4, len: 16, flags: MSG_WAITALL, out: { ptr: 'ok', lenPtr: 'ok', len: 16 } }),
  'recvmsg/unix-waitall-blocks': s(pair(), snd(5), rmsg(4, bufs(1, 8), MSG_WAITALL)),
  'sendmsg/vsock-EOPNOTSUPP-oob': s(vsock(), smsg(4, {}, MSG_OOB)),
  'sendmsg/vsock-EOPNOTSUPP-addr': s(vsock(), smsg(4, { name: { ptr: 'ok', len: 16, family: AF_INET, addr: '127.0.0.1', port: 5000 } })),
  // vsock parses no cmsg: a control buffer scm_send would refuse changes nothing.
  'sendmsg/vsock-ENOTCONN': s(vsock(), smsg(4, CTL16)),
  'recvmsg/vsock-ENOTCONN': s(vsock(), rmsg(4)),
  'sendfile/unix-sock-error': w(pair(SOCK_SEQPACKET), snd(5), close(6), sf(5)),
  'sendfile/unix-EPIPE': { ...w(pair(), shutdown(6, 0), sf(5)), variant: SPLICE },
  'sendfile/unix-EAGAIN': w(...fullOf300(SOCK_NONBLOCK), sf(5)),
  'sendfile/unix-blocks': w(...fullOf300(0), sf(5)),
  'sendfile/unix-ENOTCONN': w(pair(SOCK_DGRAM), connect(5, unspec), sf(5)),
  'sendfile/unix-ECONNREFUSED': w(pair(SOCK_DGRAM), close(6), sf(5)),
  'sendfile/unix-sent': w(pair(SOCK_SEQPACKET), sf(5, 1000)),
  'sendfile/vsock-ENOTCONN': w(vsock(), sf(5)),
};
