/**
 * __ip6_datagram_connect (net/ipv6/datagram.c): the checks of a UDP connect on an
 * AF_INET6 socket before its route lookup; the rest is ipv4/datagram.ts's.
 */
import type { Call } from '../../spec/call.js';
import type { ErrnoName } from '../../spec/errno.js';
import { AF_INET, SIN6_LEN_RFC2133, AF_INET6, SOCKADDR_IN_LEN, SOCKADDR_IN6_LEN } from '../../spec/constants.js';
import { ipv6Only, v6Type, key, needsScope } from '../ipv4/family.js';
import { in4View, in6View, mappedV4 } from '../../spec/inet6.js';
import { LOOPBACK_IFINDEX } from '../ipv4/inet_name.js';
import type { Sock } from '../core/inet_sock.js';

type ConnectCall = Extract<Call, { op: 'connect' }>;
/**
 * __ip6_datagram_connect's checks before its route lookup: an AF_INET address goes to
 * __ip4_datagram_connect (EAFNOSUPPORT on an IPv6-only socket); addr_len <
 * SIN6_LEN_RFC2133; the family; '::' meaning loopback (v4-mapped when the socket's address
 * is); a v4-mapped destination goes to __ip4_datagram_connect (ENETUNREACH on an IPv6-only
 * socket); a link-local or link-scope multicast destination needs an interface (the scope
 * id must match a bound one and is then bound, also when the call fails); then
 * ip6_datagram_dst_update: a v4-mapped source cannot reach an IPv6 destination
 * (ip6_dst_lookup_tail: EAFNOSUPPORT), and only ::1 has a route (measured on 6.18: a
 * link-local destination on lo is ENETUNREACH).
 */
export function udpV6Target(
  sk: Sock,
  a: ConnectCall['addr'] & { ptr: 'ok' },
):
  | { v4: { len: number; family: number; addr: string; port: number } }
  | { rule: string; errno: ErrnoName; dev: number }
  | { loopback: true } {
  const err = (rule: string, errno: ErrnoName, dev = sk.dev): { rule: string; errno: ErrnoName; dev: number } => ({
    rule,
    errno,
    dev,
  });
  if (a.family === AF_INET) {
    if (ipv6Only(sk)) return err('connect/udp-EAFNOSUPPORT', 'EAFNOSUPPORT');
    return { v4: { len: a.len, family: AF_INET, addr: in4View(a), port: a.port } };
  }
  if (a.len < SIN6_LEN_RFC2133) return err('connect/udp-EINVAL-len', 'EINVAL');
  if (a.family !== AF_INET6) return err('connect/udp-EAFNOSUPPORT', 'EAFNOSUPPORT');
  const v = in6View(a);
  const srcMapped = mappedV4(sk.addr) !== undefined;
  const daddr = v.addr === '::' ? (srcMapped ? '::ffff:127.0.0.1' : '::1') : v.addr;
  const t = v6Type(daddr);
  if (t === 'MAPPED') {
    if (ipv6Only(sk)) return err('connect/udp6-ENETUNREACH-v6only', 'ENETUNREACH');
    return { v4: { len: SOCKADDR_IN_LEN, family: AF_INET, addr: key(daddr), port: a.port } };
  }
  if (needsScope(daddr)) {
    let dev = sk.dev;
    if (a.len >= SOCKADDR_IN6_LEN && v.scope_id !== 0) {
      if (dev !== 0 && dev !== v.scope_id) return err('connect/udp6-EINVAL-scope', 'EINVAL');
      dev = v.scope_id;
    }
    if (dev === 0) return err('connect/udp6-EINVAL-scope', 'EINVAL');
    if (dev !== LOOPBACK_IFINDEX)
      throw new Error('model: a connect on a socket bound to a missing interface is not modelled');
    return err('connect/udp-ENETUNREACH', 'ENETUNREACH', dev);
  }
  // ip6_dst_lookup_tail: the route lookup first, then the v4-mapped source check.
  if (t !== 'LOOPBACK') return err('connect/udp-ENETUNREACH', 'ENETUNREACH');
  if (srcMapped) return err('connect/udp6-EAFNOSUPPORT-mapped-src', 'EAFNOSUPPORT');
  return { loopback: true };
}
