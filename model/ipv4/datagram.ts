/**
 * connect(2) on UDP sockets: inet_dgram_connect → ip4_datagram_connect (net/ipv4/datagram.c),
 * which AF_INET6 sockets reach through __ip6_datagram_connect (ipv6/datagram.ts, passed in
 * as `v6Target`) for IPv4 destinations.
 */
import { type State } from '../core/state.js';
import type { Call } from '../../spec/call.js';
import type { Outcome } from '../core/outcome.js';
import { same, to } from './tcp_ipv4.js';
import { AF_UNSPEC, SOCKADDR_IN_LEN, AF_INET } from '../../spec/constants.js';
import { produce } from 'immer';
import { udpHole, portSeqFor } from './inet_connection_sock.js';
import type { ErrnoName } from '../../spec/errno.js';
import { in4View } from '../../spec/inet6.js';
import { routeFrom, v4Saddr, asFamily } from './family.js';
import { type Sock, anyOf, sockName, isAny } from '../core/inet_sock.js';

type ConnectCall = Extract<Call, { op: 'connect' }>;
export function udpConnect(s: State, id: number, sk: Sock, c: ConnectCall, v6Target?: UdpV6Target): Outcome[] {
  const a = c.addr;
  // inet_dgram_connect: addr_len < sizeof(sa_family); AF_UNSPEC → __udp_disconnect.
  if (a.len < 2 || a.ptr !== 'ok') return [same(s, sk, 'connect/EINVAL-short', 'EINVAL')];
  if (a.family === AF_UNSPEC) {
    const next = produce(s, (d) => {
      const x = d.objs[id] as Sock;
      x.st = 'CLOSE';
      x.remote = null;
      // __udp_disconnect → sk_dst_reset.
      x.routeCached = false;
      x.flow = null;
      if (!x.addrLock) {
        x.addr = anyOf(x);
        x.saddr = anyOf(x);
        x.inet4Saddr = '';
      }
      if (!x.portLock) {
        x.port = 0;
        x.sport = 0;
      }
    });
    return [to(next, id, 'connect/udp-unspec', { ret: 0 })];
  }
  // inet_dgram_connect autobinds before ip4_datagram_connect looks at the address.
  const hole = sk.port === 0 ? udpHole(s, id, sk.addr) : undefined;
  const seq = portSeqFor(s, sk);
  const outcome = (rule: string, errno: ErrnoName | undefined, make: (x: Sock) => void): Outcome => ({
    rule,
    expect: errno
      ? { kind: 'returned', ret: -1, errno, bound: { addr: '', port: hole ?? sk.sport } }
      : { kind: 'returned', ret: 0, bound: { addr: '', port: hole ?? sk.sport } },
    next: (obs) =>
      produce(s, (d) => {
        const x = d.objs[id] as Sock;
        if (hole !== undefined) {
          const port = obs.kind === 'returned' && obs.bound ? obs.bound.port : 0;
          x.port = port;
          x.sport = port;
          x.portSeq = seq;
        }
        make(x);
      }),
  });
  const fix = (o: Outcome, addr: string): Outcome => {
    if (o.expect.kind === 'returned' && o.expect.bound) o.expect.bound.addr = addr;
    return o;
  };
  const name = sockName(sk).addr;
  const refuse = (rule: string, errno: ErrnoName, make: (x: Sock) => void = () => {}): Outcome[] => [
    fix(outcome(rule, errno, make), name),
  ];
  let v4: { len: number; family: number; addr: string; port: number };
  if (sk.family === 'inet') v4 = { len: a.len, family: a.family, addr: in4View(a), port: a.port };
  else {
    if (v6Target === undefined) throw new Error('model: an AF_INET6 UDP connect needs ipv6/datagram.ts');
    const t6 = v6Target(sk, a);
    if ('v4' in t6) v4 = t6.v4;
    else if ('errno' in t6)
      return refuse(t6.rule, t6.errno, (x) => {
        x.dev = t6.dev;
      });
    else {
      // ip6_datagram_dst_update: the source from the route if unset (sk_v6_rcv_saddr and
      // np->saddr), the peer recorded, ESTABLISHED, the route cached.
      return [
        fix(
          outcome('connect/udp', undefined, (x) => {
            if (isAny(x.saddr)) x.saddr = '::1';
            if (isAny(x.addr)) x.addr = '::1';
            x.remote = { addr: '::1', port: a.port };
            x.st = 'ESTABLISHED';
            x.routeCached = true;
            x.flow = null;
          }),
          isAny(sk.addr) ? '::1' : sk.addr,
        ),
      ];
    }
  }
  // __ip4_datagram_connect (for an AF_INET6 socket with its IPv4 view, ipv4/family.ts).
  if (v4.len < SOCKADDR_IN_LEN) return refuse('connect/udp-EINVAL-len', 'EINVAL');
  if (v4.family !== AF_INET) return refuse('connect/udp-EAFNOSUPPORT', 'EAFNOSUPPORT');
  const route = routeFrom(v4.addr, sk, 'udp');
  // __ip4_datagram_connect: sk_dst_reset, then ip_route_connect writes the target into the
  // socket's flow key (inet->cork.fl) before it fails, and nothing restores it: a later
  // send on the still-connected socket may go there (see Sock.flow).
  const stale = (x: Sock): void => {
    x.routeCached = false;
    x.flow = { addr: v4.addr, port: v4.port };
  };
  if ('errno' in route)
    return refuse(
      route.errno === 'EACCES'
        ? 'connect/udp-EACCES-broadcast'
        : route.errno === 'EINVAL'
          ? 'connect/udp6-EINVAL-mapped-src'
          : 'connect/udp-ENETUNREACH',
      route.errno,
      stale,
    );
  return [
    fix(
      outcome('connect/udp', undefined, (x) => {
        // __ip4_datagram_connect: source from the route if unset, peer recorded, ESTABLISHED;
        // for an AF_INET6 socket __ip6_datagram_connect's ipv4_connected arm then sets the
        // v4-mapped forms of the three addresses where they were unset.
        if (x.family === 'inet6' && v4Saddr(x) === '0.0.0.0') x.inet4Saddr = route.saddr;
        if (isAny(x.saddr)) x.saddr = asFamily(x.family, route.saddr);
        if (isAny(x.addr)) x.addr = asFamily(x.family, route.saddr);
        x.remote = { addr: asFamily(x.family, route.daddr), port: v4.port };
        x.st = 'ESTABLISHED';
        // sk_dst_set with the route found; the flow key is the peer's.
        x.routeCached = true;
        x.flow = null;
      }),
      !isAny(sk.addr) ? sk.addr : asFamily(sk.family, route.saddr),
    ),
  ];
}

/** __ip6_datagram_connect's checks (ipv6/datagram.ts udpV6Target). */
export type UdpV6Target = (
  sk: Sock,
  a: ConnectCall['addr'] & { ptr: 'ok' },
) =>
  | { v4: { len: number; family: number; addr: string; port: number } }
  | { rule: string; errno: ErrnoName; dev: number }
  | { loopback: true };
