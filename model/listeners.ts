/**
 * Which listener a SYN reaches on loopback (__inet_lookup_listener), SO_REUSEPORT groups
 * included. Pure: reads the world.
 */
import { sockets, type Endpoint, type State } from './state.js';

/**
 * __inet_lookup_listener: the LISTEN sockets on the port that may take the SYN, those
 * bound to the exact address before those bound to the wildcard (inet_lhash2_lookup runs
 * on the address's slot first). Several listen on one address and port only through
 * SO_REUSEPORT: the first one with the best compute_score (sk_incoming_cpu may add one)
 * hands over to reuseport_select_sock, which picks a member of its group by the flow's
 * hash (reuseport_select_sock_by_hash); a listener that was put in a group of its own
 * (its partner cleared SO_REUSEPORT, see 'listen/bound-reuseport-stale') can be the first
 * one met. Any of them may take it.
 */
export function findListeners(s: State, dst: Endpoint): number[] {
  const exact: number[] = [];
  const wild: number[] = [];
  for (const [id, o] of sockets(s)) {
    if (o.proto !== 'tcp' || o.st !== 'LISTEN' || o.port !== dst.port) continue;
    if (o.addr === dst.addr) exact.push(id);
    else if (o.addr === '0.0.0.0') wild.push(id);
  }
  return exact.length > 0 ? exact : wild;
}
