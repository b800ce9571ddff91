/**
 * A UDP datagram on loopback: the socket lookup that decides who receives it
 * (__udp4_lib_lookup → compute_score), the receive queue's limit
 * (__udp_enqueue_schedule_skb) and the ICMP port unreachable that comes back when no
 * socket takes it (__udp4_lib_rcv → icmp_send → __udp4_lib_err). Loopback delivers inside
 * the sending call, so all of it happens before sendto returns (measured on 6.18).
 */
import { ipv6Only, isV4Key, key, v4Rcv } from './family.js';
import { sockets, type State } from '../core/state.js';
import {
  POLLERR,
  POLLRDHUP,
  POLLIN,
  POLLRDNORM,
  POLLHUP,
  POLLOUT,
  POLLWRNORM,
  POLLWRBAND,
} from '../../spec/constants.js';
import { isAny, type Endpoint, type Sock, RCV_SHUTDOWN, SHUTDOWN_MASK } from '../core/inet_sock.js';

/**
 * compute_score over the UDP sockets bound to `dst.port` (`dst` and `src` are keys,
 * ipv4/family.ts): a bound address must be
 * `dst.addr` (+4), a connected peer must be `src` (+4 for the address, +4 for the port).
 * Every socket with the best score (ties are broken by sk_incoming_cpu and hash order,
 * which the model does not know, so all of them are returned).
 *
 * SO_REUSEPORT does not widen this set: udp4_lib_lookup2 hands the first unconnected
 * socket with the best score to reuseport_select_sock, which picks by the flow's hash
 * (reuseport_select_sock_by_hash skips connected members) one member of its group, and
 * the group's members are unconnected sockets on the same address and port, i.e. ties
 * here. A connected socket that matches the sender wins before it (udp4_lib_lookup4 on
 * 6.13+ finds its 4-tuple first; reuseport_has_conns makes the group rescore). One
 * datagram goes to one of them (measured on 6.18: 40 datagrams from 40 source ports to a
 * group of two split 22/18).
 */
export function udpLookup(s: State, dst: Endpoint, src: Endpoint): number[] {
  let best = -1;
  let ids: number[] = [];
  const v4 = isV4Key(dst.addr);
  for (const [id, o] of sockets(s)) {
    if (o.proto !== 'udp' || o.port !== dst.port || o.port === 0) continue;
    // IPv4 (compute_score in udp.c): AF_INET sockets score 2, AF_INET6 ones that are not
    // IPv6-only 1, by their IPv4 view (ipv4/family.ts); IPv6 (udp6's compute_score): AF_INET6
    // sockets only, by sk_v6_rcv_saddr and sk_v6_daddr. A bound interface (lo) adds 4.
    let score: number;
    let rcv: string;
    if (v4) {
      if (ipv6Only(o)) continue;
      score = o.family === 'inet' ? 2 : 1;
      rcv = v4Rcv(o);
    } else {
      if (o.family !== 'inet6') continue;
      score = 0;
      rcv = o.addr === '::' ? '0.0.0.0' : o.addr;
    }
    if (rcv !== '0.0.0.0') {
      if (rcv !== dst.addr) continue;
      score += 4;
    }
    if (o.remote !== null && !isAny(o.remote.addr)) {
      if (key(o.remote.addr) !== src.addr) continue;
      score += 4;
      if (o.remote.port !== 0) {
        if (o.remote.port !== src.port) continue;
        score += 4;
      }
    }
    if (o.dev !== 0) score += 4;
    if (score > best) {
      best = score;
      ids = [id];
    } else if (score === best) ids.push(id);
  }
  return ids;
}

/**
 * An upper bound of a queued datagram's skb->truesize on loopback for payloads <= 128 bytes
 * (2 fit in SO_RCVBUF 0's 2304, measured).
 */
const TRUESIZE_MAX = 2304;

/**
 * Whether the receiver surely takes one more datagram, surely drops it, or may do either.
 * __udp_enqueue_schedule_skb drops when "rmem + size > rcvbuf" and "rmem > rcvbuf" (it
 * always lets one in), where rmem is sk_rmem_alloc: the queued skbs' truesize plus what
 * udp_rmem_release has not given back yet (it defers up to rcvbuf / 4 while the reader
 * queue is not empty). An empty queue always takes it; a queue whose worst case still fits
 * in 3/4 of rcvbuf surely takes it; otherwise it depends on sizes the model does not know.
 */
export function udpRoom(rcv: Sock): 'yes' | 'maybe' {
  const n = rcv.rq.length;
  if (n === 0 || (n + 1) * TRUESIZE_MAX <= 0.75 * rcv.rcvbuf) return 'yes';
  return 'maybe';
}

/**
 * __udp_is_mcast_sock: every UDP socket on `dst.port` whose bound address is the wildcard
 * or the group and whose peer, if connected, is `src` (ip_mc_sf_allow passes without
 * memberships: MC_ALL).
 */
export function mcastSocks(s: State, dst: Endpoint, src: Endpoint): number[] {
  const ids: number[] = [];
  for (const [id, o] of sockets(s)) {
    if (o.proto !== 'udp' || o.port !== dst.port || o.port === 0 || ipv6Only(o)) continue;
    const rcv = v4Rcv(o);
    if (rcv !== '0.0.0.0' && rcv !== dst.addr) continue;
    if (o.remote !== null && (key(o.remote.addr) !== src.addr || (o.remote.port !== 0 && o.remote.port !== src.port)))
      continue;
    ids.push(id);
  }
  return ids;
}

/**
 * udp_poll → datagram_poll (net/core/datagram.c): POLLERR while sk_err is set,
 * POLLRDHUP|POLLIN|POLLRDNORM after RCV_SHUTDOWN, POLLHUP when both directions are shut,
 * POLLIN|POLLRDNORM while a datagram is queued, and always writable (sock_writeable:
 * POLLOUT|POLLWRNORM|POLLWRBAND). Connected or not makes no difference (UDP is not
 * connection_based).
 */
export function udpPoll(sk: Sock): number {
  let mask = 0;
  if (sk.err !== null) mask |= POLLERR;
  if (sk.shut & RCV_SHUTDOWN) mask |= POLLRDHUP | POLLIN | POLLRDNORM;
  // "if (!skb_queue_empty_lockless(&sk->sk_receive_queue)) mask |= EPOLLIN | EPOLLRDNORM;"
  if (sk.rq.length > 0) mask |= POLLIN | POLLRDNORM;
  if (sk.shut === SHUTDOWN_MASK) mask |= POLLHUP;
  return mask | POLLOUT | POLLWRNORM | POLLWRBAND;
}
