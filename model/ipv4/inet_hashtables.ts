/**
 * Which listener a SYN reaches on loopback (__inet_lookup_listener for IPv4,
 * inet6_lookup_listener for IPv6), SO_REUSEPORT groups included. Pure: reads the world.
 */
import { ipv6Only, isV4Key, v4Rcv } from './family.js';
import { sockets, type State } from '../core/state.js';
import type { Endpoint } from '../core/inet_sock.js';

/**
 * The LISTEN sockets on the port that may take a SYN to `dst` (its address a key,
 * ipv4/family.ts: a v4-mapped destination is its IPv4 address), those bound to the exact
 * address before those bound to the wildcard (inet_lhash2_lookup runs on the address's
 * slot first). IPv4: AF_INET sockets and AF_INET6 ones that are not IPv6-only, by their
 * inet_rcv_saddr (compute_score: "!ipv6_only_sock(sk)", "sk->sk_rcv_saddr != daddr"); IPv6
 * (inet6_lookup_listener): AF_INET6 sockets bound to the address, else to '::'. Several
 * listen on one address and port only through SO_REUSEPORT: the first one with the best
 * compute_score (sk_incoming_cpu may add one; for IPv4 "if (sk->sk_family == PF_INET)
 * score++", so an AF_INET listener beats an AF_INET6 one unless the CPU bonus evens them)
 * hands over to reuseport_select_sock, which picks a member of its group by the flow's
 * hash (reuseport_select_sock_by_hash); a listener that was put in a group of its own
 * (its partner cleared SO_REUSEPORT, see 'listen/bound-reuseport-stale', or of the other
 * family: inet_reuseport_add_sock groups one family only) can be the first one met. Any
 * of them may take it.
 */
export function findListeners(s: State, dst: Endpoint): number[] {
  const exact: number[] = [];
  const wild: number[] = [];
  const v4 = isV4Key(dst.addr);
  for (const [id, o] of sockets(s)) {
    if (o.proto !== 'tcp' || o.st !== 'LISTEN' || o.port !== dst.port) continue;
    if (v4) {
      if (ipv6Only(o)) continue;
      const a = v4Rcv(o);
      if (a === dst.addr) exact.push(id);
      else if (a === '0.0.0.0') wild.push(id);
    } else {
      if (o.family !== 'inet6') continue;
      if (o.addr === dst.addr) exact.push(id);
      else if (o.addr === '::') wild.push(id);
    }
  }
  return exact.length > 0 ? exact : wild;
}
