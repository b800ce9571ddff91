/**
 * Port ownership: bind conflicts (inet_csk_bind_conflict / inet_bind_conflict for TCP,
 * udp_lib_lport_inuse for UDP), SO_REUSEADDR and SO_REUSEPORT sharing, the TCP bind
 * bucket's fast path (sk_reuseport_match), and the ports an ephemeral choice may land on
 * (inet_csk_find_open_port, __inet_hash_connect, udp_lib_get_port). Pure functions,
 * except the bucket updates (updateFastreuse, connectBucket), which change an immer draft.
 */
import { variantOf } from '../../spec/variants.js';
import type { PortHole } from '../../spec/expected.js';
import type { Profile } from '../../spec/profile.js';
import { key, rcvSaddrEqual, saddrEqual, v6Type, type SaddrView } from './family.js';
import { sockets, type State } from '../core/state.js';
import { isTimewait, type Endpoint, type Sock, type TcpBucket } from '../core/inet_sock.js';

/**
 * inet_rcv_saddr_equal(sk, other, match_wildcard=true) for `sk` about to own `addr`
 * (ipv4/family.ts rcvSaddrEqual; __inet6_bind sets sk_ipv6only before get_port for a specific
 * address that is not v4-mapped).
 */
export function addrOverlap(sk: Sock, addr: string, other: Sock): boolean {
  return rcvSaddrEqual(sk.family, addr, v6onlyAt(sk, addr), other);
}

/**
 * ipv6_only_sock(sk) while get_port runs for `sk` at `addr`: __inet6_bind has set
 * sk_ipv6only for a specific address that is not v4-mapped.
 */
function v6onlyAt(sk: Sock, addr: string): boolean {
  return sk.family === 'inet6' && (sk.v6only || (v6Type(addr) !== 'ANY' && v6Type(addr) !== 'MAPPED'));
}

/**
 * TCP, inet_bind_conflict(relax=true, reuseport_ok=true) for a socket of the same uid
 * (every socket here is root's): would `sk` conflict with `other`, an owner of the port at
 * an overlapping address? Not if both set SO_REUSEADDR and `other` is not listening, nor
 * if both set SO_REUSEPORT (reuseport_cb_ok: `sk` is in no reuseport group, since only a
 * listener is and listen() asks for the port before inet_hash adds it to one).
 */
export function tcpConflicts(sk: Sock, other: Sock): boolean {
  if (sk.reuse && other.reuse && other.st !== 'LISTEN') return false;
  return !(sk.reuseport && other.reuseport);
}

/**
 * UDP, udp_lib_lport_inuse: `other` (same port, overlapping address) is skipped when
 * both set SO_REUSEADDR; otherwise it is a sharer when both set SO_REUSEPORT (the binding
 * socket is unhashed, so it has no sk_reuseport_cb), and a conflict when not.
 */
function udpRelation(sk: Sock, other: Sock): 'skip' | 'sharer' | 'conflict' {
  if (sk.reuse && other.reuse) return 'skip';
  return sk.reuseport && other.reuseport ? 'sharer' : 'conflict';
}

/**
 * How get_port answers for an explicit port: 'free' (no owner in the way, or only
 * SO_REUSEADDR sharers), 'reuseport' (some owner shares it only thanks to SO_REUSEPORT on
 * both), 'reuseport-stale' (TCP: sk_reuseport_match let the bucket's fast path skip a
 * check that would have failed: an owner cleared SO_REUSEPORT after taking the port),
 * 'reuseport-first' (UDP: udp_lib_lport_inuse stopped at a newer SO_REUSEPORT sharer and
 * never looked at an older socket that conflicts), or 'conflict' (EADDRINUSE).
 */
export type PortShare = 'free' | 'reuseport' | 'reuseport-stale' | 'reuseport-first' | 'conflict';

/**
 * get_port(snum) for socket `id` owning addr:port (inet_csk_get_port for TCP, with `s`
 * holding the socket in the state it asks in: LISTEN from listen(); udp_lib_get_port for
 * UDP, whose table has at most 10 sockets on a port here, so the primary hash slot).
 */
export function portShare(s: State, id: number, addr: string, port: number): PortShare {
  const sk = s.objs[id] as Sock;
  const owners: Sock[] = [];
  // Variant v4mapped-any-owner=missed (6.1.176): a TCP bind of an AF_INET6 socket to a
  // v4-mapped address other than ::ffff:0.0.0.0 goes to bhash2 and its wildcard check looks
  // at the [::] and 0.0.0.0 buckets only, never meeting an AF_INET6 owner of ::ffff:0.0.0.0.
  const missMappedAny =
    sk.proto === 'tcp' &&
    sk.family === 'inet6' &&
    v6Type(addr) === 'MAPPED' &&
    addr !== '::ffff:0.0.0.0' &&
    variantOf(s.profile.variants, 'v4mapped-any-owner') === 'missed';
  for (const [oid, o] of sockets(s)) {
    if (missMappedAny && o.family === 'inet6' && o.addr === '::ffff:0.0.0.0') continue;
    if (oid !== id && o.proto === sk.proto && o.port === port && addrOverlap(sk, addr, o)) owners.push(o);
  }
  if (sk.proto === 'udp') {
    // Variant udp-reuseport-walk=whole-slot (spec/variants.ts; 6.18-fc-v1300): every owner
    // is checked, so any conflict answers EADDRINUSE whatever the order.
    if (variantOf(s.profile.variants, 'udp-reuseport-walk') === 'whole-slot') {
      const rel = owners.map((o) => udpRelation(sk, o));
      return rel.includes('conflict') ? 'conflict' : rel.includes('sharer') ? 'reuseport' : 'free';
    }
    // 'first-sharer', udp_lib_lport_inuse as read upstream: newest first (sk_add_node_rcu);
    // the first sharer ends the walk ("if (!bitmap) return 0").
    owners.sort((a, b) => (b.portSeq ?? 0) - (a.portSeq ?? 0));
    for (let i = 0; i < owners.length; i++) {
      const r = udpRelation(sk, owners[i]!);
      if (r === 'skip') continue;
      if (r === 'conflict') return 'conflict';
      return owners.slice(i + 1).some((o) => udpRelation(sk, o) === 'conflict') ? 'reuseport-first' : 'reuseport';
    }
    return 'free';
  }
  const slow: PortShare = owners.some((o) => tcpConflicts(sk, o))
    ? 'conflict'
    : owners.some((o) => !(sk.reuse && o.reuse && o.st !== 'LISTEN'))
      ? 'reuseport'
      : 'free';
  // inet_csk_get_port: "if (!hlist_empty(&tb->bhash2)) { if (... || sk_reuseport_match(tb, sk))
  // check_bind_conflict = false; }" (tb->fastreuse never gets above 0 on 6.x, see TcpBucket).
  const tb = tcpBucket(s, port);
  if (tb !== undefined && reuseportMatch(tb, sk, addr)) return slow === 'conflict' ? 'reuseport-stale' : slow;
  return slow;
}

/** The live bucket of TCP `port` (some TCP socket holds the port), or undefined. */
export function tcpBucket(s: State, port: number): TcpBucket | undefined {
  for (const [, o] of sockets(s)) {
    if (o.proto === 'tcp' && o.port === port) return s.tcpBuckets?.[port] ?? { fastreuseport: 0, fastAddr: '0.0.0.0' };
  }
  return undefined;
}

/**
 * sk_reuseport_match: the bucket is on the fast path (FASTREUSEPORT_STRICT), `sk` sets
 * SO_REUSEPORT, is in no reuseport group, has the bucket's uid, and its address equals
 * the bucket's or that is the wildcard: "if (tb->fast_sk_family == AF_INET6) return
 * ipv6_rcv_saddr_equal(&tb->fast_v6_rcv_saddr, inet6_rcv_saddr(sk), tb->fast_rcv_saddr,
 * sk->sk_rcv_saddr, tb->fast_ipv6_only, ipv6_only_sock(sk), true, false)", else
 * ipv4_rcv_saddr_equal(tb->fast_rcv_saddr, sk->sk_rcv_saddr, ipv6_only_sock(sk), true,
 * false) (so an AF_INET6 socket is compared by its inet_rcv_saddr, ipv4/family.ts v4Rcv).
 */
function reuseportMatch(tb: TcpBucket, sk: Sock, addr: string): boolean {
  if (!(tb.fastreuseport > 0 && sk.reuseport)) return false;
  const fast: SaddrView = { family: tb.fastFamily ?? 'inet', addr: tb.fastAddr, v6only: tb.fastV6only ?? false };
  return saddrEqual(fast, { family: sk.family, addr, v6only: v6onlyAt(sk, addr) }, true, false);
}

/**
 * inet_csk_update_fastreuse after inet_csk_get_port gave `port` to `sk` (at `addr`), in
 * the draft `d` taken before the socket holds the port or, from listen(), while it does:
 * a SO_REUSEPORT socket that does not match makes the bucket FASTREUSEPORT_STRICT for its
 * address; any other socket takes the bucket off the fast path. Entries of freed buckets
 * are dropped on the way.
 */
export function updateFastreuse(d: State, before: State, sk: Sock, addr: string, port: number): void {
  const tb = tcpBucket(before, port) ?? { fastreuseport: 0, fastAddr: '0.0.0.0' };
  // "tb->fast_rcv_saddr = sk->sk_rcv_saddr; tb->fast_ipv6_only = ipv6_only_sock(sk);
  // tb->fast_sk_family = sk->sk_family; tb->fast_v6_rcv_saddr = sk->sk_v6_rcv_saddr"
  const strict: TcpBucket =
    sk.family === 'inet6'
      ? { fastreuseport: 2, fastAddr: addr, fastFamily: 'inet6', fastV6only: v6onlyAt(sk, addr) }
      : { fastreuseport: 2, fastAddr: addr };
  const next: TcpBucket = sk.reuseport ? (reuseportMatch(tb, sk, addr) ? tb : strict) : { ...tb, fastreuseport: 0 };
  setBucket(d, before, port, next);
}

/** __inet_hash_connect made a new bucket for `port` (fastreuse = fastreuseport = -1) unless one is live. */
export function connectBucket(d: State, before: State, port: number): void {
  if (tcpBucket(before, port) === undefined) setBucket(d, before, port, { fastreuseport: -1, fastAddr: '0.0.0.0' });
}

function setBucket(d: State, before: State, port: number, tb: TcpBucket): void {
  const live = new Set<number>();
  for (const [, o] of sockets(before)) if (o.proto === 'tcp' && o.port !== 0) live.add(o.port);
  const kept: Record<number, TcpBucket> = {};
  for (const [k, v] of Object.entries(d.tcpBuckets ?? {})) if (live.has(Number(k))) kept[Number(k)] = v;
  kept[port] = tb;
  d.tcpBuckets = kept;
}

/**
 * The portSeq `sk` takes when udp_lib_get_port hashes it: the head of the port's slot
 * (sk_add_node_rcu, met first), except an AF_INET6 socket with SO_REUSEPORT, which goes to
 * the tail ("if (IS_ENABLED(CONFIG_IPV6) && sk->sk_reuseport && sk->sk_family == AF_INET6)
 * sk_add_node_tail_rcu", so that v4 sockets of a mixed group are met first): met last.
 * Found by npm run conformance (a v6 wildcard SO_REUSEPORT bind refused because of an older
 * plain socket behind a v6 sharer).
 */
export function portSeqFor(s: State, sk: Sock): number {
  if (sk.proto !== 'udp' || sk.family !== 'inet6' || !sk.reuseport) return nextPortSeq(s);
  let m = 0;
  for (const [, o] of sockets(s)) if (o.portSeq !== undefined && o.portSeq < m) m = o.portSeq;
  return m - 1;
}

/** The next portSeq: newer than every socket's (see Sock.portSeq). */
export function nextPortSeq(s: State): number {
  let m = 0;
  for (const [, o] of sockets(s)) if (o.portSeq !== undefined && o.portSeq > m) m = o.portSeq;
  return m + 1;
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
  let [lo, hi] = p.portRange;
  if (sk.reuse && hi + 1 - lo >= 4) hi = lo + (((hi + 1 - lo) >> 2) << 1) - 1;
  return { lo, hi, parity: lo % 2 === 0 ? 'odd' : 'even', taken: takenPorts(s, id, addr) };
}

/**
 * The ports connect()'s autobind may choose (__inet_hash_connect): the parity of the
 * range's low end first; never a port whose bucket was made by bind() or listen()
 * (fastreuse >= 0); a port that only connections hold is allowed unless a live
 * connection already has this 4-tuple (check_established; `srcAddr` and `dst` are keys,
 * ipv4/family.ts). A TIME_WAIT holder of the
 * 4-tuple may or may not be taken over (tcp_twsk_unique compares seconds), so both
 * answers are allowed.
 */
export function tcpConnectHole(s: State, id: number, srcAddr: string, dst: Endpoint): PortHole {
  const [lo, hi] = s.profile.portRange;
  const taken = new Set<number>();
  for (const [oid, o] of sockets(s)) {
    if (oid === id || o.proto !== 'tcp' || o.port === 0) continue;
    if (o.viaBind) taken.add(o.port);
    else if (
      !isTimewait(o) &&
      o.remote !== null &&
      key(o.addr) === srcAddr &&
      key(o.remote.addr) === dst.addr &&
      o.remote.port === dst.port
    )
      taken.add(o.port);
  }
  return { lo, hi, parity: lo % 2 === 0 ? 'even' : 'odd', taken: [...taken].sort((a, b) => a - b) };
}

/**
 * udp_lib_get_port(snum=0): any port in the range (random start, any parity) that
 * udp_lib_lport_inuse's bitmap leaves clear: it marks only conflicting sockets, so a port
 * held by SO_REUSEADDR or SO_REUSEPORT sharers may be chosen.
 */
export function udpHole(s: State, id: number, addr: string): PortHole {
  const [lo, hi] = s.profile.portRange;
  const sk = s.objs[id] as Sock;
  const taken = new Set<number>();
  for (const [oid, o] of sockets(s)) {
    if (oid === id || o.proto !== 'udp' || o.port === 0 || !addrOverlap(sk, addr, o)) continue;
    if (udpRelation(sk, o) === 'conflict') taken.add(o.port);
  }
  return { lo, hi, taken: [...taken].sort((a, b) => a - b) };
}

/**
 * inet_csk_find_open_port (relax=false, reuseport_ok=false): every owner at an
 * overlapping address makes a port unusable, SO_REUSEPORT or not.
 */
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
