/**
 * Random call sequences (fast-check arbitraries over templates). Valid arguments are the
 * common case; `invalid` (0..1) is the share of draws that take an invalid domain
 * (bad fds, lengths, families, flags, pointers) instead.
 */
import fc from 'fast-check';
import type { World } from '../spec/adapter.js';
import type { AddrOut, Op, OptOut, Timeval } from '../spec/call.js';
import {
  AF_INET, AF_INET6, AF_UNIX, AF_UNSPEC, F_GETFD, F_GETFL, F_SETFD, F_SETFL, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_IPV6, IPPROTO_TCP, IPV6_V6ONLY, SOCK_PACKET,
  IPPROTO_UDP, O_NONBLOCK, O_RDWR, SOCK_CLOEXEC, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_RAW, SOCK_STREAM, SOL_SOCKET, SO_ACCEPTCONN,
  SO_DOMAIN, SO_ERROR, SO_KEEPALIVE, SO_PROTOCOL, SO_RCVBUF, SO_REUSEADDR, SO_REUSEPORT, SO_SNDBUF, SO_TYPE, TCP_NODELAY,
  SOCKETCALL_NUM, MSG_DONTWAIT, MSG_NOSIGNAL, MSG_OOB, MSG_PEEK, MSG_TRUNC, MSG_WAITALL, POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLPRI, POLLRDBAND, POLLRDHUP, POLLWRBAND,
} from '../spec/constants.js';
import type { AddrInT, FdRef, FdSetT, InnerTemplate, Role, Template } from './template.js';

export interface GenOptions {
  maxLength: number;
  /** Share of argument draws taken from invalid domains, 0..1. */
  invalid: number;
  /** Calls not to generate (the implementation cannot run them; the run says so). */
  skip?: ReadonlySet<Op>;
  /** Whether to make AF_INET6 sockets (default true; false where the implementation has no IPv6). */
  inet6?: boolean;
}

const O_APPEND = 0o2000;
const O_ASYNC = 0o20000;
const O_DIRECT = 0o40000;
const O_NOATIME = 0o1000000;

/** Picks from `valid` or, with probability `p`, from `invalid`. */
function either<T>(p: number, valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<T>): fc.Arbitrary<T> {
  const w = Math.round(p * 100);
  if (w <= 0) return valid;
  return fc.oneof({ arbitrary: valid, weight: 100 - w }, { arbitrary: invalid, weight: w });
}

/**
 * A valid socket() call for TCP (mostly) or UDP, with random SOCK_NONBLOCK/SOCK_CLOEXEC;
 * AF_INET6 for about one socket in three (unless `inet6` is false).
 */
export function validSocketArb(inet6 = true): fc.Arbitrary<Extract<Template, { op: 'socket' }>> {
  return fc.record({
    op: fc.constant('socket' as const), domain: inet6 ? fc.constantFrom(AF_INET, AF_INET, AF_INET6) : fc.constant(AF_INET),
    type: fc.tuple(fc.constantFrom(SOCK_STREAM, SOCK_STREAM, SOCK_STREAM, SOCK_DGRAM), fc.constantFrom(0, 0, SOCK_NONBLOCK, SOCK_CLOEXEC, SOCK_NONBLOCK | SOCK_CLOEXEC)).map(([t, f]) => t | f),
    protocol: fc.constant(0),
  });
}

/** The arbitrary of one call template. */
export function templateArb(o: GenOptions): fc.Arbitrary<Template> {
  const p = o.invalid;
  const k = fc.nat({ max: 7 });
  const rawFd = fc.constantFrom(-1, 5, 6, 7, 9, 1023, 4096, 2147483647).map((raw): FdRef => ({ raw }));
  const fd: fc.Arbitrary<FdRef> = either<FdRef>(
    p / 2,
    fc.oneof({ arbitrary: k.map((sock) => ({ sock })), weight: 4 }, { arbitrary: k.map((live) => ({ live })), weight: 1 }),
    rawFd,
  );
  /** A target that is mostly a socket with `role`, sometimes any socket. */
  const roleFd = (role: Role): fc.Arbitrary<FdRef> => either<FdRef>(
    p / 2,
    fc.oneof({ arbitrary: k.map((i): FdRef => ({ role, k: i })), weight: 3 }, { arbitrary: k.map((sock) => ({ sock })), weight: 1 }),
    rawFd,
  );
  const acceptFd = roleFd('listener');
  const localAddr = fc.oneof(
    { arbitrary: fc.constantFrom('0.0.0.0', '127.0.0.1', '127.0.0.2'), weight: 3 },
    { arbitrary: k.map((of) => ({ of })), weight: 1 },
  );
  const port = fc.oneof(
    { arbitrary: fc.constant(0), weight: 3 },
    { arbitrary: k.map((of) => ({ of })), weight: 3 },
    { arbitrary: fc.constantFrom(5000, 5001, 40001, 80), weight: 2 },
  );
  const pick = fc.nat({ max: 7 });
  const v6 = o.inet6 ?? true;
  // Addresses only an AF_INET6 socket takes (or refuses in its own ways): not local, link-local
  // (with no scope id, or lo's), link-scope multicast, v4-mapped non-local, and short lengths.
  const bad6: fc.Arbitrary<AddrInT>[] = v6 ? [
    fc.record({
      ptr: fc.constant('ok' as const), len: fc.constantFrom<number>(28, 28, 24, 23), family: fc.constant<number>(AF_INET6),
      addr: fc.constantFrom<string>('::2', '2001:db8::1', 'fe80::1', 'ff02::1', '::ffff:10.1.2.3', '::ffff:224.0.0.1', '::ffff:255.255.255.255', '::127.0.0.1', '::1', '::'),
      port, scope_id: fc.constantFrom(0, 0, 1),
    }).map((a) => (a.addr === 'fe80::1' ? a : { ...a, scope_id: 0 })),
    fc.record({ ptr: fc.constant('ok' as const), len: fc.constant<number>(28), family: fc.constantFrom<number>(AF_INET, AF_UNSPEC), addr: fc.constantFrom<string>('::1', '::'), port }),
  ] : [];
  const badAddr: fc.Arbitrary<AddrInT> = fc.oneof<fc.Arbitrary<AddrInT>[]>(
    fc.record({ ptr: fc.constant('ok' as const), len: fc.constantFrom<number>(-1, 0, 1, 2, 8, 15, 17, 128, 129), family: fc.constant<number>(AF_INET), addr: localAddr, port }),
    ...bad6,
    fc.record({ ptr: fc.constant('ok' as const), len: fc.constant<number>(16), family: fc.constantFrom<number>(AF_UNSPEC, AF_INET6, AF_UNIX), addr: fc.constantFrom<string>('0.0.0.0', '127.0.0.1'), port }),
    fc.record({ ptr: fc.constant('ok' as const), len: fc.constant<number>(16), family: fc.constant<number>(AF_INET), addr: fc.constantFrom<string>('10.1.2.3', '224.0.0.1', '255.255.255.255'), port }),
    fc.record({ ptr: fc.constantFrom('null' as const, 'bad' as const), len: fc.constantFrom<number>(0, 16, -1) }),
  );
  const bindAddr: fc.Arbitrary<AddrInT> = either<AddrInT>(p, fc.record({ ptr: fc.constant('ok' as const), len: fc.constant(16), family: fc.constant(AF_INET), addr: localAddr, port, pick }), badAddr);
  const connAddr: fc.Arbitrary<AddrInT> = either<AddrInT>(
    p,
    fc.oneof(
      { arbitrary: fc.tuple(k, pick).map(([listener, pk]): AddrInT => ({ ptr: 'ok', len: 16, family: AF_INET, addr: { listener }, port: { listener }, pick: pk })), weight: 4 },
      { arbitrary: fc.tuple(k, pick).map(([of, pk]): AddrInT => ({ ptr: 'ok', len: 16, family: AF_INET, addr: { of }, port: { of }, pick: pk })), weight: 2 },
      { arbitrary: fc.record({ ptr: fc.constant('ok' as const), len: fc.constant(16), family: fc.constant(AF_INET), addr: fc.constantFrom('127.0.0.1', '0.0.0.0', '127.0.0.2'), port, pick }), weight: 2 },
      { arbitrary: fc.record({ ptr: fc.constant('ok' as const), len: fc.constantFrom(2, 16), family: fc.constant(AF_UNSPEC), addr: fc.constant('0.0.0.0'), port: fc.constant(0) }), weight: 1 },
    ),
    badAddr,
  );
  const out: fc.Arbitrary<AddrOut> = either<AddrOut>(
    p,
    fc.oneof(
      { arbitrary: fc.constant<AddrOut>({ ptr: 'ok', lenPtr: 'ok', len: 16 }), weight: 4 },
      { arbitrary: fc.constant<AddrOut>({ ptr: 'null', lenPtr: 'null', len: 0 }), weight: 1 },
    ),
    fc.record({ ptr: fc.constantFrom('ok' as const, 'null' as const, 'bad' as const), lenPtr: fc.constantFrom('ok' as const, 'null' as const, 'bad' as const), len: fc.constantFrom(-1, 0, 4, 15, 16, 17, 128) }),
  );
  const socket = fc.oneof(
    { arbitrary: validSocketArb(v6), weight: 6 },
    ...(v6 ? [{ arbitrary: fc.record({ op: fc.constant('socket' as const), domain: fc.constant(AF_INET6), type: fc.constantFrom(SOCK_STREAM, SOCK_DGRAM), protocol: fc.constantFrom(IPPROTO_TCP, IPPROTO_UDP) }), weight: 1 }] : []),
    { arbitrary: fc.record({ op: fc.constant('socket' as const), domain: fc.constant(AF_INET), type: fc.constant(SOCK_STREAM), protocol: fc.constant(IPPROTO_TCP) }), weight: 1 },
    { arbitrary: fc.record({ op: fc.constant('socket' as const), domain: fc.constant(AF_INET), type: fc.constant(SOCK_DGRAM), protocol: fc.constant(IPPROTO_UDP) }), weight: 1 },
    { arbitrary: fc.oneof(
      fc.record({ op: fc.constant('socket' as const), domain: fc.constantFrom(AF_UNSPEC, -1, 46, 47, 1000), type: fc.constantFrom(SOCK_STREAM, SOCK_DGRAM), protocol: fc.constant(0) }),
      fc.record({ op: fc.constant('socket' as const), domain: fc.constant(AF_INET), type: fc.constantFrom(0, 7, 8, 9, 11, 15, -1, SOCK_STREAM | 0x100, SOCK_DGRAM | 0x40000000), protocol: fc.constant(0) }),
      fc.record({ op: fc.constant('socket' as const), domain: fc.constant(AF_INET), type: fc.constantFrom(SOCK_STREAM, SOCK_DGRAM), protocol: fc.constantFrom(-1, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, 263, 1000) }),
      ...(v6 ? [fc.record({ op: fc.constant('socket' as const), domain: fc.constant(AF_INET6), type: fc.constantFrom(SOCK_STREAM, SOCK_DGRAM, SOCK_PACKET, 0), protocol: fc.constantFrom(IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMPV6, 263) })] : []),
      fc.record({ op: fc.constant('socket' as const), domain: fc.constant(AF_INET), type: fc.constant(SOCK_RAW), protocol: fc.constant(0) }),
    ), weight: Math.max(0, Math.round(p * 10)) },
  );
  const flags4 = either(p, fc.constantFrom(0, SOCK_NONBLOCK, SOCK_CLOEXEC, SOCK_NONBLOCK | SOCK_CLOEXEC), fc.constantFrom(1, O_NONBLOCK | 4, -1, 0x80000000 | 0));
  const fcntl = fc.oneof(
    fc.record({ op: fc.constant('fcntl' as const), fd, cmd: fc.constantFrom(F_GETFD, F_GETFL), arg: fc.constant(0) }),
    fc.record({ op: fc.constant('fcntl' as const), fd, cmd: fc.constant(F_SETFD), arg: either(p, fc.constantFrom(0, 1), fc.constantFrom(2, 3, -1)) }),
    fc.record({ op: fc.constant('fcntl' as const), fd, cmd: fc.constant(F_SETFL), arg: either(p, fc.constantFrom(0, O_NONBLOCK), fc.constantFrom(O_APPEND, O_APPEND | O_NONBLOCK, O_ASYNC, O_RDWR | O_NONBLOCK, O_DIRECT, O_NOATIME)) }),
    ...(p > 0 ? [fc.record({ op: fc.constant('fcntl' as const), fd, cmd: fc.constantFrom(9999, -1), arg: fc.constant(0) })] : []),
  );
  const A = {
    bind: fc.record({ op: fc.constant('bind' as const), fd: roleFd('idle'), addr: bindAddr }),
    listen: fc.record({ op: fc.constant('listen' as const), fd: roleFd('tcpIdle'), backlog: either(p, fc.constantFrom(0, 1, 2, 16), fc.constantFrom(-1, 100000, 2147483647)) }),
    connect: fc.record({ op: fc.constant('connect' as const), fd: roleFd('idle'), addr: connAddr }),
    accept: fc.record({ op: fc.constant('accept' as const), fd: acceptFd, out }),
    accept4: fc.record({ op: fc.constant('accept4' as const), fd: acceptFd, out, flags: flags4 }),
    getname: fc.record({ op: fc.constantFrom('getsockname' as const, 'getpeername' as const), fd: roleFd('connected'), out }),
    shutdown: fc.record({ op: fc.constant('shutdown' as const), fd: roleFd('connected'), how: either(p, fc.constantFrom(0, 1, 2), fc.constantFrom(-1, 3, 7)) }),
    setsockopt: setsockoptArb(p, fd, v6) as fc.Arbitrary<InnerTemplate>,
    getsockopt: getsockoptArb(p, fd, roleFd('connected'), v6) as fc.Arbitrary<InnerTemplate>,
  };
  // socketcall(2) carrying one of the calls above (or, with invalid draws, a bad number,
  // an unreadable argument array, or one that ends before its table's count).
  const inner: fc.Arbitrary<InnerTemplate> = fc.oneof(socket, A.bind, A.listen, A.connect, A.accept, A.accept4, A.getname, A.setsockopt, A.getsockopt, A.shutdown);
  const carried = inner.map((call): Template => ({ op: 'socketcall', num: SOCKETCALL_NUM[call.op], args: 'ok', call }));
  const socketcall = either<Template>(
    p,
    carried,
    fc.oneof(
      fc.record({ op: fc.constant('socketcall' as const), num: fc.constantFrom(0, -1, 21, 100, 2147483647), args: fc.constantFrom('ok' as const, 'null' as const, 'bad' as const) }),
      fc.record({ op: fc.constant('socketcall' as const), num: fc.constantFrom(...Object.values(SOCKETCALL_NUM)), args: fc.constantFrom('null' as const, 'bad' as const) }),
      fc.tuple(inner, fc.nat({ max: 6 })).map(([call, readable]): Template => ({ op: 'socketcall', num: SOCKETCALL_NUM[call.op], args: 'ok', readable, call })),
    ),
  );
  // poll and select: live sockets and files mostly, sometimes fds that are not open (or,
  // for poll, negative ones); timeouts are 0, 1 ms or none (a poll that may block).
  const multiFd: fc.Arbitrary<FdRef> = either<FdRef>(
    p / 2,
    fc.oneof({ arbitrary: k.map((sock) => ({ sock })), weight: 4 }, { arbitrary: k.map((live) => ({ live })), weight: 1 }),
    fc.constantFrom(5, 6, 9, 63).map((raw): FdRef => ({ raw })),
  );
  const pollFd = either<FdRef>(p / 4, multiFd, fc.constantFrom(-1, -5, 1023, 2147483647).map((raw): FdRef => ({ raw })));
  const events = either(
    p,
    fc.constantFrom(POLLIN, POLLOUT, POLLIN | POLLOUT, POLLIN | POLLOUT | POLLRDHUP, POLLIN | POLLPRI | POLLOUT | POLLRDHUP, 0),
    fc.constantFrom(0xffff, -1, POLLERR | POLLHUP | POLLNVAL, POLLRDHUP, POLLWRBAND | POLLRDBAND, 0x8000),
  );
  const poll: fc.Arbitrary<Template> = fc.record({
    op: fc.constant('poll' as const),
    fds: either(p, fc.constant('ok' as const), fc.constantFrom('null' as const, 'bad' as const)),
    entries: fc.array(fc.record({ fd: pollFd, events }), { minLength: 1, maxLength: 4 }),
    timeout: fc.constantFrom(0, 0, 0, 1, -1),
  }, { requiredKeys: ['op', 'fds', 'entries', 'timeout'] }).chain((t) => (p > 0
    ? fc.oneof({ arbitrary: fc.constant(t), weight: 9 }, { arbitrary: fc.constantFrom(0, 8, 1025, -1).map((nfds) => ({ ...t, nfds })), weight: 1 })
    : fc.constant(t)));
  const fdSet: fc.Arbitrary<FdSetT> = either<FdSetT>(
    p / 2,
    fc.oneof(
      { arbitrary: fc.array(multiFd, { maxLength: 3 }).map((fds): FdSetT => ({ ptr: 'ok', fds })), weight: 4 },
      { arbitrary: fc.constant<FdSetT>({ ptr: 'null' }), weight: 2 },
    ),
    fc.constant<FdSetT>({ ptr: 'bad' }),
  );
  const timeval: fc.Arbitrary<Timeval> = either<Timeval>(
    p / 2,
    fc.oneof(
      { arbitrary: fc.constant<Timeval>({ ptr: 'ok', sec: 0, usec: 0 }), weight: 6 },
      { arbitrary: fc.constant<Timeval>({ ptr: 'ok', sec: 0, usec: 1000 }), weight: 1 },
      { arbitrary: fc.constant<Timeval>({ ptr: 'null' }), weight: 1 },
    ),
    fc.constantFrom<Timeval>({ ptr: 'ok', sec: -1, usec: 0 }, { ptr: 'ok', sec: 0, usec: -1 }, { ptr: 'bad' }),
  );
  const select: fc.Arbitrary<Template> = fc.record({ op: fc.constant('select' as const), read: fdSet, write: fdSet, except: fdSet, timeout: timeval })
    .chain((t) => fc.oneof(
      { arbitrary: fc.constant<Template>(t), weight: 8 },
      { arbitrary: either(p, fc.constantFrom(1, 64, 1024), fc.constantFrom(-1, 0, -2147483648)).map((nfds): Template => ({ ...t, nfds })), weight: 2 },
    ));
  // The data calls: UDP sockets, or TCP sockets (sends only where the model answers, see
  // Role's tcpSend, and never with MSG_OOB: urgent data is not modelled), payloads of up
  // to 16 bytes mostly and 64 at most, read lengths around them.
  const badDataFd = fc.constantFrom(-1, 2147483647).map((raw): FdRef => ({ raw }));
  const dataFd = (...tcpRoles: Role[]): fc.Arbitrary<FdRef> => either<FdRef>(p / 2, fc.oneof(
    k.map((i): FdRef => ({ role: 'udp', k: i })),
    ...tcpRoles.map((role) => k.map((i): FdRef => ({ role, k: i }))),
  ), badDataFd);
  const hex = (max: number): fc.Arbitrary<string> => fc.uint8Array({ maxLength: max }).map((b) => Buffer.from(b).toString('hex'));
  const payload = fc.oneof({ arbitrary: hex(16), weight: 9 }, { arbitrary: hex(64), weight: 1 });
  const sendFlags = either(p, fc.constantFrom(0, 0, MSG_DONTWAIT, MSG_NOSIGNAL), fc.constantFrom(MSG_OOB, MSG_OOB | MSG_DONTWAIT));
  const tcpSendFlags = fc.constantFrom(0, 0, MSG_DONTWAIT, MSG_NOSIGNAL);
  const udpFd = either<FdRef>(p / 2, k.map((i): FdRef => ({ role: 'udp', k: i })), badDataFd);
  const tcpSendFd = either<FdRef>(p / 2, fc.oneof(
    { arbitrary: k.map((i): FdRef => ({ role: 'tcpPeer', k: i })), weight: 3 },
    { arbitrary: k.map((i): FdRef => ({ role: 'tcpSend', k: i })), weight: 1 },
  ), badDataFd);
  /** A send's target and flags: UDP (flags with MSG_OOB among the invalid draws) or TCP. */
  const sendTarget = fc.oneof(
    fc.record({ fd: udpFd, flags: sendFlags }),
    fc.record({ fd: tcpSendFd, flags: tcpSendFlags }),
  );
  const recvFlags = fc.constantFrom(0, 0, MSG_DONTWAIT, MSG_DONTWAIT, MSG_PEEK, MSG_PEEK | MSG_DONTWAIT, MSG_TRUNC, MSG_TRUNC | MSG_DONTWAIT, MSG_WAITALL | MSG_DONTWAIT);
  const recvLen = fc.constantFrom(0, 1, 4, 16, 64, 128);
  const sendtoAddr: fc.Arbitrary<AddrInT> = either<AddrInT>(
    p,
    fc.oneof(
      { arbitrary: fc.tuple(k, pick).map(([udp, pk]): AddrInT => ({ ptr: 'ok', len: 16, family: AF_INET, addr: { udp }, port: { udp }, pick: pk })), weight: 6 },
      { arbitrary: fc.record({ ptr: fc.constant('ok' as const), len: fc.constant(16), family: fc.constant(AF_INET), addr: fc.constantFrom('127.0.0.1', '0.0.0.0', '127.0.0.2'), port }), weight: 2 },
      { arbitrary: fc.constant<AddrInT>({ ptr: 'null', len: 0 }), weight: 2 },
    ),
    badAddr,
  );
  const entries: { op: Op; arbitrary: fc.Arbitrary<Template>; weight: number }[] = [
    { op: 'socket', arbitrary: socket, weight: 10 },
    { op: 'bind', arbitrary: A.bind, weight: 8 },
    { op: 'listen', arbitrary: A.listen, weight: 9 },
    { op: 'connect', arbitrary: A.connect, weight: 14 },
    { op: 'accept', arbitrary: A.accept, weight: 6 },
    { op: 'accept4', arbitrary: A.accept4, weight: 6 },
    { op: 'getsockname', arbitrary: A.getname, weight: 10 },
    { op: 'close', arbitrary: fc.record({ op: fc.constant('close' as const), fd: either<FdRef>(p / 2, fc.oneof({ arbitrary: k.map((sock) => ({ sock })), weight: 5 }, { arbitrary: k.map((live) => ({ live })), weight: 1 }), rawFd) }), weight: 7 },
    { op: 'fcntl', arbitrary: fcntl, weight: 6 },
    { op: 'shutdown', arbitrary: A.shutdown, weight: 5 },
    // mmap of a socket (or of fds 0-3): the protections and map types Linux tells apart.
    { op: 'mmap', arbitrary: fc.record({
      op: fc.constant('mmap' as const), fd,
      len: either(p, fc.constantFrom(4096, 8192, 1), fc.constant(0)),
      prot: fc.constantFrom(0, 1, 1, 2, 3, 4, 5),
      flags: either(p, fc.constantFrom(0x01, 0x02, 0x03, 0x02 | 0x8000, 0x01 | 0x80000), fc.constantFrom(0, 0x03 | 0x80000, 0x01 | 0x40000, 0x04)),
      offset: either(p, fc.constantFrom(0, 4096), fc.constantFrom(1, 100)),
    }), weight: 3 },
    { op: 'setsockopt', arbitrary: A.setsockopt, weight: 7 },
    { op: 'getsockopt', arbitrary: A.getsockopt, weight: 8 },
    { op: 'socketcall', arbitrary: socketcall, weight: 4 },
    { op: 'poll', arbitrary: poll, weight: 5 },
    { op: 'select', arbitrary: select, weight: 4 },
    { op: 'send', arbitrary: fc.record({ op: fc.constant('send' as const), t: sendTarget, data: payload }).map(({ t, ...r }): Template => ({ ...r, ...t })), weight: 6 },
    { op: 'sendto', arbitrary: fc.record({ op: fc.constant('sendto' as const), t: sendTarget, data: payload, addr: sendtoAddr }).map(({ t, ...r }): Template => ({ ...r, ...t })), weight: 8 },
    { op: 'recv', arbitrary: fc.record({ op: fc.constant('recv' as const), fd: dataFd('tcpReadable', 'tcpRecv'), len: recvLen, flags: recvFlags }), weight: 7 },
    { op: 'recvfrom', arbitrary: fc.record({ op: fc.constant('recvfrom' as const), fd: dataFd('tcpReadable', 'tcpRecv'), len: recvLen, flags: recvFlags, out }), weight: 6 },
  ];
  return fc.oneof(...entries.filter((e) => !o.skip?.has(e.op)).map(({ arbitrary, weight }) => ({ arbitrary, weight })));
}

/** An option and the values worth setting it to. */
const SETTABLE: readonly (readonly [number, number, readonly number[]])[] = [
  [SOL_SOCKET, SO_REUSEADDR, [0, 1, 1, 2]],
  [SOL_SOCKET, SO_REUSEPORT, [0, 1]],
  [SOL_SOCKET, SO_KEEPALIVE, [0, 1, -1]],
  [SOL_SOCKET, SO_RCVBUF, [0, 1000, 5000, 100000, 1 << 30, -1]],
  [SOL_SOCKET, SO_SNDBUF, [0, 3000, 65536, 2147483647, -1000]],
  [IPPROTO_TCP, TCP_NODELAY, [0, 1, 7]],
];

/** IPv6 options worth setting (on AF_INET6 sockets; AF_INET ones refuse the level). */
const SETTABLE6: readonly (readonly [number, number, readonly number[]])[] = [
  [IPPROTO_IPV6, IPV6_V6ONLY, [0, 1, 1, 2]],
];

/** setsockopt(2): the options in scope mostly; read-only and unknown options, levels, lengths and pointers as invalid draws. */
function setsockoptArb(p: number, fd: fc.Arbitrary<FdRef>, v6: boolean): fc.Arbitrary<Template> {
  const valid = fc.constantFrom(...SETTABLE, ...(v6 ? SETTABLE6 : [])).chain(([level, name, values]) => fc.record({
    op: fc.constant('setsockopt' as const), fd, level: fc.constant(level), name: fc.constant(name), value: fc.constantFrom(...values), optlen: fc.constantFrom(4, 4, 8),
  }));
  const invalid = fc.oneof(
    fc.record({
      op: fc.constant('setsockopt' as const), fd, ln: fc.constantFrom([SOL_SOCKET, SO_REUSEADDR] as const, [SOL_SOCKET, SO_RCVBUF] as const, [IPPROTO_TCP, TCP_NODELAY] as const),
      value: fc.constant(1), optlen: fc.constantFrom(-1, 0, 2, 3, 4), ptr: fc.constantFrom('ok' as const, 'null' as const, 'bad' as const),
    }).map(({ ln, ...r }): Template => ({ ...r, level: ln[0], name: ln[1] })),
    fc.record({
      op: fc.constant('setsockopt' as const), fd, level: fc.constant(SOL_SOCKET), name: fc.constantFrom(SO_TYPE, SO_PROTOCOL, SO_DOMAIN, SO_ERROR, SO_ACCEPTCONN, 9999, -1),
      value: fc.constant(1), optlen: fc.constantFrom(4, 2),
    }),
    fc.record({
      op: fc.constant('setsockopt' as const), fd, level: fc.constantFrom(IPPROTO_TCP, 999, -1), name: fc.constantFrom(TCP_NODELAY, 9999),
      value: fc.constant(1), optlen: fc.constantFrom(4, 2, -1),
    }),
    ...(v6 ? [fc.record({
      op: fc.constant('setsockopt' as const), fd, level: fc.constant(IPPROTO_IPV6), name: fc.constantFrom(IPV6_V6ONLY, 9999),
      value: fc.constant(1), optlen: fc.constantFrom(4, 2, 0), ptr: fc.constantFrom('ok' as const, 'null' as const, 'bad' as const),
    })] : []),
  );
  return either<Template>(p, valid, invalid);
}

/** getsockopt(2): the options in scope, with lengths (short ones copy part of the int) and pointers. */
function getsockoptArb(p: number, fd: fc.Arbitrary<FdRef>, connFd: fc.Arbitrary<FdRef>, v6: boolean): fc.Arbitrary<Template> {
  const opt: fc.Arbitrary<OptOut> = either<OptOut>(
    p,
    fc.constant<OptOut>({ ptr: 'ok', lenPtr: 'ok', len: 4 }),
    fc.record({ ptr: fc.constantFrom('ok' as const, 'null' as const, 'bad' as const), lenPtr: fc.constantFrom('ok' as const, 'ok' as const, 'null' as const, 'bad' as const), len: fc.constantFrom(-1, 0, 1, 2, 3, 8, 16, 2147483647) }),
  );
  const known = fc.oneof(
    fc.constantFrom(...[SO_TYPE, SO_DOMAIN, SO_PROTOCOL, SO_ACCEPTCONN, SO_KEEPALIVE, SO_REUSEADDR, SO_REUSEPORT, SO_RCVBUF, SO_SNDBUF].map((n) => [SOL_SOCKET, n] as const)),
    fc.constant([IPPROTO_TCP, TCP_NODELAY] as const),
    ...(v6 ? [fc.constant([IPPROTO_IPV6, IPV6_V6ONLY] as const)] : []),
  );
  const unknown = fc.constantFrom([SOL_SOCKET, 9999] as const, [SOL_SOCKET, -1] as const, [IPPROTO_TCP, 9999] as const, [999, SO_TYPE] as const, [-1, 1] as const,
    ...(v6 ? [[IPPROTO_IPV6, 9999] as const] : []));
  const lvlName = either<readonly [number, number]>(p, known, unknown);
  return fc.oneof(
    { arbitrary: fc.record({ op: fc.constant('getsockopt' as const), fd, ln: lvlName, opt }).map(({ ln, ...r }): Template => ({ ...r, level: ln[0], name: ln[1] })), weight: 3 },
    // SO_ERROR mostly on sockets that tried to connect (where it holds something).
    { arbitrary: fc.record({ op: fc.constant('getsockopt' as const), fd: connFd, level: fc.constant(SOL_SOCKET), name: fc.constant(SO_ERROR), opt }), weight: 2 },
  );
}

/**
 * SO_REUSEPORT's effect on port sharing is not modelled (model/ports.ts refuses it), so
 * a case sets it (to nonzero) only after its last bind, listen, connect, send and sendto
 * (which autobinds): earlier draws
 * of it become 0. Applied after shrinking too, so shrunk cases keep the property.
 */
export function reuseportLast(calls: Template[]): Template[] {
  // A call socketcall carries counts as that call.
  const acting = (t: Template): Template => (t.op === 'socketcall' && t.call !== undefined ? t.call : t);
  let last = -1;
  calls.forEach((t, i) => { const a = acting(t); if (a.op === 'bind' || a.op === 'listen' || a.op === 'connect' || a.op === 'send' || a.op === 'sendto') last = i; });
  const off = (t: Template): Template => (t.op === 'setsockopt' && t.level === SOL_SOCKET && t.name === SO_REUSEPORT && t.value !== 0 ? { ...t, value: 0 } : t);
  return calls.map((t, i) => {
    if (i >= last) return t;
    if (t.op === 'socketcall' && t.call !== undefined) return { ...t, call: off(t.call) as InnerTemplate };
    return off(t);
  });
}

/** A generated case: the world the session starts in and the calls. */
export interface Case {
  world: World;
  calls: Template[];
}

/**
 * The world a sequence runs in: mostly the default; sometimes a small fd table (so that
 * EMFILE is reachable in a short sequence) or no CAP_NET_BIND_SERVICE (so that EACCES
 * is). Shrinks toward the default.
 */
export function worldArb(): fc.Arbitrary<World> {
  return fc.record({
    nofile: fc.oneof({ arbitrary: fc.constant(1024), weight: 9 }, { arbitrary: fc.constant(7), weight: 1 }),
    capNetBindService: fc.oneof({ arbitrary: fc.constant(true), weight: 9 }, { arbitrary: fc.constant(false), weight: 1 }),
  }).map((w): World => {
    const out: World = {};
    if (w.nofile !== 1024) out.nofile = w.nofile;
    if (!w.capNetBindService) out.capNetBindService = false;
    return out;
  });
}

/**
 * The arbitrary of a whole case: up to three sockets first (so that the random calls
 * have targets), then random calls; at most `maxLength` calls in all.
 */
export function caseArb(o: GenOptions): fc.Arbitrary<Case> {
  const pre = Math.min(3, o.maxLength - 1);
  return fc.record({
    world: worldArb(),
    setup: fc.array(validSocketArb(o.inet6 ?? true), { minLength: Math.min(1, pre), maxLength: Math.max(0, pre) }),
    body: fc.array(templateArb(o), { minLength: 1, maxLength: o.maxLength - Math.max(0, pre), size: 'max' }),
  }).map(({ world, setup, body }) => ({ world, calls: reuseportLast([...setup, ...body]) }));
}
