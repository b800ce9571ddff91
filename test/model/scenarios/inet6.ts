/**
 * Per-rule scenarios of AF_INET6 sockets (model/ipv4/inet_bind.ts bind6, model/ipv4/tcp_ipv4.ts
 * tcpV6Target/udpV6Target, the IPV6_V6ONLY option and the SOL_IPV6 level).
 */
import type { AddrIn, Call } from '../../../spec/call.js';
import { AF_INET6, AF_UNIX, AF_UNSPEC, IPPROTO_IPV6, IPV6_V6ONLY, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_STREAM } from '../../../spec/constants.js';
import type { Scenario } from '../scenario.js';

/** A sockaddr_in6 (28 bytes unless `len` says otherwise). */
export const in6 = (addr: string, port: number, o: { len?: number; scope?: number } = {}): Extract<AddrIn, { ptr: 'ok' }> => ({
  ptr: 'ok', len: o.len ?? 28, family: AF_INET6, addr, port, ...(o.scope !== undefined ? { scope_id: o.scope } : {}),
});
export const tcp6 = (): Call => ({ op: 'socket', domain: AF_INET6, type: SOCK_STREAM, protocol: 0 });
export const udp6 = (): Call => ({ op: 'socket', domain: AF_INET6, type: SOCK_DGRAM, protocol: 0 });
const bind = (fd: number, addr: AddrIn): Call => ({ op: 'bind', fd, addr });
const connect = (fd: number, addr: AddrIn): Call => ({ op: 'connect', fd, addr });
const listen = (fd: number, backlog = 0): Call => ({ op: 'listen', fd, backlog });
const sendto = (fd: number, addr: AddrIn, data = '6869'): Call => ({ op: 'sendto', fd, data, flags: 0, addr });
/** sendmsg(fd, {name, iov=["6869"], 1, no control}, 0). */
const smsg = (fd: number, name: AddrIn): Call => ({
  op: 'sendmsg', fd, flags: 0, msg: { ptr: 'ok', name, iov: 'ok', iovs: [{ ptr: 'ok', data: '6869' }], iovlen: 1, control: 'ok', controllen: 0, flags: 0 },
});
export const v6only = (fd: number, value = 1, o: { optlen?: number } = {}): Call => ({ op: 'setsockopt', fd, level: IPPROTO_IPV6, name: IPV6_V6ONLY, value, optlen: o.optlen ?? 4 });
const s = (...calls: Call[]): Scenario => ({ calls });

export const SCENARIOS: Record<string, Scenario> = {
  'bind/EINVAL-mcast-stream': s(tcp6(), bind(4, in6('ff02::1', 0))),
  'bind/EINVAL-v6only-mapped': s(tcp6(), v6only(4), bind(4, in6('::ffff:127.0.0.1', 0))),
  'bind/EINVAL-scope': s(tcp6(), bind(4, in6('fe80::1', 0))),
  'bind/ENODEV': s(tcp6(), bind(4, in6('fe80::1', 0, { scope: 99 }))),
  'connect/tcp6-EINVAL-scope': s(tcp6(), connect(4, in6('fe80::1', 5000))),
  'connect/tcp6-ENETUNREACH-v6only': s(tcp6(), v6only(4), connect(4, in6('::ffff:127.0.0.1', 5000))),
  'connect/tcp6-EAFNOSUPPORT-mapped-src': s(tcp6(), bind(4, in6('::ffff:127.0.0.1', 0)), connect(4, in6('::1', 5000))),
  'connect/tcp6-syn-lost': {
    variant: { 'tcp6-mapped-ops': 'sticky' },
    calls: [
      tcp6(), bind(4, in6('::', 7000)), listen(4), { op: 'socket', domain: AF_INET6, type: SOCK_STREAM | SOCK_NONBLOCK, protocol: 0 },
      connect(5, in6('::ffff:127.0.0.1', 7000)), connect(5, { ptr: 'ok', len: 2, family: AF_UNSPEC, addr: '::', port: 0 }), connect(5, in6('::1', 7000)),
    ],
  },
  'connect/EINVAL-after-listen': {
    variant: { 'connect-after-listen': 'einval' },
    calls: [tcp6(), listen(4), connect(4, { ptr: 'ok', len: 2, family: AF_UNSPEC, addr: '::', port: 0 }), connect(4, in6('::1', 5000))],
  },
  'connect/tcp6-EINVAL-mapped-src': s(tcp6(), bind(4, in6('::ffff:224.0.0.1', 0)), connect(4, in6('::ffff:127.0.0.1', 5000))),
  'connect/udp6-EINVAL-mapped-src': s(udp6(), bind(4, in6('::ffff:255.255.255.255', 0)), connect(4, in6('::ffff:127.0.0.1', 5000))),
  'connect/udp6-ENETUNREACH-v6only': s(udp6(), v6only(4), connect(4, in6('::ffff:127.0.0.1', 5000))),
  'connect/udp6-EINVAL-scope': s(udp6(), connect(4, in6('fe80::1', 5000))),
  'connect/udp6-EAFNOSUPPORT-mapped-src': s(udp6(), bind(4, in6('::ffff:127.0.0.1', 0)), connect(4, in6('::1', 5000))),
  'sendto/EAFNOSUPPORT-mapped-src': s(udp6(), bind(4, in6('::ffff:127.0.0.1', 0)), sendto(4, in6('::1', 5000))),
  'send/EAFNOSUPPORT-mapped-src': { unreachable: 'a connected AF_INET6 socket with an IPv6 peer has an IPv6 source: a v4-mapped bound socket cannot connect to one (connect/udp6-EAFNOSUPPORT-mapped-src), and neither a later bind (EINVAL) nor an IPv4 connect (which keeps a set source) makes its source v4-mapped' },
  'sendto/EINVAL-mapped-src': s(udp6(), bind(4, in6('::ffff:224.0.0.1', 0)), sendto(4, in6('::ffff:127.0.0.1', 5000))),
  'send/EINVAL-mapped-src': { unreachable: 'a socket whose source is a v4-mapped multicast or broadcast address cannot connect (connect/udp6-EINVAL-mapped-src), so a send without an address has no peer (EDESTADDRREQ)' },
  'sendto/EINVAL-family': s(udp6(), sendto(4, { ptr: 'ok', len: 28, family: AF_UNIX, addr: '::1', port: 5000 })),
  // A v4-mapped peer on port 0 reaches udp_sendmsg's port check through inet_dport.
  'send/EINVAL-port0-mapped-peer': s(udp6(), connect(4, in6('::ffff:127.0.0.1', 0)), { op: 'send', fd: 4, data: '6869', flags: 0 }),
  'sendto/EINVAL-port0-mapped-peer': s(udp6(), connect(4, in6('::ffff:127.0.0.1', 0)), sendto(4, { ptr: 'null', len: 0 })),
  'sendmsg/EINVAL-port0-mapped-peer': s(udp6(), connect(4, in6('::ffff:127.0.0.1', 0)), smsg(4, { ptr: 'null', len: 0 })),
  // sendmsg's msg_name takes udpv6_sendmsg's path as sendto's address does.
  'sendmsg/EINVAL-family': s(udp6(), smsg(4, { ptr: 'ok', len: 28, family: AF_UNIX, addr: '::1', port: 5000 })),
  'sendmsg/EAFNOSUPPORT-mapped-src': s(udp6(), bind(4, in6('::ffff:127.0.0.1', 0)), smsg(4, in6('::1', 5000))),
  'sendmsg/EINVAL-mapped-src': s(udp6(), bind(4, in6('::ffff:224.0.0.1', 0)), smsg(4, in6('::ffff:127.0.0.1', 5000))),
  'setsockopt/IPV6_V6ONLY': s(tcp6(), v6only(4)),
  'setsockopt/EINVAL-v6only': s(udp6(), bind(4, in6('::', 0)), v6only(4)),
  'getsockopt/IPV6_V6ONLY': s(tcp6(), bind(4, in6('::1', 0)), { op: 'getsockopt', fd: 4, level: IPPROTO_IPV6, name: IPV6_V6ONLY, opt: { ptr: 'ok', lenPtr: 'ok', len: 4 } }),
  'getsockopt/ENOPROTOOPT-level': s(tcp6(), { op: 'getsockopt', fd: 4, level: 999, name: 1, opt: { ptr: 'ok', lenPtr: 'ok', len: 4 } }),
};
