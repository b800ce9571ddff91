/**
 * One short scenario per model rule: the model must name that rule at the last call, and
 * the real kernel must give an answer the model allows at every call of it. Rules that
 * no call sequence in this scope can reach say why. Adding a rule without a scenario
 * fails the first test.
 */
import { readdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { Adapter } from '../../spec/adapter.js';
import { adapterByName, disposeAdapter } from '../../harness/adapters.js';
import type { World } from '../../spec/adapter.js';
import type { AddrIn, Call, FdSet, SocketcallInner, Timeval } from '../../spec/call.js';
import {
  AF_INET6, AF_UNIX, AF_UNSPEC, MSG_DONTWAIT, MSG_ERRQUEUE, MSG_OOB, MSG_PEEK, MSG_TRUNC, F_GETFD, F_GETFL, F_SETFD, F_SETFL, IPPROTO_TCP, POLLIN, POLLOUT, SOCK_NONBLOCK, SOCKETCALL_NARGS, SOCKETCALL_NUM, SOL_SOCKET, SO_ACCEPTCONN, SO_DOMAIN,
  SO_ERROR, SO_KEEPALIVE, SO_PROTOCOL, SO_RCVBUF, SO_REUSEADDR, SO_REUSEPORT, SO_SNDBUF, SO_TYPE, SYS_LISTEN, TCP_NODELAY,
} from '../../spec/constants.js';
import { RULES } from '../../model/index.js';
import { runSequence } from '../../harness/runner.js';
import { modelAdapter } from '../../adapters/model/index.js';
import { linuxAdapter, linuxAvailable, linuxVariants } from '../../adapters/linux/index.js';
import { DEFAULT_PROFILE } from '../../spec/profile.js';
import { REFERENCE_VARIANTS, VARIANT_AXIS_NAMES, variantOf, type Variants } from '../../spec/variants.js';
import { accept, bind, buf16, close, connect, getpeername, getsockname, getsockopt, inet, listen, setsockopt, tcp, udp } from './helpers.js';

import type { Scenario } from './scenario.js';

const L: Call[] = [tcp(), bind(4, inet('127.0.0.1', 5000)), listen(4, 0)];
const to5000 = inet('127.0.0.1', 5000);
const reuse = (fd: number): Call => ({ op: 'setsockopt', fd, level: SOL_SOCKET, name: SO_REUSEADDR, value: 1, optlen: 4 });
const fcntl = (fd: number, cmd: number, arg = 0): Call => ({ op: 'fcntl', fd, cmd, arg });
const accept4 = (fd: number, flags = 0, out = buf16): Call => ({ op: 'accept4', fd, out, flags });
const unspec = { ...inet('0.0.0.0', 0), family: AF_UNSPEC, len: 2 };
const s = (...calls: Call[]): Scenario => ({ calls });
const mmap = (fd: number, o: { len?: number; prot?: number; flags?: number; offset?: number } = {}): Call =>
  ({ op: 'mmap', fd, len: o.len ?? 4096, prot: o.prot ?? 1, flags: o.flags ?? 0x01, offset: o.offset ?? 0 });
const shut = (fd: number, how: number): Call => ({ op: 'shutdown', fd, how });
const small: World = { nofile: 7 };
const poll = (entries: { fd: number; events: number }[], timeout = 0, nfds = entries.length): Call => ({ op: 'poll', fds: 'ok', entries, nfds, timeout });
const nul = { ptr: 'null' } as const;
const select = (nfds: number, read: FdSet, write: FdSet, except: FdSet, timeout: Timeval = { ptr: 'ok', sec: 0, usec: 0 }): Call => ({ op: 'select', nfds, read, write, except, timeout });
const acceptRules = (op: 'accept' | 'accept4'): Record<string, Scenario> => {
  const a = (fd: number, out = buf16): Call => (op === 'accept' ? accept(fd, out) : accept4(fd, 0, out));
  return {
    [`${op}/EBADF`]: s(a(9)),
    [`${op}/EMFILE`]: { world: small, calls: [...L, tcp(), tcp(), a(4)] },
    [`${op}/ENOTSOCK`]: s(a(3)),
    [`${op}/EOPNOTSUPP`]: s(udp(), a(4)),
    [`${op}/EINVAL-not-listening`]: s(tcp(), a(4)),
    [`${op}/EAGAIN`]: s(tcp(SOCK_NONBLOCK), listen(4), a(4)),
    [`${op}/blocks`]: s(tcp(), listen(4), a(4)),
    [`${op}/EFAULT`]: s(...L, tcp(), connect(5, to5000), a(4, { ptr: 'ok', lenPtr: 'bad', len: 16 })),
    [`${op}/EINVAL-addrlen`]: s(...L, tcp(), connect(5, to5000), a(4, { ptr: 'ok', lenPtr: 'ok', len: -1 })),
    [`${op}/ok`]: s(...L, tcp(), connect(5, to5000), a(4)),
  };
};

const snd = (fd: number, hex = '6869', flags = 0): Call => ({ op: 'send', fd, data: hex, flags });
const sendto = (fd: number, addr: AddrIn, hex = '6869', flags = 0): Call => ({ op: 'sendto', fd, data: hex, flags, addr });
const recv = (fd: number, len = 16, flags = 0): Call => ({ op: 'recv', fd, len, flags });
const recvfrom = (fd: number, len = 16, flags = 0, out = buf16): Call => ({ op: 'recvfrom', fd, len, flags, out });
const U: Call[] = [udp(), bind(4, inet('127.0.0.1', 5000)), udp()];
const closed7777 = inet('127.0.0.1', 7777);
const sendRules = (op: 'send' | 'sendto'): Record<string, Scenario> => {
  // send on a socket connected to `to`; sendto names `to` itself.
  const via = (to: AddrIn, fd = 5, flags = 0): Call[] => (op === 'send' ? [connect(fd, to), snd(fd, '6869', flags)] : [sendto(fd, to, '6869', flags)]);
  return {
    [`${op}/EBADF`]: s(op === 'send' ? snd(9) : sendto(9, to5000)),
    [`${op}/ENOTSOCK`]: s(op === 'send' ? snd(3) : sendto(3, to5000)),
    [`${op}/EOPNOTSUPP-oob`]: s(...U, ...via(to5000, 5, MSG_OOB)),
    [`${op}/EDESTADDRREQ`]: s(udp(), op === 'send' ? snd(4) : sendto(4, { ptr: 'null', len: 0 })),
    [`${op}/ENETUNREACH`]: op === 'send'
      ? { unreachable: 'a connected UDP socket has a route to its peer: ip4_datagram_connect refused the connect otherwise, with the same lookup' }
      : s(udp(), sendto(4, inet('10.1.2.3', 5000))),
    [`${op}/EACCES-broadcast`]: op === 'send'
      ? { unreachable: 'connect to a broadcast address without SO_BROADCAST fails (EACCES), and SO_BROADCAST is not in scope' }
      : s(udp(), bind(4, inet('127.0.0.1', 0)), sendto(4, inet('255.255.255.255', 5000))),
    [`${op}/sock-error`]: s(udp(), connect(4, closed7777), snd(4), op === 'send' ? snd(4) : sendto(4, closed7777)),
    [`${op}/EPIPE`]: s(udp(), ...(op === 'send' ? [connect(4, closed7777), shut(4, 1), snd(4)] : [shut(4, 1), sendto(4, to5000)])),
    [`${op}/delivered`]: s(...U, ...via(to5000)),
    [`${op}/dropped-full`]: { unreachable: 'the send answers the same whether a full queue took the datagram or dropped it; a later recv tells which, and the runner names the first of equal outcomes (delivered)' },
    [`${op}/refused`]: s(udp(), ...via(closed7777, 4)),
    [`${op}/no-receiver`]: s(udp(), bind(4, inet('127.0.0.1', 0)), ...via(inet('224.0.0.2', 5000), 4)),
    [`${op}/multicast`]: s(udp(), bind(4, inet('0.0.0.0', 5000)), udp(), bind(5, inet('127.0.0.1', 0)), ...via(inet('224.0.0.1', 5000))),
    // A failed re-connect leaves its target in the flow key: the first send (no cached
    // route) goes to the peer and is refused, the pending error is returned by the next,
    // and the one after that goes to 10.1.2.3:5000 on the cached route: no ICMP, no error.
    [`${op}/stale-flow`]: s(udp(), connect(4, closed7777), connect(4, inet('10.1.2.3', 5000)), snd(4), snd(4),
      op === 'send' ? snd(4) : sendto(4, { ptr: 'null', len: 0 })),
  };
};
const recvRules = (op: 'recv' | 'recvfrom'): Record<string, Scenario> => {
  const r = (fd: number, len = 16, flags = 0): Call => (op === 'recv' ? recv(fd, len, flags) : recvfrom(fd, len, flags));
  return {
    [`${op}/EBADF`]: s(r(9)),
    [`${op}/ENOTSOCK`]: s(r(3)),
    [`${op}/sock-error`]: s(udp(), connect(4, closed7777), snd(4), r(4)),
    [`${op}/EAGAIN`]: s(udp(), r(4, 16, MSG_DONTWAIT)),
    [`${op}/shutdown-eof`]: s(udp(), shut(4, 0), r(4)),
    [`${op}/blocks`]: s(udp(), r(4)),
    [`${op}/datagram`]: s(...U, sendto(5, to5000, '68656c6c6f'), r(4, 2)),
    [`${op}/peek`]: s(...U, sendto(5, to5000, '68656c6c6f'), r(4, 16, MSG_PEEK | MSG_TRUNC)),
    // A blocking socket with a datagram queued: the empty error queue answers at once.
    [`${op}/EAGAIN-errqueue`]: s(...U, sendto(5, to5000, '68656c6c6f'), r(4, 16, MSG_ERRQUEUE)),
  };
};

/** A TCP connection over loopback: listener 4, client 5, accepted server 6. */
const C: Call[] = [...L, tcp(), connect(5, to5000), accept(4)];

const tcpSendRules = (op: 'send' | 'sendto'): Record<string, Scenario> => {
  // sendto's address is not looked at on a TCP socket: it names a closed port here.
  const w = (fd: number, hex = '6869', flags = 0): Call => (op === 'send' ? snd(fd, hex, flags) : sendto(fd, closed7777, hex, flags));
  return {
    // The peer closed with our bytes unread: RST, ECONNRESET in sk_err (sk_stream_wait_connect).
    [`${op}/tcp-sock-error`]: s(...C, w(5), close(6), w(5)),
    [`${op}/tcp-EPIPE`]: s(tcp(), w(4)),
    // A full accept queue (backlog 0, one queued) drops the SYN: SYN_SENT.
    [`${op}/tcp-EAGAIN-connecting`]: s(...L, tcp(), connect(5, to5000), tcp(SOCK_NONBLOCK), connect(6, to5000), w(6)),
    [`${op}/tcp-blocks-connecting`]: { unreachable: 'the adapter makes sends without a deadline, and a blocking SYN_SENT socket waits for a SYN retransmission (>= 1 s); the generator never sends on one' },
    [`${op}/tcp-empty`]: s(...C, w(5, '')),
    [`${op}/tcp-sent`]: s(...C, w(5)),
    // The first segment is unacknowledged (maybe: the peer may have acked it at once), so
    // Nagle may hold the second.
    [`${op}/tcp-queued`]: s(...C, w(5), w(5)),
    [`${op}/tcp-EAGAIN-sndbuf`]: { unreachable: 'needs a small SO_SNDBUF full of skbs that wait for a delayed ACK: allowed, never forced (the kernel acks in time unless the peer is in delayed-ACK mode)' },
  };
};

const tcpRecvRules = (op: 'recv' | 'recvfrom'): Record<string, Scenario> => {
  const r = (fd: number, len = 16, flags = 0): Call => (op === 'recv' ? recv(fd, len, flags) : recvfrom(fd, len, flags));
  return {
    [`${op}/tcp-ENOTCONN-listener`]: s(...L, r(4)),
    [`${op}/tcp-data`]: s(...C, snd(5, '68656c6c6f'), r(6, 2)),
    [`${op}/tcp-peek`]: s(...C, snd(5, '68656c6c6f'), r(6, 16, MSG_PEEK)),
    // MSG_TRUNC drops the bytes without copying them: the buffer keeps its fill.
    [`${op}/tcp-discard`]: s(...C, snd(5, '68656c6c6f'), r(6, 3, MSG_TRUNC), r(6, 16, MSG_TRUNC)),
    [`${op}/tcp-eof`]: s(...C, snd(5), shut(5, 1), r(6), r(6)),
    // The peer closed with bytes unread: RST; the queued bytes come first, then the error.
    [`${op}/tcp-sock-error`]: s(...C, snd(6), snd(5), close(6), r(5), r(5)),
    [`${op}/tcp-ENOTCONN`]: s(tcp(), r(4)),
    [`${op}/tcp-EAGAIN`]: s(...C, r(6, 16, MSG_DONTWAIT)),
    [`${op}/tcp-blocks`]: s(...C, r(6)),
    [`${op}/tcp-empty-wait`]: s(...C, r(6, 0)),
  };
};

const SCENARIOS: Record<string, Scenario> = {
  'socket/EINVAL-flags': s({ op: 'socket', domain: 2, type: 1 | 0x100, protocol: 0 }),
  'socket/EAFNOSUPPORT-range': s({ op: 'socket', domain: 46, type: 1, protocol: 0 }),
  'socket/EINVAL-type': s({ op: 'socket', domain: 2, type: 11, protocol: 0 }),
  'socket/EAFNOSUPPORT': s({ op: 'socket', domain: 0, type: 1, protocol: 0 }),
  'socket/EINVAL-protocol': s({ op: 'socket', domain: 2, type: 1, protocol: -1 }),
  'socket/ESOCKTNOSUPPORT': s({ op: 'socket', domain: 2, type: 7, protocol: 0 }),
  'socket/EPROTONOSUPPORT': s({ op: 'socket', domain: 2, type: 1, protocol: 17 }),
  'socket/EACCES-ping': s({ op: 'socket', domain: 2, type: 2, protocol: 1 }),
  'socket/unix-EPROTONOSUPPORT': s({ op: 'socket', domain: AF_UNIX, type: 2, protocol: 2 }),
  'socket/unix-ESOCKTNOSUPPORT': s({ op: 'socket', domain: AF_UNIX, type: 4, protocol: 0 }),
  'socket/EMFILE': { world: small, calls: [tcp(), tcp(), tcp(), tcp()] },
  'socket/tcp': s(tcp()),
  'socket/udp': s(udp()),
  'bind/EBADF': s(bind(9, to5000)),
  'bind/ENOTSOCK': s(bind(3, to5000)),
  'bind/EINVAL-addrlen': s(tcp(), bind(4, inet('127.0.0.1', 5000, 129))),
  'bind/EFAULT': s(tcp(), bind(4, { ptr: 'bad', len: 16 })),
  'bind/EINVAL-short': s(tcp(), bind(4, inet('127.0.0.1', 5000, 8))),
  'bind/EAFNOSUPPORT': s(tcp(), bind(4, { ...to5000, family: AF_INET6 })),
  'bind/EADDRNOTAVAIL': s(tcp(), bind(4, inet('10.1.2.3', 5000))),
  'bind/EACCES': { world: { capNetBindService: false }, calls: [tcp(), bind(4, inet('127.0.0.1', 80))] },
  'bind/EINVAL-bound': s(tcp(), bind(4, to5000), bind(4, inet('127.0.0.1', 5001))),
  'bind/EADDRINUSE': s(tcp(), tcp(), bind(4, to5000), bind(5, inet('0.0.0.0', 5000))),
  'bind/port': s(tcp(), bind(4, to5000)),
  'bind/ephemeral': s(tcp(), bind(4, inet('127.0.0.1', 0))),
  'listen/EBADF': s(listen(9)),
  'listen/ENOTSOCK': s(listen(3)),
  'listen/EOPNOTSUPP': s(udp(), listen(4)),
  'listen/EINVAL-sockstate': s(...L, tcp(), connect(5, to5000), listen(5)),
  'listen/EINVAL-state': { unreachable: 'every path in scope that sets SS_UNCONNECTED also closes the socket (tcp_disconnect), so listen never sees SS_UNCONNECTED with sk_state outside CLOSE/LISTEN' },
  'listen/EADDRINUSE': s(tcp(), tcp(), reuse(4), reuse(5), bind(4, to5000), bind(5, to5000), listen(4), listen(5)),
  'listen/again': s(...L, listen(4, 5)),
  'listen/bound': s(...L),
  'listen/autobind': s(tcp(), listen(4)),
  'listen/EINVAL-after-connection': { variant: { 'listen-after-connection': 'einval-bound' }, calls: [tcp(), connect(4, to5000), listen(4)] },
  ...acceptRules('accept'),
  ...acceptRules('accept4'),
  'accept4/EINVAL-flags': s(tcp(), accept4(4, 1)),
  'connect/EBADF': s(connect(9, to5000)),
  'connect/EINVAL-addrlen': s(tcp(), connect(4, inet('127.0.0.1', 5000, -1))),
  'connect/EFAULT': s(tcp(), connect(4, { ptr: 'bad', len: 16 })),
  'connect/ENOTSOCK': s(connect(3, to5000)),
  'connect/EINVAL-short': s(tcp(), connect(4, inet('127.0.0.1', 5000, 1))),
  'connect/tcp-unspec': s(tcp(), connect(4, unspec)),
  'connect/EINVAL-sockstate': s(tcp(SOCK_NONBLOCK), connect(4, to5000), shut(4, 2), connect(4, to5000)),
  'connect/EISCONN': s(...L, tcp(), connect(5, to5000), connect(5, to5000)),
  'connect/EALREADY': s(...L, tcp(), connect(5, to5000), tcp(SOCK_NONBLOCK), connect(6, to5000), connect(6, to5000)),
  'connect/pending-blocks': s(...L, tcp(), connect(5, to5000), tcp(), connect(6, to5000), connect(6, to5000)),
  'connect/completes': s(...L, tcp(SOCK_NONBLOCK), connect(5, to5000), connect(5, to5000)),
  'connect/sock-error': s(tcp(SOCK_NONBLOCK), connect(4, to5000), connect(4, to5000)),
  'connect/EISCONN-state': s(...L, connect(4, to5000)),
  'connect/tcp-EINVAL-len': s(tcp(), connect(4, inet('127.0.0.1', 5000, 8))),
  'connect/tcp-EAFNOSUPPORT': s(tcp(), connect(4, { ...to5000, family: AF_INET6 })),
  'connect/tcp-ENETUNREACH': s(tcp(), connect(4, inet('10.1.2.3', 80))),
  'connect/EADDRNOTAVAIL': s(...L, tcp(), tcp(), reuse(5), reuse(6), bind(5, inet('127.0.0.1', 6000)), bind(6, inet('127.0.0.1', 6000)), connect(5, to5000), connect(6, to5000)),
  'connect/EADDRNOTAVAIL-fin-wait1': {
    calls: [...L, tcp(), reuse(5), bind(5, inet('127.0.0.1', 6000)), connect(5, to5000), close(5), tcp(), reuse(5), bind(5, inet('127.0.0.1', 6000)), connect(5, to5000)],
    timing: {
      alsoAllowed: ['connect/queue-full-blocks', 'connect/established'],
      why: 'the closed socket stays in FIN_WAIT1 only until the peer\'s delayed ACK (>= 40 ms); a connect made later takes its timewait socket over',
    },
  },
  'connect/established': s(...L, tcp(), connect(5, to5000)),
  'connect/EINPROGRESS': s(...L, tcp(SOCK_NONBLOCK), connect(5, to5000)),
  'connect/queue-full-blocks': s(...L, tcp(), connect(5, to5000), tcp(), connect(6, to5000)),
  'connect/queue-full-EINPROGRESS': s(...L, tcp(), connect(5, to5000), tcp(SOCK_NONBLOCK), connect(6, to5000)),
  'connect/ECONNREFUSED': s(tcp(), connect(4, to5000)),
  'connect/EINPROGRESS-refused': s(tcp(SOCK_NONBLOCK), connect(4, to5000)),
  'connect/self': s(tcp(), bind(4, inet('127.0.0.1', 6000)), connect(4, inet('127.0.0.1', 6000))),
  'connect/self-shutdown': s(tcp(), bind(4, inet('127.0.0.1', 6000)), shut(4, 1), connect(4, inet('127.0.0.1', 6000))),
  'connect/udp-unspec': s(udp(), connect(4, inet('127.0.0.1', 7000)), connect(4, unspec)),
  'connect/udp-EINVAL-len': s(udp(), connect(4, inet('127.0.0.1', 7000, 8))),
  'connect/udp-EAFNOSUPPORT': s(udp(), connect(4, { ...inet('127.0.0.1', 7000), family: AF_INET6 })),
  'connect/udp-ENETUNREACH': s(udp(), connect(4, inet('10.1.2.3', 7000))),
  'connect/udp-EACCES-broadcast': s(udp(), bind(4, inet('127.0.0.1', 0)), connect(4, inet('255.255.255.255', 7000))),
  'connect/udp': s(udp(), connect(4, inet('127.0.0.1', 7000))),
  'getsockname/EBADF': s(getsockname(9)),
  'getsockname/ENOTSOCK': s(getsockname(3)),
  'getsockname/EFAULT': s(tcp(), getsockname(4, { ptr: 'bad', lenPtr: 'ok', len: 16 })),
  'getsockname/EINVAL': s(tcp(), getsockname(4, { ptr: 'ok', lenPtr: 'ok', len: -1 })),
  'getsockname/ok': s(tcp(), getsockname(4)),
  'getpeername/EBADF': s(getpeername(9)),
  'getpeername/ENOTSOCK': s(getpeername(3)),
  'getpeername/ENOTCONN': s(tcp(), getpeername(4)),
  'getpeername/EFAULT': s(...L, tcp(), connect(5, to5000), getpeername(5, { ptr: 'bad', lenPtr: 'ok', len: 16 })),
  'getpeername/EINVAL': s(...L, tcp(), connect(5, to5000), getpeername(5, { ptr: 'ok', lenPtr: 'ok', len: -1 })),
  'getpeername/ok': s(...L, tcp(), connect(5, to5000), getpeername(5)),
  'close/EBADF': s(close(9)),
  'close/file': s(close(0)),
  'close/udp': s(udp(), close(4)),
  'close/tcp-unconnected': s(tcp(), close(4)),
  'close/tcp-listener': s(...L, tcp(), connect(5, to5000), close(4)),
  'close/tcp-fin': s(...L, tcp(), connect(5, to5000), close(5)),
  'close/tcp-last-ack': s(...L, tcp(), connect(5, to5000), accept(4), close(5), close(6)),
  'close/tcp-self': s(tcp(), bind(4, inet('127.0.0.1', 6000)), connect(4, inet('127.0.0.1', 6000)), close(4)),
  'close/tcp-fin-wait2': s(...L, tcp(), connect(5, to5000), shut(5, 1), close(5)),
  'fcntl/EBADF': s(fcntl(9, F_GETFL)),
  'fcntl/EINVAL-cmd': s(tcp(), fcntl(4, 9999)),
  'fcntl/F_GETFD': s(tcp(), fcntl(4, F_GETFD)),
  'fcntl/F_SETFD': s(tcp(), fcntl(4, F_SETFD, 1)),
  'fcntl/F_GETFL': s(tcp(), fcntl(4, F_GETFL)),
  'fcntl/F_SETFL': s(tcp(), fcntl(4, F_SETFL, SOCK_NONBLOCK)),
  'fcntl/F_SETFL-EINVAL-direct': s(tcp(), fcntl(4, F_SETFL, 0o40000)),
  'setsockopt/EBADF': s(reuse(9)),
  'setsockopt/ENOTSOCK': s(reuse(3)),
  'setsockopt/EINVAL-optlen': s(tcp(), { op: 'setsockopt', fd: 4, level: SOL_SOCKET, name: SO_REUSEADDR, value: 1, optlen: 2 }),
  'setsockopt/SO_REUSEADDR': s(tcp(), reuse(4)),
  'shutdown/EBADF': s(shut(9, 1)),
  'shutdown/ENOTSOCK': s(shut(3, 1)),
  'shutdown/EINVAL-how': s(tcp(), shut(4, 3)),
  'shutdown/ENOTCONN': s(tcp(), shut(4, 1)),
  'shutdown/listener-write': s(...L, shut(4, 1)),
  'shutdown/listener-stop': s(...L, tcp(), connect(5, to5000), shut(4, 0)),
  'shutdown/syn-sent': s(...L, tcp(), connect(5, to5000), tcp(SOCK_NONBLOCK), connect(6, to5000), shut(6, 2)),
  'shutdown/read': s(...L, tcp(), connect(5, to5000), shut(5, 0)),
  'shutdown/fin': s(...L, tcp(), connect(5, to5000), shut(5, 1)),
  'shutdown/other': s(udp(), connect(4, inet('127.0.0.1', 7000)), shut(4, 1)),
  'mmap/EINVAL-offset': s(mmap(9, { offset: 1 })),
  'mmap/EBADF': s(mmap(9, { flags: 0x01 | 0x40000 })),
  'mmap/EINVAL-hugetlb': s(tcp(), mmap(4, { flags: 0x01 | 0x40000, len: 0 })),
  'mmap/EINVAL-len': s(tcp(), mmap(4, { len: 0, flags: 0 })),
  'mmap/EINVAL-type': s(tcp(), mmap(4, { flags: 0x04 })),
  'mmap/EOPNOTSUPP-validate': s(tcp(), mmap(4, { flags: 0x03 | 0x80000, prot: 0x2 })),
  'mmap/EACCES': s(mmap(3, { prot: 0x3, flags: 0x01 })),
  'mmap/EPERM-noexec': { variant: { 'mmap-exec-pseudofs': 'eperm' }, calls: [udp(), mmap(4, { prot: 0x5, flags: 0x02 })] },
  'mmap/EINVAL-growsdown': s(tcp(), mmap(4, { prot: 0x1, flags: 0x01 | 0x100 })),
  'mmap/ENODEV-file': s(mmap(0, { prot: 0x7, flags: 0x01 })),
  'mmap/ENODEV-sock': s(udp(), mmap(4, { prot: 0x3 })),
  'mmap/EPERM-tcp': s(tcp(), mmap(4, { prot: 0x2, flags: 0x02 })),
  'mmap/tcp': s(...L, mmap(4, { prot: 0, flags: 0x02 | 0x8000, len: 1, offset: 4096 })),
  'socketcall/EINVAL-call': s({ op: 'socketcall', num: 21, args: 'ok' }),
  'socketcall/EFAULT': s({ op: 'socketcall', num: SYS_LISTEN, args: 'bad' }),
  'socketcall/EFAULT-short': s(tcp(), { op: 'socketcall', num: SYS_LISTEN, args: 'ok', readable: 1, call: listen(4, 0) as SocketcallInner }),
  'setsockopt/ENOPROTOOPT-level': s(udp(), setsockopt(4, TCP_NODELAY, 1, { level: IPPROTO_TCP, optlen: 2 })),
  'setsockopt/EFAULT': s(tcp(), setsockopt(4, SO_REUSEADDR, 1, { ptr: 'bad' })),
  'setsockopt/ENOPROTOOPT': s(tcp(), setsockopt(4, SO_TYPE)),
  'setsockopt/SO_REUSEPORT': s(tcp(), setsockopt(4, SO_REUSEPORT)),
  'setsockopt/SO_KEEPALIVE': s(udp(), setsockopt(4, SO_KEEPALIVE)),
  'setsockopt/SO_RCVBUF': s(tcp(), setsockopt(4, SO_RCVBUF, 5000)),
  'setsockopt/SO_SNDBUF': s(tcp(), setsockopt(4, SO_SNDBUF, -1)),
  'setsockopt/TCP_NODELAY': s(tcp(), setsockopt(4, TCP_NODELAY, 7, { level: IPPROTO_TCP })),
  'getsockopt/EBADF': s(getsockopt(9, SO_TYPE)),
  'getsockopt/ENOTSOCK': s(getsockopt(3, SO_TYPE)),
  // ip_getsockopt's level check comes before *optlen is read.
  'getsockopt/EOPNOTSUPP-level': s(udp(), getsockopt(4, TCP_NODELAY, { level: IPPROTO_TCP, opt: { ptr: 'ok', lenPtr: 'bad', len: 4 } })),
  // *optlen is read before the option is looked up.
  'getsockopt/EFAULT-optlen': s(tcp(), getsockopt(4, 9999, { opt: { ptr: 'ok', lenPtr: 'bad', len: 4 } })),
  // do_tcp_getsockopt checks len < 0 before it clamps (Linux 6.18).
  'getsockopt/EINVAL-optlen': s(tcp(), getsockopt(4, TCP_NODELAY, { level: IPPROTO_TCP, opt: { ptr: 'ok', lenPtr: 'ok', len: -1 } })),
  'getsockopt/ENOPROTOOPT': s(tcp(), getsockopt(4, 9999, { opt: { ptr: 'bad', lenPtr: 'ok', len: 4 } })),
  // do_tcp_getsockopt writes *optlen (4) before the value faults.
  'getsockopt/EFAULT-optval': s(tcp(), getsockopt(4, TCP_NODELAY, { level: IPPROTO_TCP, opt: { ptr: 'bad', lenPtr: 'ok', len: 8 } })),
  // A short buffer gets the first bytes of the int.
  'getsockopt/SO_TYPE': s(udp(), getsockopt(4, SO_TYPE, { opt: { ptr: 'ok', lenPtr: 'ok', len: 2 } })),
  'getsockopt/SO_DOMAIN': s(tcp(), getsockopt(4, SO_DOMAIN, { opt: { ptr: 'ok', lenPtr: 'ok', len: 16 } })),
  'getsockopt/SO_PROTOCOL': s(udp(), getsockopt(4, SO_PROTOCOL)),
  // The read that faults still clears sk_err: the next one reads 0.
  'getsockopt/SO_ERROR': s(tcp(SOCK_NONBLOCK), connect(4, to5000), getsockopt(4, SO_ERROR, { opt: { ptr: 'bad', lenPtr: 'ok', len: 4 } }), getsockopt(4, SO_ERROR)),
  'getsockopt/SO_ACCEPTCONN': s(...L, getsockopt(4, SO_ACCEPTCONN)),
  // The accepted socket inherits SOCK_KEEPOPEN (sk_clone_lock).
  'getsockopt/SO_KEEPALIVE': s(tcp(), setsockopt(4, SO_KEEPALIVE), bind(4, to5000), listen(4), tcp(), connect(5, to5000), accept(4), getsockopt(6, SO_KEEPALIVE)),
  'getsockopt/SO_REUSEADDR': s(tcp(), reuse(4), getsockopt(4, SO_REUSEADDR)),
  'getsockopt/SO_REUSEPORT': s(udp(), setsockopt(4, SO_REUSEPORT, 2), getsockopt(4, SO_REUSEPORT)),
  'getsockopt/SO_RCVBUF': s(udp(), setsockopt(4, SO_RCVBUF, -1), getsockopt(4, SO_RCVBUF)),
  // ESTABLISHED: tcp_sndbuf_expand's value is a hole.
  'getsockopt/SO_SNDBUF': s(...L, tcp(), connect(5, to5000), getsockopt(5, SO_SNDBUF)),
  'getsockopt/TCP_NODELAY': s(tcp(), setsockopt(4, TCP_NODELAY, 1, { level: IPPROTO_TCP }), bind(4, to5000), listen(4), tcp(), connect(5, to5000), accept(4), getsockopt(6, TCP_NODELAY, { level: IPPROTO_TCP })),
  'poll/EINVAL-nfds': { world: small, calls: [poll([{ fd: 0, events: POLLIN }], 0, 8)] },
  'poll/EFAULT': s({ op: 'poll', fds: 'bad', entries: [{ fd: 0, events: POLLIN }], nfds: 1, timeout: 0 }),
  ...sendRules('send'), ...sendRules('sendto'),
  'sendto/EINVAL-addrlen': s(udp(), sendto(4, inet('127.0.0.1', 5000, 129))),
  'sendto/EFAULT': s(udp(), sendto(4, { ptr: 'bad', len: 16 })),
  'sendto/EINVAL-short': s(udp(), sendto(4, inet('127.0.0.1', 5000, 8))),
  'sendto/EAFNOSUPPORT': s(udp(), sendto(4, { ...to5000, family: AF_INET6 })),
  'sendto/EINVAL-port0': s(udp(), sendto(4, inet('127.0.0.1', 0))),
  ...recvRules('recv'), ...recvRules('recvfrom'),
  ...tcpSendRules('send'), ...tcpSendRules('sendto'), ...tcpRecvRules('recv'), ...tcpRecvRules('recvfrom'),
  'close/tcp-reset-unread': s(...C, snd(5), close(6)),
  'internal/tcp-delivered': { unreachable: 'a transition between calls, not the answer of a call (a held send released by the peer\'s delayed ACK, >= 40 ms, or by a FIN); allowed, never forced' },
  'recvfrom/EFAULT': s(...U, sendto(5, to5000), recvfrom(4, 16, 0, { ptr: 'ok', lenPtr: 'bad', len: 16 })),
  'recvfrom/EINVAL-addrlen': s(...U, sendto(5, to5000), recvfrom(4, 16, 0, { ptr: 'ok', lenPtr: 'ok', len: -1 })),
  'poll/ready': s(tcp(), poll([{ fd: 4, events: POLLIN | POLLOUT }])),
  'poll/timeout': s(...L, poll([{ fd: 4, events: POLLIN }, { fd: -1, events: POLLIN }])),
  'poll/blocks': s(...L, poll([{ fd: 4, events: POLLIN }], -1)),
  'select/EFAULT-timeout': s(select(-1, { ptr: 'ok', fds: [0] }, nul, nul, { ptr: 'bad' })),
  'select/EINVAL-timeout': s(select(-1, { ptr: 'ok', fds: [0] }, nul, nul, { ptr: 'ok', sec: 0, usec: -1 })),
  'select/EINVAL-nfds': s(select(-1, { ptr: 'ok', fds: [0] }, nul, nul)),
  'select/EFAULT': s(select(1, { ptr: 'bad' }, nul, nul)),
  'select/EBADF': s(select(10, { ptr: 'ok', fds: [0, 9] }, nul, nul)),
  'select/ready': s(...L, tcp(), connect(5, to5000), select(6, { ptr: 'ok', fds: [3, 4, 5] }, { ptr: 'ok', fds: [4, 5] }, { ptr: 'ok', fds: [5] })),
  'select/timeout': s(...L, select(5, { ptr: 'ok', fds: [4] }, nul, { ptr: 'ok', fds: [0, 4] }, { ptr: 'ok', sec: 0, usec: 1000 })),
  'select/blocks': s(...L, select(5, { ptr: 'ok', fds: [4] }, nul, nul, { ptr: 'null' })),
  'internal/syn-retransmit-accepted': { unreachable: 'needs a SYN retransmitted (>= 1 s, TCP_TIMEOUT_INIT) within one sequence; allowed, never forced' },
  'internal/syn-retransmit-refused': { unreachable: 'needs a SYN retransmitted (>= 1 s, TCP_TIMEOUT_INIT) within one sequence; allowed, never forced' },
};

/**
 * The readiness of each kind of socket the model knows, asked for everything (0xffff) and
 * for POLLIN alone (POLLERR and POLLHUP come anyway), each checked against the kernel by
 * the test below and pinned on the model in rules.test.ts.
 */
export const POLL_STATES: Record<string, Call[]> = {
  'never-connected tcp (CLOSE: POLLOUT|POLLHUP)': [tcp()],
  'listener, empty queue': [...L],
  'listener, pending connection': [...L, tcp(), connect(5, to5000)],
  'connected client and accepted server': [...L, tcp(), connect(5, to5000), accept(4)],
  'bytes queued both ways (POLLIN)': [...L, tcp(), connect(5, to5000), accept(4), { op: 'send', fd: 5, data: '6869', flags: 0 }, { op: 'send', fd: 6, data: '6869', flags: 0 }],
  // tcp_close_state before tcp_send_fin: the held byte meets its own RCV_SHUTDOWN (RST).
  'self-connected, bytes maybe held, then SHUT_RDWR': [tcp(), bind(4, inet('127.0.0.1', 6000)), connect(4, inet('127.0.0.1', 6000)), snd(4, '00'), snd(4, '00'), snd(4, '00'), shut(4, 2), recv(4)],
  'bytes queued, then reset by the peer': [...L, tcp(), connect(5, to5000), accept(4), { op: 'send', fd: 6, data: '6869', flags: 0 }, { op: 'send', fd: 5, data: '6869', flags: 0 }, { op: 'close', fd: 6 }],
  'half-closed by the peer (CLOSE_WAIT) and own SHUT_WR': [...L, tcp(), connect(5, to5000), accept(4), shut(5, 1)],
  'own SHUT_RD': [...L, tcp(), connect(5, to5000), shut(5, 0)],
  'both FINs: LAST_ACK done and TIME_WAIT handed over (tcp_done)': [...L, tcp(), connect(5, to5000), accept(4), shut(5, 1), shut(6, 1)],
  'reset by the peer (POLLERR until SO_ERROR is read)': [...L, tcp(), connect(5, to5000), close(4)],
  'refused non-blocking connect': [tcp(SOCK_NONBLOCK), connect(4, inet('127.0.0.1', 1))],
  'refused connect reported, then the error gone': [tcp(SOCK_NONBLOCK), connect(4, inet('127.0.0.1', 1)), connect(4, inet('127.0.0.1', 1))],
  'SYN_SENT (listener queue full)': [...L, tcp(), connect(5, to5000), tcp(SOCK_NONBLOCK), connect(6, to5000)],
  'unconnected tcp shut for reading (ENOTCONN, bits set)': [tcp(), shut(4, 0)],
  'udp with a datagram queued (POLLIN)': [...U, sendto(5, to5000)],
  'udp, connected udp, udp shut both ways': [udp(), udp(), connect(5, inet('127.0.0.1', 7000)), udp(), shut(6, 2)],
  'closed fd, never-open fd, negative fd': [tcp(), close(4)],
};

// Scenarios of further areas live in test/model/scenarios/*.ts, each exporting SCENARIOS; a
// rule named twice is an error.
{
  const dir = new URL('./scenarios/', import.meta.url);
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts')).sort()) {
    const m = (await import(new URL(f, dir).href)) as { SCENARIOS: Record<string, Scenario> };
    for (const [rule, sc] of Object.entries(m.SCENARIOS)) {
      if (rule in SCENARIOS) throw new Error(`test/model/scenarios/${f}: ${rule} has a scenario already`);
      SCENARIOS[rule] = sc;
    }
  }
}

const runnable = Object.entries(SCENARIOS).filter((e): e is [string, Exclude<Scenario, { unreachable: string }>] => 'calls' in e[1]);

// The kernel the scenarios run on: this machine's, or another one named by
// SOCKSPEC_KERNEL_ADAPTER (e.g. linux-vm:6.1: the same scenarios on every kernel).
const KERNEL = process.env['SOCKSPEC_KERNEL_ADAPTER'] ?? 'linux';
let kernel: Adapter = linuxAdapter;
let why = KERNEL === 'linux' ? linuxAvailable() : undefined;
if (KERNEL !== 'linux') {
  try { kernel = await adapterByName(KERNEL); } catch (e) { why = (e as Error).message; }
}
afterAll(() => disposeAdapter(kernel));
// A scenario of a variant this kernel does not have cannot reach its rule here: it is
// run on the kernels that have it (linux-vm), and named here as not applicable.
const kernelVariants: Variants = why !== undefined ? REFERENCE_VARIANTS
  : KERNEL === 'linux' ? await linuxVariants()
    : await (async () => {
      const s = await kernel.open({ deadlineMs: 50 });
      try { return Object.fromEntries(VARIANT_AXIS_NAMES.map((a) => [a, variantOf(s.profile.variants, a)])) as Variants; } finally { await s.close(); }
    })();

describe('one scenario per rule', () => {
  it('every_model_rule_has_a_scenario_or_a_reason', () => {
    expect(Object.keys(SCENARIOS).sort()).toEqual([...RULES].sort());
  });

  it.each(runnable)('model_names_%s', async (rule, sc) => {
    const session = await modelAdapter(sc.variant ? { ...DEFAULT_PROFILE, variants: sc.variant } : DEFAULT_PROFILE).open({ deadlineMs: 1, ...(sc.world ? { world: sc.world } : {}) });
    const r = await runSequence(session, sc.calls);
    expect(r.divergence).toBeUndefined();
    expect(r.steps.at(-1)?.rule).toBe(rule);
  });

  const applies = (sc: { variant?: Partial<Variants> }): boolean =>
    Object.entries(sc.variant ?? {}).every(([a, v]) => kernelVariants[a as keyof Variants] === v);
  for (const [rule, sc] of runnable.filter(([, sc]) => !applies(sc))) {
    const axes = Object.keys(sc.variant ?? {}) as (keyof Variants)[];
    it.skip(`kernel_scenario_${rule}_not_applicable_here: it needs ${axes.map((a) => `${a}=${sc.variant?.[a]}`).join(' ')}, this kernel has ${axes.map((a) => `${a}=${kernelVariants[a]}`).join(' ')}`, () => {});
  }
  (why === undefined ? it : it.skip)(`the_kernel_agrees_on_every_scenario${why === undefined ? '' : ` (skipped: ${why})`}`, async () => {
    const bad: string[] = [];
    for (const [rule, sc] of runnable.filter(([, sc]) => applies(sc))) {
      const session = await kernel.open({ deadlineMs: 50, ...(sc.world ? { world: sc.world } : {}) });
      try {
        const r = await runSequence(session, sc.calls);
        if (r.divergence || r.error) bad.push(`${rule}: ${JSON.stringify(r.steps.at(-1))} ${r.error ?? ''}`);
        else if (r.steps.at(-1)?.rule !== rule && !(sc.timing?.alsoAllowed.includes(r.steps.at(-1)?.rule ?? '') ?? false)) {
          bad.push(`${rule}: the kernel's answer matched ${r.steps.at(-1)?.rule}`);
        }
      } finally {
        await session.close();
      }
    }
    expect(bad).toEqual([]);
  });

  (why === undefined ? it : it.skip)(`the_kernel_agrees_on_poll_and_select_in_every_state${why === undefined ? '' : ` (skipped: ${why})`}`, async () => {
    const bad: string[] = [];
    for (const [name, calls] of Object.entries(POLL_STATES)) {
      const fds = [0, 3, 4, 5, 6, 7, 8, -1];
      const probes: Call[] = [
        poll(fds.map((fd) => ({ fd, events: 0xffff }))), poll(fds.map((fd) => ({ fd, events: POLLIN }))),
        select(7, { ptr: 'ok', fds: [0, 3, 4, 5, 6] }, { ptr: 'ok', fds: [4, 5, 6] }, { ptr: 'ok', fds: [3, 4, 5, 6] }),
      ];
      const session = await kernel.open({ deadlineMs: 50 });
      try {
        const r = await runSequence(session, [...calls, ...probes]);
        if (r.divergence || r.error) bad.push(`${name}: ${JSON.stringify(r.divergence ?? r.error)}`);
      } finally {
        await session.close();
      }
    }
    expect(bad).toEqual([]);
  });

  // The argument-count table (net/compat.c nas[]): for each call socketcall carries here
  // (the data calls too: SYS_SEND 4 words, SYS_SENDTO 6, SYS_RECV 4, SYS_RECVFROM 6, SYS_SENDMSG 3, SYS_RECVMSG 3),
  // one word fewer than the table says faults, exactly the table's count dispatches.
  (why === undefined ? it : it.skip)(`the_kernel_reads_exactly_the_table_s_argument_count${why === undefined ? '' : ` (skipped: ${why})`}`, async () => {
    const msg = { ptr: 'ok', iov: 'ok', iovs: [{ ptr: 'ok', len: 4 }], iovlen: 1, control: 'ok', controllen: 0, flags: 0 } as const;
    const carried = [
      tcp(), bind(4, to5000), connect(4, to5000), listen(4, 0), accept(4), accept4(4), getsockname(4), getpeername(4), reuse(4), shut(4, 1),
      snd(4), sendto(4, to5000), recv(4), recvfrom(4),
      { op: 'sendmsg', fd: 4, msg: { ...msg, name: { ptr: 'null', len: 0 }, iovs: [{ ptr: 'ok', data: '6869' }] }, flags: 0 },
      { op: 'recvmsg', fd: 4, msg: { ...msg, name: { ptr: 'ok', len: 16 } }, flags: 0 },
    ] as SocketcallInner[];
    const bad: string[] = [];
    for (const c of carried) {
      const num = SOCKETCALL_NUM[c.op];
      for (const readable of [SOCKETCALL_NARGS[num]! - 1, SOCKETCALL_NARGS[num]!]) {
        const session = await kernel.open({ deadlineMs: 50 });
        try {
          const r = await runSequence(session, [tcp(), { op: 'socketcall', num, args: 'ok', readable, call: c }]);
          const last = r.steps.at(-1)!;
          const faulted = last.observed.kind === 'returned' && last.observed.errno === 'EFAULT';
          if (r.divergence || r.error) bad.push(`${c.op} readable ${readable}: ${JSON.stringify(last)} ${r.error ?? ''}`);
          else if (faulted !== readable < SOCKETCALL_NARGS[num]!) bad.push(`${c.op} readable ${readable}: ${JSON.stringify(last.observed)}`);
        } finally {
          await session.close();
        }
      }
    }
    expect(bad).toEqual([]);
  });
});
