/**
 * How a fresh network namespace with only `lo` up classifies IPv4 addresses
 * (inet_addr_type_table) and routes to them (ip_route_connect). Pure functions.
 */

export type AddrType = 'LOCAL' | 'BROADCAST' | 'MULTICAST' | 'UNICAST';

function octets(a: string): number[] {
  return a.split('.').map(Number);
}

/**
 * inet_addr_type_table in a namespace whose only interface is lo (127.0.0.1/8):
 * 0.0.0.0/8 and 255.255.255.255 are RTN_BROADCAST (ipv4_is_zeronet/lbcast),
 * 224.0.0.0/4 RTN_MULTICAST, 127.0.0.0/8 RTN_LOCAL (its 127.255.255.255 is the
 * subnet broadcast), anything else RTN_UNICAST (not ours).
 */
export function addrType(a: string): AddrType {
  const [o0 = 0, o1 = 0, o2 = 0, o3 = 0] = octets(a);
  if (o0 === 0 || (o0 === 255 && o1 === 255 && o2 === 255 && o3 === 255)) return 'BROADCAST';
  if (o0 >= 224 && o0 <= 239) return 'MULTICAST';
  if (o0 === 127) return o1 === 255 && o2 === 255 && o3 === 255 ? 'BROADCAST' : 'LOCAL';
  return 'UNICAST';
}

/**
 * Where a connect() to `dst` goes in such a namespace (ip_route_connect →
 * ip_route_output_key_hash_rcu): 0.0.0.0 means 127.0.0.1 ("if (!fl4->daddr)
 * fl4->daddr = fl4->saddr ... htonl(INADDR_LOOPBACK)"); 127.0.0.0/8 routes via lo with
 * source 127.0.0.1 (the local route's prefsrc) unless the socket has a source already;
 * unicast elsewhere has no route (ENETUNREACH). A multicast or limited-broadcast
 * destination has no route either, unless the socket already has a source address:
 * then "dev_out = __ip_dev_find(net, fl4->saddr)" makes the route via lo. Over such a
 * route tcp_v4_connect refuses both (RTCF_MULTICAST|RTCF_BROADCAST → ENETUNREACH) and
 * __ip4_datagram_connect refuses broadcast without SO_BROADCAST (EACCES) but takes
 * multicast.
 */
export function routeConnect(
  dst: string,
  saddr: string,
  proto: 'tcp' | 'udp',
): { daddr: string; saddr: string } | { errno: 'ENETUNREACH' | 'EACCES' } {
  const src = saddr !== '0.0.0.0' ? saddr : '127.0.0.1';
  if (dst === '0.0.0.0') return { daddr: src, saddr: src };
  const t = addrType(dst);
  if (t === 'LOCAL') return { daddr: dst, saddr: src };
  if (t === 'UNICAST' || saddr === '0.0.0.0') return { errno: 'ENETUNREACH' };
  if (proto === 'tcp') return { errno: 'ENETUNREACH' };
  if (t === 'BROADCAST') return { errno: 'EACCES' };
  return { daddr: dst, saddr };
}
