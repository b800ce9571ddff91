/**
 * Port ownership: bind conflicts (inet_csk_bind_conflict / inet_bind_conflict for TCP,
 * udp_lib_lport_inuse for UDP) and the ports an ephemeral choice may land on
 * (inet_csk_find_open_port, __inet_hash_connect, udp_lib_get_port). Pure functions.
 */
import type { PortHole } from '../spec/expected.js';
import type { Profile } from '../spec/profile.js';
import { key, rcvSaddrEqual, v6Type } from './family.js';
import { isTimewait, sockets, type Endpoint, type Sock, type State } from './state.js';

/**
 * inet_rcv_saddr_equal(sk, other, match_wildcard=true) for `sk` about to own `addr`
 * (family.ts rcvSaddrEqual; __inet6_bind sets sk_ipv6only before get_port for a specific
 * address that is not v4-mapped).
 */
export function addrOverlap(sk: Sock, addr: string, other: Sock): boolean {
  const only = sk.family === 'inet6' && (sk.v6only || (v6Type(addr) !== 'ANY' && v6Type(addr) !== 'MAPPED'));
  return rcvSaddrEqual(sk.family, addr, only, other);
}

/**
 * Would `sk` (about to own `port` at `addr`) conflict with `other`?
 * TCP (inet_bind_conflict, relax=true, no SO_REUSEPORT): yes unless both set
 * SO_REUSEADDR and `other` is not listening. UDP (udp_lib_lport_inuse): yes unless both
 * set SO_REUSEADDR. Only sockets of the same protocol, same port, overlapping addresses.
 */
export function conflicts(sk: Sock, addr: string, port: number, other: Sock): boolean {
  if (other.proto !== sk.proto || other.port !== port || !addrOverlap(sk, addr, other)) return false;
  if (sk.proto === 'tcp') return !(sk.reuse && other.reuse && other.st !== 'LISTEN');
  return !(sk.reuse && other.reuse);
}

/**
 * SO_REUSEPORT's part in port sharing is not modelled: two sockets that both set it may
 * share a port (inet_bind_conflict, udp_lib_lport_inuse, which stops at the first
 * sharer it meets), UDP's ephemeral search skips their ports in its bitmap, and TCP's
 * skips attempt_half ("if (sk->sk_reuse && !sk->sk_reuseport)"). Every port decision for
 * a socket with it set is refused instead of guessed; without it on the deciding socket
 * none of these paths differ from the ones modelled here. (The generator sets it only
 * after a sequence's last bind, listen and connect.)
 */
function refuseReuseport(sk: Sock): void {
  if (sk.reuseport) throw new Error('model: port choice for a socket with SO_REUSEPORT set is not modelled');
}

/** True when some socket other than `id` conflicts with `id` owning addr:port. */
export function portConflict(s: State, id: number, addr: string, port: number): boolean {
  const sk = s.objs[id] as Sock;
  refuseReuseport(sk);
  for (const [oid, o] of sockets(s)) if (oid !== id && conflicts(sk, addr, port, o)) return true;
  return false;
}

/**
 * The ports bind(port 0) or listen()'s autobind may choose for a TCP socket
 * (inet_csk_find_open_port): odd ports first ("__inet_hash_connect() favors ports having
 * @low parity, we do the opposite"); with SO_REUSEADDR only the lower half of the range
 * is tried first (attempt_half). Excludes ports that would conflict.
 */
export function tcpBindHole(s: State, id: number, addr: string): PortHole {
  const p = s.profile;
  const sk = s.objs[id] as Sock;
  refuseReuseport(sk);
  let [lo, hi] = p.portRange;
  if (sk.reuse && hi + 1 - lo >= 4) hi = lo + (((hi + 1 - lo) >> 2) << 1) - 1;
  return { lo, hi, parity: lo % 2 === 0 ? 'odd' : 'even', taken: takenPorts(s, id, addr) };
}

/**
 * The ports connect()'s autobind may choose (__inet_hash_connect): the parity of the
 * range's low end first; never a port whose bucket was made by bind() or listen()
 * (fastreuse >= 0); a port that only connections hold is allowed unless a live
 * connection already has this 4-tuple (check_established; `srcAddr` and `dst` are keys,
 * family.ts). A TIME_WAIT holder of the
 * 4-tuple may or may not be taken over (tcp_twsk_unique compares seconds), so both
 * answers are allowed.
 */
export function tcpConnectHole(s: State, id: number, srcAddr: string, dst: Endpoint): PortHole {
  const [lo, hi] = s.profile.portRange;
  const taken = new Set<number>();
  for (const [oid, o] of sockets(s)) {
    if (oid === id || o.proto !== 'tcp' || o.port === 0) continue;
    if (o.viaBind) taken.add(o.port);
    else if (!isTimewait(o) && o.remote !== null && key(o.addr) === srcAddr && key(o.remote.addr) === dst.addr && o.remote.port === dst.port) taken.add(o.port);
  }
  return { lo, hi, parity: lo % 2 === 0 ? 'even' : 'odd', taken: [...taken].sort((a, b) => a - b) };
}

/** udp_lib_get_port(snum=0): any port in the range (random start, any parity) free of conflict. */
export function udpHole(s: State, id: number, addr: string): PortHole {
  refuseReuseport(s.objs[id] as Sock);
  const [lo, hi] = s.profile.portRange;
  return { lo, hi, taken: takenPorts(s, id, addr) };
}

function takenPorts(s: State, id: number, addr: string): number[] {
  const sk = s.objs[id] as Sock;
  const taken = new Set<number>();
  for (const [oid, o] of sockets(s)) {
    if (oid === id || o.proto !== sk.proto || o.port === 0 || !addrOverlap(sk, addr, o)) continue;
    taken.add(o.port);
  }
  return [...taken].sort((a, b) => a - b);
}

/** True when `port` satisfies the hole. */
export function inHole(h: PortHole, port: number): boolean {
  if (port < h.lo || port > h.hi) return false;
  if (h.parity === 'odd' && port % 2 === 0) return false;
  if (h.parity === 'even' && port % 2 === 1) return false;
  return !h.taken.includes(port);
}

/** Ports below ip_unprivileged_port_start need CAP_NET_BIND_SERVICE (inet_port_requires_bind_service). */
export function needsBindService(p: Profile, port: number): boolean {
  return port !== 0 && port < p.unprivilegedPortStart && !p.capNetBindService;
}
