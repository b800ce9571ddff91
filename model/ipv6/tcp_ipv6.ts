/**
 * tcp_v6_connect (net/ipv6/tcp_ipv6.c): the address checks and route lookup of a TCP
 * connect on an AF_INET6 socket; the rest of the connect is ipv4/tcp_ipv4.ts's, as
 * __inet_stream_connect is shared.
 */
import type { State } from '../core/state.js';
import type { Call } from '../../spec/call.js';
import { type Target, same } from '../ipv4/tcp_ipv4.js';
import { SIN6_LEN_RFC2133, AF_INET6, SOCKADDR_IN6_LEN } from '../../spec/constants.js';
import { in6View, mappedV4 } from '../../spec/inet6.js';
import { v6Type, ipv6Only, routeFrom, key } from '../ipv4/family.js';
import { LOOPBACK_IFINDEX, withBound } from '../ipv4/inet_name.js';
import { produce } from 'immer';
import { fail } from '../core/outcome.js';
import type { Sock } from '../core/inet_sock.js';

type ConnectCall = Extract<Call, { op: 'connect' }>;
/**
 * tcp_v6_connect's checks, in its order: addr_len < SIN6_LEN_RFC2133, the family, '::'
 * meaning loopback (v4-mapped when the socket's address is), multicast (ENETUNREACH), a
 * link-local destination's interface (the scope id must match a bound one and is then
 * bound; none at all: EINVAL); then a v4-mapped destination goes to tcp_v4_connect
 * (ENETUNREACH on an IPv6-only socket), any other to ip6_dst_lookup_flow: a v4-mapped
 * source cannot reach an IPv6 destination (ip6_dst_lookup_tail: EAFNOSUPPORT), and only
 * ::1 has a route.
 */
export function tcpV6Target(s: State, id: number, sk: Sock, a: ConnectCall['addr'] & { ptr: 'ok' }): Target {
  if (a.len < SIN6_LEN_RFC2133) return { out: same(s, sk, 'connect/tcp-EINVAL-len', 'EINVAL') };
  if (a.family !== AF_INET6) return { out: same(s, sk, 'connect/tcp-EAFNOSUPPORT', 'EAFNOSUPPORT') };
  const v = in6View(a);
  let daddr = v.addr;
  const srcMapped = mappedV4(sk.addr) !== undefined;
  if (daddr === '::') daddr = srcMapped ? '::ffff:127.0.0.1' : '::1';
  const t = v6Type(daddr);
  if (t === 'MULTICAST') return { out: same(s, sk, 'connect/tcp-ENETUNREACH', 'ENETUNREACH') };
  if (t === 'LINKLOCAL') {
    let dev = sk.dev;
    if (a.len >= SOCKADDR_IN6_LEN && v.scope_id !== 0) {
      if (dev !== 0 && dev !== v.scope_id) return { out: same(s, sk, 'connect/tcp6-EINVAL-scope', 'EINVAL') };
      dev = v.scope_id;
    }
    if (dev === 0) return { out: same(s, sk, 'connect/tcp6-EINVAL-scope', 'EINVAL') };
    if (dev !== LOOPBACK_IFINDEX)
      throw new Error('model: a connect on a socket bound to a missing interface is not modelled');
    // No route to a link-local address on lo (measured on 6.18: ENETUNREACH); the interface stays bound.
    const next =
      dev === sk.dev
        ? s
        : produce(s, (d) => {
            (d.objs[id] as Sock).dev = dev;
          });
    return { out: withBound(fail(next, 'connect/tcp-ENETUNREACH', 'ENETUNREACH'), next.objs[id] as Sock) };
  }
  if (t === 'MAPPED') {
    if (ipv6Only(sk)) return { out: same(s, sk, 'connect/tcp6-ENETUNREACH-v6only', 'ENETUNREACH') };
    const route = routeFrom(key(daddr), sk, 'tcp');
    if ('errno' in route) {
      // tcp_v4_connect failed: "icsk->icsk_af_ops = &ipv6_specific".
      const next = sk.afMapped
        ? produce(s, (d) => {
            (d.objs[id] as Sock).afMapped = false;
          })
        : s;
      return {
        out: withBound(
          fail(
            next,
            route.errno === 'EINVAL' ? 'connect/tcp6-EINVAL-mapped-src' : 'connect/tcp-ENETUNREACH',
            route.errno,
          ),
          sk,
        ),
      };
    }
    return { route };
  }
  // ip6_dst_lookup_tail: the route lookup first, then the v4-mapped source check.
  if (t !== 'LOOPBACK') return { out: same(s, sk, 'connect/tcp-ENETUNREACH', 'ENETUNREACH') };
  if (srcMapped) return { out: same(s, sk, 'connect/tcp6-EAFNOSUPPORT-mapped-src', 'EAFNOSUPPORT') };
  return { route: { daddr: '::1', saddr: '::1' } };
}
