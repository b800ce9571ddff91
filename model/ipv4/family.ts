/**
 * AF_INET and AF_INET6 sockets side by side. A socket keeps its addresses as text of its
 * own family: dotted quads for AF_INET, canonical IPv6 text for AF_INET6 (v4-mapped as
 * '::ffff:a.b.c.d', see spec/inet6.ts). IPv4 traffic of an AF_INET6 socket goes through
 * the IPv4 code with the mapped addresses (tcp_v6_connect → tcp_v4_connect,
 * __ip6_datagram_connect → __ip4_datagram_connect), and a connection's endpoints are
 * compared by `key`, in which a mapped address is its IPv4 address. Pure functions.
 */
import { mappedV4 } from '../../spec/inet6.js';
import { addrType, routeConnect } from './route.js';
import type { Sock } from '../core/inet_sock.js';

export type Family = 'inet' | 'inet6';

/** The wildcard address of a family: INADDR_ANY or in6addr_any. */
export function anyAddr(f: Family): string {
  return f === 'inet' ? '0.0.0.0' : '::';
}

/** An address comparable across families: a v4-mapped address is its IPv4 address. */
export function key(a: string): string {
  return mappedV4(a) ?? a;
}

/** True for IPv4 traffic (a dotted key). */
export function isV4Key(a: string): boolean {
  return !a.includes(':');
}

/** `a` (a key or text of either family) as socket `sk` stores it: mapped for AF_INET6 ('0.0.0.0' is '::' there). */
export function asFamily(f: Family, a: string): string {
  if (f === 'inet') return key(a);
  if (a === '0.0.0.0') return '::';
  return isV4Key(a) ? `::ffff:${a}` : a;
}

/**
 * inet_rcv_saddr of a socket, the IPv4 address the IPv4 code sees: an AF_INET6 socket's is
 * 0 for '::' (and '::ffff:0.0.0.0'), the mapped address for a v4-mapped bind, and
 * LOOPBACK4_IPV6 (127.0.0.6) for any other IPv6 address (__inet6_bind: "ipv4 addr of the
 * socket is invalid", and such a bind makes the socket IPv6-only).
 */
export function v4Rcv(sk: Sock): string {
  return v4RcvOf(sk.family, sk.addr);
}

/** inet_rcv_saddr of a socket of family `f` bound to `addr` (text of its family), as v4Rcv. */
export function v4RcvOf(f: Family, addr: string): string {
  if (f === 'inet') return addr;
  if (addr === '::') return '0.0.0.0';
  return mappedV4(addr) ?? '127.0.0.6';
}

/**
 * inet_saddr of a socket, the IPv4 source the IPv4 code uses: an AF_INET6 socket's is its
 * v4-mapped source, LOOPBACK4_IPV6 after a bind to another specific address (which makes
 * it IPv6-only), and 0 otherwise, also after an IPv6 connect chose ::1 as its source
 * (ip6_datagram_dst_update and tcp_v6_connect set only inet_rcv_saddr).
 */
export function v4Saddr(sk: Sock): string {
  if (sk.family === 'inet') return sk.saddr;
  if (sk.inet4Saddr !== '') return sk.inet4Saddr;
  const m = mappedV4(sk.saddr);
  if (m !== undefined) return m;
  return sk.saddr !== '::' && sk.v6only && sk.addrLock ? '127.0.0.6' : '0.0.0.0';
}

/** ipv6_only_sock: AF_INET6 with sk_ipv6only set (IPV6_V6ONLY, or a bind to a non-mapped specific address). */
export function ipv6Only(sk: Sock): boolean {
  return sk.family === 'inet6' && sk.v6only;
}

/** The IPv6 address type classes the model tells apart (ipv6_addr_type). */
export type V6Type = 'ANY' | 'MAPPED' | 'LOOPBACK' | 'LINKLOCAL' | 'MULTICAST' | 'UNICAST';

/** ipv6_addr_type of canonical IPv6 text. */
export function v6Type(a: string): V6Type {
  if (a === '::') return 'ANY';
  if (mappedV4(a) !== undefined) return 'MAPPED';
  if (a === '::1') return 'LOOPBACK';
  if (/^ff/i.test(a)) return 'MULTICAST';
  if (/^fe[89ab]/i.test(a)) return 'LINKLOCAL';
  return 'UNICAST';
}

/** __ipv6_addr_needs_scope_id: link-local unicast, and multicast of interface- or link-local scope. */
export function needsScope(a: string): boolean {
  const t = v6Type(a);
  return t === 'LINKLOCAL' || (t === 'MULTICAST' && /^ff[0-9a-f][12]:/i.test(a));
}

/** One side of an address comparison: the socket's family, its address (text of that family), sk_ipv6only. */
export interface SaddrView {
  family: Family;
  addr: string;
  v6only: boolean;
}

/**
 * The kernel's address comparison of `a` with `b`, with its two wildcard switches:
 * ipv6_rcv_saddr_equal when `a` is AF_INET6 (b's inet6_rcv_saddr is NULL when `b` is
 * AF_INET, which then counts as mapped: "if both are mapped, treat as IPv4"),
 * ipv4_rcv_saddr_equal(a, b, ipv6_only(b)) when `a` is AF_INET. `matchA`/`matchB`: a
 * wildcard on that side matches everything (match_sk1_wildcard, match_sk2_wildcard).
 */
export function saddrEqual(a: SaddrView, b: SaddrView, matchA: boolean, matchB: boolean): boolean {
  const v4eq = (): boolean => {
    if (b.v6only) return false;
    const x = v4RcvOf(a.family, a.addr),
      y = v4RcvOf(b.family, b.addr);
    return x === y || (matchA && x === '0.0.0.0') || (matchB && y === '0.0.0.0');
  };
  if (a.family === 'inet') return v4eq();
  const t1 = v6Type(a.addr);
  const t2: V6Type = b.family === 'inet6' ? v6Type(b.addr) : 'MAPPED';
  if (t1 === 'MAPPED' && t2 === 'MAPPED') return v4eq();
  if (t1 === 'ANY' && t2 === 'ANY') return true;
  if (t2 === 'ANY' && matchB && !(b.v6only && t1 === 'MAPPED')) return true;
  if (t1 === 'ANY' && matchA && !(a.v6only && t2 === 'MAPPED')) return true;
  return b.family === 'inet6' && a.addr === b.addr;
}

/**
 * inet_rcv_saddr_equal(sk, sk2, match_wildcard=true), `sk` about to own `addr` with
 * `v6only`: ipv4_rcv_saddr_equal for an AF_INET `sk`, ipv6_rcv_saddr_equal for an
 * AF_INET6 one (inet6_rcv_saddr(sk2) is NULL for an AF_INET sk2, which then counts as
 * mapped).
 */
export function rcvSaddrEqual(fam: Family, addr: string, v6only: boolean, sk2: Sock): boolean {
  return saddrEqual(
    { family: fam, addr, v6only },
    { family: sk2.family, addr: sk2.addr, v6only: ipv6Only(sk2) },
    true,
    true,
  );
}

/**
 * Refuses (throws) a handshake the model does not follow: sk_clone_lock copies
 * icsk_af_ops, so an ipv6_mapped listener's IPv6 children keep it and send their segments
 * down the IPv4 path, where they never arrive (measured on 6.18: the client never receives
 * the child's data). The generator never makes such a listener (harness/template.ts).
 */
export function refuseMappedListener(l: Sock, dst: string): void {
  if (l.afMapped && !isV4Key(dst))
    throw new Error('model: an IPv6 connection to a listener whose icsk_af_ops is ipv6_mapped is not modelled');
}

/**
 * ip_route_connect for the IPv4 view of `sk` (ipv4/family.ts). An AF_INET6 socket bound to a
 * v4-mapped multicast or limited-broadcast address has it as its inet_saddr too
 * (__inet6_bind sets both, where __inet_bind clears inet_saddr for such addresses), and
 * __ip_route_output_key refuses such a source: "if (ipv4_is_multicast(fl4->saddr) ||
 * ipv4_is_lbcast(fl4->saddr) || ipv4_is_zeronet(fl4->saddr)) goto out" with -EINVAL.
 */
export function routeFrom(
  dst: string,
  sk: Sock,
  proto: 'tcp' | 'udp',
): ReturnType<typeof routeConnect> | { errno: 'EINVAL' } {
  const src = v4Saddr(sk);
  if (src !== '0.0.0.0' && (addrType(src) === 'MULTICAST' || src === '255.255.255.255')) return { errno: 'EINVAL' };
  return routeConnect(dst, src, proto);
}
