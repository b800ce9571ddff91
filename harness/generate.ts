/**
 * Random call sequences (fast-check arbitraries over templates). Valid arguments are the
 * common case; `invalid` (0..1) is the share of draws that take an invalid domain
 * (bad fds, lengths, families, flags, pointers) instead.
 */
import fc from 'fast-check';
import type { World } from '../spec/adapter.js';
import type { AddrOut, IovIn, IovOut, MsgOut, Offset, Op, OptOut, Ptr, Timeval } from '../spec/call.js';
import { FILE_FD } from '../spec/file.js';
import {
  AF_INET, AF_INET6, AF_UNIX, AF_UNSPEC, F_GETFD, F_GETFL, F_SETFD, F_SETFL, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_IPV6, IPPROTO_TCP, IPV6_V6ONLY, SOCK_PACKET,
  IPPROTO_UDP, O_NONBLOCK, O_RDWR, SOCK_CLOEXEC, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_RAW, SOCK_SEQPACKET, SOCK_STREAM, SOL_SOCKET, SO_ACCEPTCONN,
  SO_DOMAIN, SO_ERROR, SO_KEEPALIVE, SO_LINGER, SO_PROTOCOL, SO_RCVBUF, SO_REUSEADDR, SO_REUSEPORT, SO_SNDBUF, SO_TYPE, TCP_NODELAY,
  SOCKETCALL_NUM, MSG_CMSG_COMPAT, MSG_DONTWAIT, MSG_ERRQUEUE, MSG_NOSIGNAL, MSG_OOB, MSG_PEEK, MSG_TRUNC, MSG_WAITALL, POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLPRI, POLLRDBAND, POLLRDHUP, POLLWRBAND,
} from '../spec/constants.js';
import type { AddrInT, FdRef, FdSetT, InnerTemplate, MsgInT, Role, Template } from './template.js';
import { vsockEntries } from './genvsock.js';

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

/**
 * A valid socketpair(AF_UNIX, ...): stream mostly, also datagram and seqpacket, with random
 * SOCK_NONBLOCK/SOCK_CLOEXEC; protocol 0 or PF_UNIX.
 */
export function validSocketpairArb(): fc.Arbitrary<Extract<Template, { op: 'socketpair' }>> {
  return fc.record({
    op: fc.constant('socketpair' as const), domain: fc.constant(AF_UNIX),
    type: fc.tuple(fc.constantFrom(SOCK_STREAM, SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET), fc.constantFrom(0, 0, 0, SOCK_NONBLOCK, SOCK_CLOEXEC, SOCK_NONBLOCK | SOCK_CLOEXEC)).map(([t, f]) => t | f),
    protocol: fc.constantFrom(0, 0, 0, 1),
    sv: fc.constant('ok' as const),
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
      // socket(AF_UNIX): unix_create's refusals (a socket it makes is not modelled).
      fc.record({ op: fc.constant('socket' as const), domain: fc.constant(AF_UNIX), type: fc.constantFrom(SOCK_STREAM, SOCK_DGRAM), protocol: fc.constantFrom(2, 5, -1) }),
      fc.record({ op: fc.constant('socket' as const), domain: fc.constant(AF_UNIX), type: fc.constantFrom(4, 6, 7, 10), protocol: fc.constant(0) }),
    ), weight: Math.max(0, Math.round(p * 10)) },
  );
  // socketpair: AF_UNIX pairs mostly; invalid draws: other families (AF_INET: sock_no_socketpair),
  // out-of-range families and types, protocols unix_create refuses, bad flags, a faulting sv.
  const socketpair = fc.oneof(
    { arbitrary: validSocketpairArb(), weight: 10 },
    { arbitrary: fc.oneof(
      validSocketpairArb().chain((t) => fc.constantFrom('null' as const, 'bad' as const).map((sv) => ({ ...t, sv }))),
      fc.record({ op: fc.constant('socketpair' as const), domain: fc.constantFrom(AF_INET, AF_UNSPEC, -1, 46, 1000), type: fc.constantFrom(SOCK_STREAM, SOCK_DGRAM), protocol: fc.constantFrom(0, 0, IPPROTO_UDP, 263), sv: fc.constant('ok' as const) }),
      fc.record({ op: fc.constant('socketpair' as const), domain: fc.constant(AF_UNIX), type: fc.constantFrom(SOCK_RAW, 4, 6, 7, 10, 11, 15, SOCK_STREAM | 0x100, SOCK_DGRAM | 0x40000000), protocol: fc.constant(0), sv: fc.constant('ok' as const) }),
      fc.record({ op: fc.constant('socketpair' as const), domain: fc.constant(AF_UNIX), type: fc.constantFrom(SOCK_STREAM, SOCK_DGRAM), protocol: fc.constantFrom(2, 5, -1), sv: fc.constant('ok' as const) }),
    ), weight: Math.max(0, Math.round(p * 10)) },
  );
  // AF_UNIX abstract names (the resolver makes sun_path[0] 0): three names, lengths that
  // unix_validate_addr takes (3..110) mostly; binds, connects and sendtos on unix sockets.
  const unixName: fc.Arbitrary<AddrInT> = fc.record({
    ptr: fc.constant('ok' as const), len: either(p, fc.constantFrom(16, 16, 16, 3, 110), fc.constantFrom(111, 1)), family: fc.constant(AF_UNIX),
    addr: fc.constantFrom('0.0.0.0', '127.0.0.1', '127.0.0.2'), port: fc.constant(0),
  });
  const unixTarget = either<FdRef>(p / 2, k.map((i): FdRef => ({ role: 'unix', k: i })), rawFd);
  const flags4 = either(p, fc.constantFrom(0, SOCK_NONBLOCK, SOCK_CLOEXEC, SOCK_NONBLOCK | SOCK_CLOEXEC), fc.constantFrom(1, O_NONBLOCK | 4, -1, 0x80000000 | 0));
  const fcntl = fc.oneof(
    fc.record({ op: fc.constant('fcntl' as const), fd, cmd: fc.constantFrom(F_GETFD, F_GETFL), arg: fc.constant(0) }),
    fc.record({ op: fc.constant('fcntl' as const), fd, cmd: fc.constant(F_SETFD), arg: either(p, fc.constantFrom(0, 1), fc.constantFrom(2, 3, -1)) }),
    // O_DIRECT only on sockets (or the pipe, when there are none): on the world's regular
    // file it would take sendfile out of the model (copy_splice_read's alignment rules).
    fc.record({ op: fc.constant('fcntl' as const), fd, cmd: fc.constant(F_SETFL), arg: either(p, fc.constantFrom(0, O_NONBLOCK), fc.constantFrom(O_APPEND, O_APPEND | O_NONBLOCK, O_ASYNC, O_RDWR | O_NONBLOCK, O_DIRECT, O_NOATIME)) })
      .map((t) => ((t.arg & O_DIRECT) && 'live' in t.fd ? { ...t, fd: { sock: t.fd.live } } : t)),
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
    setsockopt: setsockoptArb(p, fd, roleFd('connected'), v6) as fc.Arbitrary<InnerTemplate>,
    getsockopt: getsockoptArb(p, fd, roleFd('connected'), v6) as fc.Arbitrary<InnerTemplate>,
  };
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
  const unixFd = either<FdRef>(p / 2, k.map((i): FdRef => ({ role: 'unix', k: i })), badDataFd);
  const busyFd = k.map((i): FdRef => ({ role: 'unixBusy', k: i }));
  const tcpSendFd = either<FdRef>(p / 2, fc.oneof(
    { arbitrary: k.map((i): FdRef => ({ role: 'tcpPeer', k: i })), weight: 3 },
    { arbitrary: k.map((i): FdRef => ({ role: 'tcpSend', k: i })), weight: 1 },
  ), badDataFd);
  /** A send's target and flags: UDP (flags with MSG_OOB among the invalid draws) or TCP. */
  const sendTarget = fc.oneof(
    { arbitrary: fc.record({ fd: udpFd, flags: sendFlags }), weight: 3 },
    { arbitrary: fc.record({ fd: tcpSendFd, flags: tcpSendFlags }), weight: 3 },
    // AF_UNIX: never MSG_OOB (not modelled).
    { arbitrary: fc.record({ fd: unixFd, flags: tcpSendFlags }), weight: 2 },
  );
  /** sendmsg's inet targets (AF_UNIX and AF_VSOCK ones take their own names, see D.sendmsg). */
  const inetSendTarget = fc.oneof(
    { arbitrary: fc.record({ fd: udpFd, flags: sendFlags }), weight: 1 },
    { arbitrary: fc.record({ fd: tcpSendFd, flags: tcpSendFlags }), weight: 1 },
  );
  /** An AF_VSOCK socket (never connected: every send answers ENOTCONN or EOPNOTSUPP), MSG_OOB among the invalid draws. */
  const vsockFd = either<FdRef>(p / 2, k.map((i): FdRef => ({ role: 'vsock', k: i })), badDataFd);
  const recvFlags = fc.constantFrom(
    0, 0, MSG_DONTWAIT, MSG_DONTWAIT, MSG_PEEK, MSG_PEEK | MSG_DONTWAIT, MSG_TRUNC, MSG_TRUNC | MSG_DONTWAIT, MSG_WAITALL | MSG_DONTWAIT,
    MSG_WAITALL, MSG_WAITALL, MSG_WAITALL | MSG_PEEK,
  );
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
  // sendmsg and recvmsg: a msghdr with one to three iovecs (their bytes or buffer lengths),
  // msg_name as sendto's address (or a buffer for the source), no control buffer mostly; the
  // invalid draws break one thing at a time (the msghdr pointer, msg_namelen, the iovec
  // array, an iov_len, msg_iovlen beyond UIO_MAXIOV, the control buffer, MSG_CMSG_COMPAT).
  const ctlValid = fc.oneof(
    { arbitrary: fc.constant({ control: 'ok' as const, controllen: 0 }), weight: 8 },
    { arbitrary: fc.constant({ control: 'null' as const, controllen: 0 }), weight: 1 },
    { arbitrary: fc.constantFrom({ control: 'ok' as const, controllen: 8 }, { control: 'ok' as const, controllen: 4 }), weight: 1 },
  );
  const ctlInvalid = fc.constantFrom(
    { control: 'ok' as const, controllen: 16 }, { control: 'ok' as const, controllen: 64 }, { control: 'bad' as const, controllen: 8 },
    { control: 'bad' as const, controllen: 16 },
    { control: 'null' as const, controllen: 64 }, { control: 'ok' as const, controllen: 1 << 20 }, { control: 'bad' as const, controllen: 2 ** 31 },
  );
  type Ctl = { control: Ptr; controllen: number };
  const ctl = either<Ctl>(p, ctlValid, ctlInvalid);
  type Breakage = 'none' | 'msg' | 'iov' | 'iovlen' | 'ivlen' | 'namelen';
  const breakage: fc.Arbitrary<Breakage> = either<Breakage>(p, fc.constant('none'), fc.constantFrom('msg', 'iov', 'iovlen', 'ivlen', 'namelen'));
  /** A valid msghdr's fields broken as `b` says (msg: the pointer itself is NULL or bad). */
  function broken<M extends { iov: 'ok' | 'null' | 'bad'; iovs: { ptr: 'ok' | 'null' }[]; iovlen: number }>(m: M, b: Breakage, pick: number): M | { ptr: 'null' | 'bad' } {
    switch (b) {
      case 'none': case 'namelen': return m;
      case 'msg': return { ptr: pick % 2 === 0 ? 'null' : 'bad' };
      case 'iov': return { ...m, iov: pick % 2 === 0 ? 'null' : 'bad', iovlen: Math.max(1, m.iovlen) };
      case 'iovlen': return { ...m, iovlen: [1025, 4096, 2 ** 31][pick % 3]! };
      case 'ivlen': return { ...m, iovs: [...m.iovs, { ptr: 'null', len: [-1, -(2 ** 31)][pick % 2]! }], iovlen: m.iovs.length + 1 };
    }
  }
  const sendIovs = fc.array(fc.oneof({ arbitrary: hex(8), weight: 4 }, { arbitrary: hex(32), weight: 1 }), { minLength: 1, maxLength: 3 })
    .map((l) => l.map((data): IovIn => ({ ptr: 'ok', data })));
  const msgFlagsIn = fc.constantFrom(0, 0, 0, MSG_TRUNC, 0x1234);
  const msgInWith = (names: fc.Arbitrary<AddrInT>): fc.Arbitrary<MsgInT> => fc.record({ name: names, iovs: sendIovs, c: ctl, flags: msgFlagsIn, b: breakage, pick: fc.nat({ max: 5 }) })
    .map(({ name, iovs, c, flags, b, pick }): MsgInT => {
      const nm: AddrInT = b === 'namelen' ? (pick % 2 === 0 ? { ptr: 'ok', len: -1, family: AF_INET, addr: '127.0.0.1', port: 5000 } : { ptr: 'bad', len: 16 }) : name;
      return broken({ ptr: 'ok' as const, name: nm, iov: 'ok' as const, iovs, iovlen: iovs.length, ...c, flags }, b, pick);
    });
  const msgIn = msgInWith(sendtoAddr);
  // AF_UNIX: no msg_name mostly (the pair's peer), an abstract name sometimes (unix_dgram_sendmsg
  // looks it up; a stream socket answers EISCONN); the control buffers as for inet, whose
  // zero-filled cmsghdr scm_send refuses.
  const unixMsgIn = msgInWith(fc.oneof({ arbitrary: fc.constant<AddrInT>({ ptr: 'null', len: 0 }), weight: 3 }, { arbitrary: unixName, weight: 1 }));
  const recvIovs = fc.array(fc.constantFrom(0, 1, 2, 4, 8, 16, 32), { minLength: 1, maxLength: 3 }).map((l) => l.map((len): IovOut => ({ ptr: 'ok', len })));
  const recvName = either<{ ptr: Ptr; len: number }>(p, fc.constantFrom({ ptr: 'ok' as const, len: 16 }, { ptr: 'ok' as const, len: 16 }, { ptr: 'null' as const, len: 0 }, { ptr: 'ok' as const, len: 128 }),
    fc.constantFrom({ ptr: 'ok' as const, len: 4 }, { ptr: 'ok' as const, len: 0 }, { ptr: 'bad' as const, len: 16 }, { ptr: 'bad' as const, len: 0 }, { ptr: 'null' as const, len: -1 }));
  const msgOut: fc.Arbitrary<MsgOut> = fc.record({ name: recvName, iovs: recvIovs, c: ctlValid, flags: msgFlagsIn, b: breakage, pick: fc.nat({ max: 5 }) })
    .map(({ name, iovs, c, flags, b, pick }): MsgOut => {
      const nm = b === 'namelen' ? { ptr: 'ok' as const, len: -1 } : name;
      return broken({ ptr: 'ok' as const, name: nm, iov: 'ok' as const, iovs, iovlen: iovs.length, ...c, flags }, b, pick);
    });
  const compatFlag = (f: fc.Arbitrary<number>): fc.Arbitrary<number> => either(p / 4, f, fc.constant(MSG_CMSG_COMPAT | 0));
  const oobFd = k.map((i): FdRef => ({ role: 'tcpRecv', k: i }));
  const oobFlags = fc.constantFrom(MSG_OOB, MSG_OOB | MSG_DONTWAIT, MSG_OOB | MSG_PEEK);
  const errqFlags = fc.constantFrom(MSG_ERRQUEUE, MSG_ERRQUEUE | MSG_DONTWAIT, MSG_ERRQUEUE | MSG_PEEK);
  const D = {
    send: fc.record({ op: fc.constant('send' as const), t: sendTarget, data: payload }).map(({ t, ...r }): InnerTemplate => ({ ...r, ...t })),
    sendto: fc.record({ op: fc.constant('sendto' as const), t: sendTarget, data: payload, addr: sendtoAddr }).map(({ t, ...r }): InnerTemplate => ({ ...r, ...t })),
    recv: fc.record({ op: fc.constant('recv' as const), fd: dataFd('tcpReadable', 'tcpRecv'), len: recvLen, flags: recvFlags }),
    recvfrom: fc.record({ op: fc.constant('recvfrom' as const), fd: dataFd('tcpReadable', 'tcpRecv'), len: recvLen, flags: recvFlags, out }),
    sendmsg: fc.oneof(
      { arbitrary: fc.record({ op: fc.constant('sendmsg' as const), t: inetSendTarget, msg: msgIn }), weight: 4 },
      // AF_UNIX: never MSG_OOB (not modelled).
      { arbitrary: fc.record({ op: fc.constant('sendmsg' as const), t: fc.record({ fd: unixFd, flags: tcpSendFlags }), msg: unixMsgIn }), weight: 3 },
      { arbitrary: fc.record({ op: fc.constant('sendmsg' as const), t: fc.record({ fd: vsockFd, flags: sendFlags }), msg: msgIn }), weight: 1 },
    ).chain(({ t, ...r }) => compatFlag(fc.constant(t.flags)).map((flags): InnerTemplate => ({ ...r, fd: t.fd, flags }))),
    recvmsg: fc.record({
      op: fc.constant('recvmsg' as const),
      fd: fc.oneof(
        { arbitrary: dataFd('tcpReadable', 'tcpRecv'), weight: 4 },
        { arbitrary: either<FdRef>(p / 2, fc.oneof({ arbitrary: k.map((i): FdRef => ({ role: 'unixReadable', k: i })), weight: 3 }, { arbitrary: k.map((i): FdRef => ({ role: 'unix', k: i })), weight: 1 }), badDataFd), weight: 3 },
        { arbitrary: vsockFd, weight: 1 },
      ),
      msg: msgOut, flags: compatFlag(recvFlags),
    }),
  };
  // socketcall(2) carrying one of the calls above (or, with invalid draws, a bad number,
  // an unreadable argument array, or one that ends before its table's count).
  const inner: fc.Arbitrary<InnerTemplate> = fc.oneof(
    socket, A.bind, A.listen, A.connect, A.accept, A.accept4, A.getname, A.setsockopt, A.getsockopt, A.shutdown,
    D.send, D.sendto, D.recv, D.recvfrom, D.sendmsg, D.recvmsg,
  );
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
  // sendfile: from the world's regular file (fd 4 when the world has one; otherwise fd 4
  // is a socket, or nothing) mostly, to a socket that can take it (UDP, TCP as tcpFile
  // says, AF_UNIX, AF_VSOCK) or /dev/null; offsets NULL or in and around the file; counts around its
  // size. Invalid draws: other fds, faulting or negative offsets, offsets at and past
  // ext4's s_maxbytes, a count of (size_t)-1.
  const sendfileOut = either<FdRef>(p / 2, fc.oneof(
    { arbitrary: k.map((i): FdRef => ({ role: 'filePeer', k: i })), weight: 5 },
    { arbitrary: k.map((i): FdRef => ({ role: 'udp', k: i })), weight: 2 },
    { arbitrary: k.map((i): FdRef => ({ role: 'tcpFile', k: i })), weight: 2 },
    { arbitrary: k.map((i): FdRef => ({ role: 'unix', k: i })), weight: 2 },
    { arbitrary: k.map((i): FdRef => ({ role: 'vsock', k: i })), weight: 1 },
    { arbitrary: fc.constantFrom<FdRef>({ raw: 1 }), weight: 1 },
  ), fc.oneof(rawFd, k.map((live): FdRef => ({ live }))));
  const sendfileIn = either<FdRef>(p / 2, fc.constant<FdRef>({ raw: FILE_FD }), fc.oneof(
    k.map((live): FdRef => ({ live })), k.map((sock): FdRef => ({ sock })), rawFd,
  ));
  const EXT4_MAXBYTES = 17592186040320;
  const sendfileOffset = either<Offset>(
    p,
    fc.oneof(
      { arbitrary: fc.constant<Offset>({ ptr: 'null' }), weight: 5 },
      { arbitrary: fc.constantFrom(0, 0, 1, 100, 200, 299, 300, 301, 4096).map((value): Offset => ({ ptr: 'ok', value })), weight: 4 },
    ),
    fc.oneof(
      fc.constant<Offset>({ ptr: 'bad' }),
      fc.constantFrom(-1, -4096, EXT4_MAXBYTES - 100, EXT4_MAXBYTES - 1, EXT4_MAXBYTES, EXT4_MAXBYTES + 1, Number.MAX_SAFE_INTEGER).map((value): Offset => ({ ptr: 'ok', value })),
    ),
  );
  const sendfileCount = either(p, fc.constantFrom(0, 1, 16, 100, 100, 300, 300, 1000, 2 ** 31), fc.constantFrom(-1, -(2 ** 40)));
  const sendfile: fc.Arbitrary<Template> = fc.record({ op: fc.constant('sendfile' as const), fd: sendfileOut, inFd: sendfileIn, offset: sendfileOffset, count: sendfileCount });
  /** `unix`: a call aimed at AF_UNIX sockets, left out where socketpair cannot run (there are none). */
  const entries: { op: Op; arbitrary: fc.Arbitrary<Template>; weight: number; unix?: boolean }[] = [
    { op: 'socket', arbitrary: socket, weight: 10 },
    { op: 'bind', arbitrary: A.bind, weight: 8 },
    { op: 'listen', arbitrary: A.listen, weight: 9 },
    { op: 'connect', arbitrary: A.connect, weight: 14 },
    { op: 'accept', arbitrary: A.accept, weight: 6 },
    { op: 'accept4', arbitrary: A.accept4, weight: 6 },
    { op: 'getsockname', arbitrary: A.getname, weight: 10 },
    { op: 'close', arbitrary: fc.record({ op: fc.constant('close' as const), fd: either<FdRef>(p / 2, fc.oneof({ arbitrary: k.map((sock) => ({ sock })), weight: 5 }, { arbitrary: k.map((live) => ({ live })), weight: 1 }), rawFd) }), weight: 7 },
    // close of a connected socket (a FIN, or an RST after SO_LINGER {1, 0} or with unread data).
    { op: 'close', arbitrary: fc.record({ op: fc.constant('close' as const), fd: roleFd('connected') }), weight: 2 },
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
    { op: 'send', arbitrary: D.send, weight: 6 },
    { op: 'sendto', arbitrary: D.sendto, weight: 8 },
    { op: 'recv', arbitrary: D.recv, weight: 7 },
    { op: 'recvfrom', arbitrary: D.recvfrom, weight: 6 },
    { op: 'sendmsg', arbitrary: D.sendmsg, weight: 9 },
    { op: 'recvmsg', arbitrary: D.recvmsg, weight: 8 },
    // Urgent-data reads on TCP sockets only (tcp_recv_urg: EINVAL, no urgent data is ever
    // sent here); MSG_OOB reads are not modelled on UDP and AF_UNIX sockets.
    { op: 'recv', arbitrary: fc.record({ op: fc.constant('recv' as const), fd: oobFd, len: recvLen, flags: oobFlags }), weight: 1 },
    { op: 'recvfrom', arbitrary: fc.record({ op: fc.constant('recvfrom' as const), fd: oobFd, len: recvLen, flags: oobFlags, out }), weight: 1 },
    { op: 'recvmsg', arbitrary: fc.record({ op: fc.constant('recvmsg' as const), fd: oobFd, msg: msgOut, flags: oobFlags }), weight: 1 },
    // Error-queue reads on TCP and UDP sockets (inet_recv_error: the queue is always empty
    // here, EAGAIN); AF_UNIX and AF_VSOCK receives with MSG_ERRQUEUE are not modelled.
    { op: 'recv', arbitrary: fc.record({ op: fc.constant('recv' as const), fd: dataFd('tcpReadable', 'tcpRecv'), len: recvLen, flags: errqFlags }), weight: 1 },
    { op: 'recvfrom', arbitrary: fc.record({ op: fc.constant('recvfrom' as const), fd: dataFd('tcpReadable', 'tcpRecv'), len: recvLen, flags: errqFlags, out }), weight: 1 },
    { op: 'recvmsg', arbitrary: fc.record({ op: fc.constant('recvmsg' as const), fd: dataFd('tcpReadable', 'tcpRecv'), msg: msgOut, flags: errqFlags }), weight: 1 },
    // AF_UNIX pairs: socketpair itself, reads of what was sent (or not), sends by name, names.
    { op: 'socketpair', arbitrary: socketpair, weight: 5 },
    { op: 'recv', arbitrary: fc.record({ op: fc.constant('recv' as const), fd: either<FdRef>(p / 2, fc.oneof({ arbitrary: k.map((i): FdRef => ({ role: 'unixReadable', k: i })), weight: 3 }, { arbitrary: k.map((i): FdRef => ({ role: 'unix', k: i })), weight: 1 }), badDataFd), len: recvLen, flags: recvFlags }), weight: 7, unix: true },
    { op: 'recvfrom', arbitrary: fc.record({ op: fc.constant('recvfrom' as const), fd: either<FdRef>(p / 2, k.map((i): FdRef => ({ role: 'unixReadable', k: i })), badDataFd), len: recvLen, flags: recvFlags, out }), weight: 3, unix: true },
    { op: 'sendto', arbitrary: fc.record({ op: fc.constant('sendto' as const), fd: unixFd, data: payload, flags: tcpSendFlags, addr: unixName }), weight: 2, unix: true },
    { op: 'bind', arbitrary: fc.record({ op: fc.constant('bind' as const), fd: unixTarget, addr: unixName }), weight: 2, unix: true },
    { op: 'connect', arbitrary: fc.record({ op: fc.constant('connect' as const), fd: unixTarget, addr: fc.oneof(unixName, fc.constant<AddrInT>({ ptr: 'ok', len: 2, family: AF_UNSPEC, addr: '0.0.0.0', port: 0 })) }), weight: 2, unix: true },
    { op: 'shutdown', arbitrary: fc.record({ op: fc.constant('shutdown' as const), fd: unixTarget, how: either(p, fc.constantFrom(0, 1, 2), fc.constantFrom(-1, 3)) }), weight: 2, unix: true },
    { op: 'close', arbitrary: fc.record({ op: fc.constant('close' as const), fd: unixTarget }), weight: 2, unix: true },
    // Sends that pile up, into a send buffer made small (SO_SNDBUF's minimum holds six skbs).
    { op: 'send', arbitrary: fc.record({ op: fc.constant('send' as const), fd: busyFd, data: hex(16), flags: tcpSendFlags }), weight: 3, unix: true },
    { op: 'setsockopt', arbitrary: fc.record({ op: fc.constant('setsockopt' as const), fd: busyFd, level: fc.constant(SOL_SOCKET), name: fc.constant(SO_SNDBUF), value: fc.constantFrom(0, 3000), optlen: fc.constant(4) }), weight: 1, unix: true },
    { op: 'sendfile', arbitrary: sendfile, weight: 6 },
  ];
  // AF_VSOCK sockets and the calls that can be made on them without leaving the machine.
  entries.push(...vsockEntries(p));
  const noUnix = o.skip?.has('socketpair') === true;
  return fc.oneof(...entries.filter((e) => !o.skip?.has(e.op) && !(noUnix && e.unix)).map(({ arbitrary, weight }) => ({ arbitrary, weight })));
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
function setsockoptArb(p: number, fd: fc.Arbitrary<FdRef>, connFd: fc.Arbitrary<FdRef>, v6: boolean): fc.Arbitrary<Template> {
  const ints = fc.constantFrom(...SETTABLE, ...(v6 ? SETTABLE6 : [])).chain(([level, name, values]) => fc.record({
    op: fc.constant('setsockopt' as const), fd, level: fc.constant(level), name: fc.constant(name), value: fc.constantFrom(...values), optlen: fc.constantFrom(4, 4, 8),
  }));
  // SO_LINGER's struct linger, mostly on connected sockets: on with time 0 (close resets) or a
  // few seconds (close waits for the FIN's ACK), or off.
  const linger = fc.record({
    op: fc.constant('setsockopt' as const), fd: fc.oneof({ arbitrary: connFd, weight: 3 }, { arbitrary: fd, weight: 1 }), level: fc.constant(SOL_SOCKET), name: fc.constant(SO_LINGER),
    value: fc.constantFrom(1, 1, 1, 0, 5), linger: fc.constantFrom(0, 0, 0, 1, 3), optlen: fc.constantFrom(8, 8, 16),
  });
  const valid = fc.oneof({ arbitrary: ints as fc.Arbitrary<Template>, weight: 6 }, { arbitrary: linger as fc.Arbitrary<Template>, weight: 3 });
  const invalid = fc.oneof(
    fc.record({
      op: fc.constant('setsockopt' as const), fd, ln: fc.constantFrom([SOL_SOCKET, SO_REUSEADDR] as const, [SOL_SOCKET, SO_RCVBUF] as const, [IPPROTO_TCP, TCP_NODELAY] as const),
      value: fc.constant(1), optlen: fc.constantFrom(-1, 0, 2, 3, 4), ptr: fc.constantFrom('ok' as const, 'null' as const, 'bad' as const),
    }).map(({ ln, ...r }): Template => ({ ...r, level: ln[0], name: ln[1] })),
    fc.record({
      op: fc.constant('setsockopt' as const), fd, level: fc.constant(SOL_SOCKET), name: fc.constant(SO_LINGER), value: fc.constant(1), linger: fc.constant(0),
      optlen: fc.constantFrom(-1, 2, 4, 7), ptr: fc.constantFrom('ok' as const, 'ok' as const, 'bad' as const),
    }),
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
  // SO_LINGER's struct linger: its 8 bytes mostly, sometimes part of it or more room.
  const lingerOpt = either<OptOut>(p, fc.constantFrom<OptOut>({ ptr: 'ok', lenPtr: 'ok', len: 8 }, { ptr: 'ok', lenPtr: 'ok', len: 16 }), fc.constantFrom<OptOut>({ ptr: 'ok', lenPtr: 'ok', len: 4 }, { ptr: 'ok', lenPtr: 'ok', len: 6 }, { ptr: 'bad', lenPtr: 'ok', len: 8 }));
  return fc.oneof(
    { arbitrary: fc.record({ op: fc.constant('getsockopt' as const), fd, ln: lvlName, opt }).map(({ ln, ...r }): Template => ({ ...r, level: ln[0], name: ln[1] })), weight: 3 },
    { arbitrary: fc.record({ op: fc.constant('getsockopt' as const), fd, level: fc.constant(SOL_SOCKET), name: fc.constant(SO_LINGER), opt: lingerOpt }), weight: 1 },
    // SO_ERROR mostly on sockets that tried to connect (where it holds something).
    { arbitrary: fc.record({ op: fc.constant('getsockopt' as const), fd: connFd, level: fc.constant(SOL_SOCKET), name: fc.constant(SO_ERROR), opt }), weight: 2 },
  );
}

/** A generated case: the world the session starts in and the calls. */
export interface Case {
  world: World;
  calls: Template[];
}

/**
 * The world a sequence runs in: mostly the default; sometimes a small fd table (so that
 * EMFILE is reachable in a short sequence) or no CAP_NET_BIND_SERVICE (so that EACCES
 * is); in half of them the regular file at fd 4 that sendfile sends from (never when
 * sendfile is not generated: an implementation without it may have no files). Shrinks
 * toward the default.
 */
export function worldArb(o?: Pick<GenOptions, 'skip'>): fc.Arbitrary<World> {
  const files = o?.skip?.has('sendfile') !== true;
  return fc.record({
    nofile: fc.oneof({ arbitrary: fc.constant(1024), weight: 9 }, { arbitrary: fc.constant(7), weight: 1 }),
    capNetBindService: fc.oneof({ arbitrary: fc.constant(true), weight: 9 }, { arbitrary: fc.constant(false), weight: 1 }),
    file: files ? fc.boolean() : fc.constant(false),
  }).map((w): World => {
    const out: World = {};
    if (w.nofile !== 1024) out.nofile = w.nofile;
    if (!w.capNetBindService) out.capNetBindService = false;
    if (w.file) out.file = true;
    return out;
  });
}

/**
 * SO_REUSEPORT on the first sockets, before anything binds them: in about one case in
 * three, the setup sockets are all of one protocol and each sets it with probability 2/3
 * (leaving some without it, which the sharing rules also need); in half of those they
 * are then bound, in order, to one port at addresses drawn from 127.0.0.1, 127.0.0.2 and
 * the wildcard, so that sharing, conflicts and the orders that matter (UDP's newest-first
 * walk) start the case, and the body's calls (listen, connect, sends, SO_REUSEPORT
 * cleared or set again, more binds) work on a shared port.
 */
interface ReuseportSetup {
  on: boolean[];
  bindTo?: { port: number; addrs: string[]; picks: number[] };
}
function reuseportSetup(): fc.Arbitrary<ReuseportSetup> {
  // Shrinks towards no SO_REUSEPORT at all (cross-shrinking to the first branch, each flag
  // towards false), so a minimal trace carries no setsockopt or bind it does not need.
  const on = fc.array(fc.constantFrom(false, true, true), { minLength: 3, maxLength: 3 });
  const bindTo = fc.record({
    port: fc.constantFrom(5000, 5001), addrs: fc.array(fc.constantFrom('127.0.0.1', '127.0.0.2', '0.0.0.0'), { minLength: 3, maxLength: 3 }),
    picks: fc.array(fc.nat({ max: 1 }), { minLength: 3, maxLength: 3 }),
  });
  return fc.oneof(
    { withCrossShrink: true },
    { arbitrary: fc.constant<ReuseportSetup>({ on: [] }), weight: 4 },
    { arbitrary: on.map((o): ReuseportSetup => ({ on: o })), weight: 1 },
    { arbitrary: fc.record({ on, bindTo }), weight: 1 },
  );
}

/**
 * The arbitrary of a whole case: up to three sockets first (so that the random calls
 * have targets), sometimes SO_REUSEPORT on them, then random calls; at most `maxLength`
 * calls in all.
 */
export function caseArb(o: GenOptions): fc.Arbitrary<Case> {
  const pre = Math.min(3, o.maxLength - 1);
  // The first calls make sockets: AF_INET mostly (AF_INET6 about one in three where the
  // implementation runs it), an AF_UNIX pair sometimes (where the adapter makes them).
  const inet6 = o.inet6 ?? true;
  const first: fc.Arbitrary<Template> = o.skip?.has('socketpair')
    ? validSocketArb(inet6)
    // (a socketpair here shrinks to a socket: cross-shrink to the first branch, so a minimal
    // trace about inet sockets carries no pair it does not need)
    : fc.oneof({ withCrossShrink: true }, { arbitrary: validSocketArb(inet6) as fc.Arbitrary<Template>, weight: 5 }, { arbitrary: validSocketpairArb() as fc.Arbitrary<Template>, weight: 1 });
  const usual = fc.record({
    world: worldArb(o),
    setup: fc.array(first, { minLength: Math.min(1, pre), maxLength: Math.max(0, pre) }),
    reuseport: reuseportSetup(),
    body: fc.array(templateArb(o), { minLength: 1, maxLength: o.maxLength - Math.max(0, pre), size: 'max' }),
  }).map(({ world, setup, reuseport, body }) => {
    // Sharing needs sockets of one protocol: with SO_REUSEPORT in play, all take the first one's.
    // (socketpair's AF_UNIX pairs are left out of such a case: only inet sockets share ports).
    const inet = setup.filter((t): t is Extract<Template, { op: 'socket' }> => t.op === 'socket');
    // (and of one family: which of an AF_INET and an AF_INET6 socket connected with the same
    // 4-tuple gets a datagram follows 6.13+'s udp4_lib_lookup4 order, not compute_score's
    // family preference, which the model does not know yet: found by npm run conformance --seed 1)
    const kind = inet[0] ? inet[0].type & 0xf : 0;
    const domain = inet[0] ? inet[0].domain : AF_INET;
    const socks: Template[] = reuseport.on.length === 0 ? setup : inet.map((t) => ({ ...t, domain, type: (t.type & ~0xf) | kind }));
    const rp = socks.flatMap((_, i): Template[] => (reuseport.on[i] ? [{ op: 'setsockopt', fd: { sock: i }, level: SOL_SOCKET, name: SO_REUSEPORT, value: 1, optlen: 4 }] : []));
    const b = reuseport.bindTo;
    // pick: an AF_INET6 socket among them binds the IPv6 form of its address (template.ts
    // resolveAddr: ::1 or ::ffff:127.0.0.1, :: or ::ffff:0.0.0.0, ::ffff:127.0.0.2), so the
    // dual-stack conflicts start the case too; an AF_INET one binds it as drawn.
    const binds = b === undefined ? [] : socks.map((_, i): Template => ({ op: 'bind', fd: { sock: i }, addr: { ptr: 'ok', len: 16, family: AF_INET, addr: b.addrs[i] ?? '127.0.0.1', port: b.port, pick: b.picks[i] ?? 0 } }));
    return { world, calls: [...socks, ...rp, ...binds, ...body].slice(0, Math.max(1, o.maxLength)) };
  });
  if (o.skip?.has('socketpair') || o.maxLength < 2 * FILL_LEN) return usual;
  // Sometimes an AF_UNIX pair whose send buffer is nearly full from the start (so that the
  // sends that find it full, sock_alloc_send_pskb's EAGAIN or wait, are reached at all).
  const filled = fc.record({
    world: worldArb(o),
    setup: unixFillArb(),
    body: fc.array(templateArb(o), { minLength: 1, maxLength: o.maxLength - FILL_LEN, size: 'max' }),
  }).map(({ world, setup, body }) => ({ world, calls: [...setup, ...body] }));
  // withCrossShrink: a failing filled case also shrinks towards a usual one (its fixed set-up cannot shrink).
  return fc.oneof({ withCrossShrink: true }, { arbitrary: usual, weight: 12 }, { arbitrary: filled, weight: 1 });
}

/** Calls of unixFillArb's setup. */
const FILL_LEN = 8;

/**
 * An AF_UNIX pair, SO_SNDBUF at its minimum (4608: six small skbs) on one end, and six
 * sends from that end, which its peer has not read: the next send from it finds no room.
 */
function unixFillArb(): fc.Arbitrary<Template[]> {
  const busy: FdRef = { role: 'unixBusy', k: 0 };
  return fc.tuple(validSocketpairArb(), fc.array(fc.constantFrom(0, MSG_DONTWAIT), { minLength: FILL_LEN - 2, maxLength: FILL_LEN - 2 })).map(([pair, flags]): Template[] => [
    pair,
    { op: 'setsockopt', fd: busy, level: SOL_SOCKET, name: SO_SNDBUF, value: 0, optlen: 4 },
    ...flags.map((f): Template => ({ op: 'send', fd: busy, data: '6869', flags: f })),
  ]);
}
