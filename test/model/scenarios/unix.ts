/**
 * Per-rule scenarios of socketpair(2) and the AF_UNIX sockets it makes (model/unix/).
 * A first pair gets fds 4 and 5, a second one 6 and 7.
 */
import type { AddrIn, Call } from '../../../spec/call.js';
import {
  AF_INET, AF_UNIX, AF_UNSPEC, IPPROTO_TCP, IPPROTO_UDP, MSG_DONTWAIT, MSG_PEEK, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_SEQPACKET,
  SOCK_STREAM, SO_REUSEPORT, SO_SNDBUF, TCP_NODELAY,
} from '../../../spec/constants.js';
import { accept, bind, close, connect, getpeername, getsockname, getsockopt, inet, listen, setsockopt, shutdown, tcp } from '../helpers.js';
import type { Scenario } from '../scenario.js';

const pair = (type: number = SOCK_STREAM, o: { domain?: number; protocol?: number; sv?: 'ok' | 'null' | 'bad' } = {}): Call =>
  ({ op: 'socketpair', domain: o.domain ?? AF_UNIX, type, protocol: o.protocol ?? 0, sv: o.sv ?? 'ok' });
/** An abstract name as the generator makes them: family AF_UNIX, sun_path "\0\0" + the address bytes. */
const uname = (addr = '127.0.0.1', len = 16): AddrIn => ({ ptr: 'ok', len, family: AF_UNIX, addr, port: 0 });
const unspec: AddrIn = { ptr: 'ok', len: 2, family: AF_UNSPEC, addr: '0.0.0.0', port: 0 };
const nulAddr: AddrIn = { ptr: 'null', len: 0 };
const snd = (fd: number, flags = 0, data = '6869'): Call => ({ op: 'send', fd, data, flags });
const sendto = (fd: number, addr: AddrIn = nulAddr, flags = 0): Call => ({ op: 'sendto', fd, data: '6869', flags, addr });
const recv = (fd: number, len = 16, flags = 0): Call => ({ op: 'recv', fd, len, flags });
const recvfrom = (fd: number, len = 16, flags = 0): Call => ({ op: 'recvfrom', fd, len, flags, out: { ptr: 'ok', lenPtr: 'ok', len: 16 } });
const s = (...calls: Call[]): Scenario => ({ calls });
/** Six sends fill a 4608-byte send buffer (six skbs of UNIX_SKB_TRUESIZE); fd 4 sends to 5. */
const full = (flags: number): Call[] => [pair(SOCK_DGRAM | flags), setsockopt(4, SO_SNDBUF, 0), ...Array.from({ length: 6 }, () => snd(4))];

const dataRules = (op: 'send' | 'sendto'): Record<string, Scenario> => {
  const out = (fd: number, flags = 0): Call => (op === 'send' ? snd(fd, flags) : sendto(fd, nulAddr, flags));
  return {
    [`${op}/unix-sock-error`]: s(pair(SOCK_SEQPACKET), snd(4), close(5), out(4)),
    [`${op}/unix-EPIPE`]: s(pair(), shutdown(4, 1), out(4)),
    [`${op}/unix-EAGAIN`]: s(...full(0), out(4, MSG_DONTWAIT)),
    [`${op}/unix-blocks`]: s(...full(0), out(4)),
    [`${op}/unix-ENOTCONN`]: s(pair(SOCK_DGRAM), connect(4, unspec), out(4)),
    [`${op}/unix-ECONNREFUSED`]: s(pair(SOCK_DGRAM), close(5), out(4)),
    // 5 leaves 4 for 6 (disconnected, then bound): 4 still sends to 5, which no longer takes from it.
    [`${op}/unix-EPERM`]: s(pair(SOCK_DGRAM), pair(SOCK_DGRAM), connect(6, unspec), bind(6, uname()), connect(5, uname()), out(4)),
    [`${op}/unix-sent`]: s(pair(), out(4)),
  };
};

const readRules = (op: 'recv' | 'recvfrom'): Record<string, Scenario> => {
  const rd = (fd: number, len = 16, flags = 0): Call => (op === 'recv' ? recv(fd, len, flags) : recvfrom(fd, len, flags));
  return {
    [`${op}/unix-sock-error`]: s(pair(), snd(4), close(5), rd(4)),
    [`${op}/unix-EAGAIN`]: s(pair(), rd(4, 16, MSG_DONTWAIT)),
    [`${op}/unix-eof`]: s(pair(), close(5), rd(4)),
    [`${op}/unix-blocks`]: s(pair(SOCK_SEQPACKET), rd(4)),
    [`${op}/unix-data`]: s(pair(), snd(5, 0, '61'), snd(5, 0, '6263'), rd(4, 2)),
    [`${op}/unix-peek`]: s(pair(SOCK_DGRAM), snd(5), rd(4, 1, MSG_PEEK)),
  };
};

export const SCENARIOS: Record<string, Scenario> = {
  'socketpair/EINVAL-flags': s(pair(SOCK_STREAM | 0x100)),
  'socketpair/EMFILE': { world: { nofile: 7 }, calls: [tcp(), tcp(), pair()] },
  'socketpair/EFAULT': s(pair(SOCK_STREAM, { domain: 1000, sv: 'bad' })),
  'socketpair/EAFNOSUPPORT': s(pair(SOCK_STREAM, { domain: 1000 })),
  'socketpair/EINVAL-type': s(pair(11)),
  'socketpair/EPROTONOSUPPORT': s(pair(SOCK_STREAM, { protocol: 5 })),
  'socketpair/ESOCKTNOSUPPORT': s(pair(4)),
  'socketpair/create-refused': s(pair(SOCK_STREAM, { domain: AF_INET, protocol: IPPROTO_UDP })),
  'socketpair/EOPNOTSUPP': s(pair(SOCK_STREAM, { domain: AF_INET })),
  'socketpair/stream': s(pair(SOCK_STREAM | SOCK_NONBLOCK)),
  'socketpair/dgram': s(pair(3)),
  'socketpair/seqpacket': s(pair(SOCK_SEQPACKET, { protocol: 1 })),
  'close/unix': s(pair(), close(4)),
  'close/unix-unread': s(pair(), snd(5), close(4)),
  'shutdown/unix-EINVAL': s(pair(), shutdown(4, 3)),
  'shutdown/unix': s(pair(SOCK_DGRAM), shutdown(4, 1)),
  'shutdown/unix-peer': s(pair(SOCK_SEQPACKET), shutdown(4, 0)),
  'getsockname/unix': s(pair(), bind(4, uname()), getsockname(4)),
  'getpeername/unix': s(pair(), getpeername(4)),
  'getpeername/unix-ENOTCONN': s(pair(SOCK_DGRAM), connect(4, unspec), getpeername(4)),
  'getsockopt/unix-EOPNOTSUPP-level': s(pair(), getsockopt(4, TCP_NODELAY, { level: IPPROTO_TCP })),
  'setsockopt/unix-EOPNOTSUPP-level': s(pair(), setsockopt(4, TCP_NODELAY, 1, { level: IPPROTO_TCP })),
  'setsockopt/unix-EOPNOTSUPP-reuseport': s(pair(), setsockopt(4, SO_REUSEPORT, 1)),
  'listen/unix-EINVAL': s(pair(SOCK_SEQPACKET), bind(4, uname()), listen(4)),
  'accept/unix-EINVAL': s(pair(), accept(4)),
  'accept4/unix-EINVAL': s(pair(SOCK_SEQPACKET), { op: 'accept4', fd: 4, out: { ptr: 'null', lenPtr: 'null', len: 0 }, flags: 0 }),
  'connect/unix-EINVAL': s(pair(), connect(4, inet('127.0.0.1', 5000))),
  'connect/unix-ECONNREFUSED': s(pair(), bind(5, uname()), connect(4, uname())),
  'connect/unix-EPERM': s(pair(SOCK_DGRAM), pair(SOCK_DGRAM), bind(6, uname()), connect(4, uname())),
  'connect/unix-dgram': s(pair(SOCK_DGRAM), bind(5, uname()), snd(5), connect(4, uname())),
  'connect/unix-disconnect': s(pair(SOCK_DGRAM), snd(5), connect(4, unspec)),
  'bind/unix-EINVAL': s(pair(), bind(4, inet('127.0.0.1', 5000))),
  'bind/unix-EINVAL-bound': s(pair(), bind(4, uname()), bind(4, uname('0.0.0.0', 3))),
  'bind/unix-EADDRINUSE': s(pair(), bind(4, uname()), bind(5, uname())),
  'bind/unix-abstract': s(pair(SOCK_DGRAM), pair(SOCK_STREAM), bind(4, uname()), bind(6, uname('127.0.0.1', 110))),
  ...dataRules('send'), ...dataRules('sendto'),
  'sendto/unix-EISCONN': s(pair(), sendto(4, uname())),
  'sendto/unix-EINVAL': s(pair(SOCK_DGRAM), sendto(4, inet('127.0.0.1', 5000))),
  ...readRules('recv'), ...readRules('recvfrom'),
};
