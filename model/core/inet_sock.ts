/**
 * An AF_INET or AF_INET6 socket as the model keeps it: struct sock, struct inet_sock and
 * struct tcp_sock's fields that some rule reads (include/net/sock.h, inet_sock.h,
 * tcp.h), with the file's flags; how inet_create and a listener's clone make one; and the
 * names it reports. Plain data and pure helpers (expandSndbuf changes an immer draft).
 */
import type { ErrnoName } from '../../spec/errno.js';
import { LINUX_BUFFERS, type Profile } from '../../spec/profile.js';

/** sk->sk_state (include/net/tcp_states.h); UDP uses CLOSE and ESTABLISHED only. */
export type SkState =
  'CLOSE' | 'LISTEN' | 'SYN_SENT' | 'ESTABLISHED' | 'CLOSE_WAIT' | 'FIN_WAIT2' | 'LAST_ACK' | 'TIME_WAIT';

/** sk_shutdown bits (include/net/sock.h): inet_shutdown's how + 1. */
export const RCV_SHUTDOWN = 1;

export const SEND_SHUTDOWN = 2;

/** SHUTDOWN_MASK: both. */
export const SHUTDOWN_MASK = RCV_SHUTDOWN | SEND_SHUTDOWN;

/** socket->state (SS_*, include/uapi/linux/net.h). */
export type SsState = 'UNCONNECTED' | 'CONNECTING' | 'CONNECTED' | 'DISCONNECTING';

export interface Endpoint {
  addr: string;
  port: number;
}

/** An AF_INET or AF_INET6 socket (struct sock + struct socket + the file's flags). */
export interface Sock {
  kind: 'socket';
  proto: 'tcp' | 'udp';
  /** sk_family: its addresses are text of this family (model/ipv4/family.ts). */
  family: 'inet' | 'inet6';
  /** sk_ipv6only (IPV6_V6ONLY, or set by a bind to a specific non-mapped address); false for AF_INET. */
  v6only: boolean;
  /**
   * sk_bound_dev_if: set by an AF_INET6 bind with a sin6_scope_id (and left set when that
   * bind then fails); 0 when none. Only 1 (lo) is ever an existing interface here.
   */
  dev: number;
  /**
   * AF_INET6 TCP: icsk_af_ops is ipv6_mapped (set by a v4-mapped connect that got past
   * tcp_v4_connect, and for a child of an IPv4 connection; tcp_v6_connect puts
   * ipv6_specific back only when tcp_v4_connect fails). Such a socket's later IPv6
   * connect sends its SYN down the IPv4 path, where it never arrives (`synLost`).
   */
  afMapped: boolean;
  /** A SYN_SENT socket whose SYN went nowhere (see afMapped): no handshake will ever complete. */
  synLost: boolean;
  /**
   * TCP: the socket has been in a connection: it sent a SYN (tcp_connect) or is a
   * listener's child. Never cleared; listen() reads it under the variant
   * listen-after-connection (spec/variants.ts, model/ipv4/inet_listen.ts).
   */
  connectedOnce: boolean;
  /** TCP: the socket has listened (inet_csk_listen_start succeeded). Never cleared; see connect-after-listen. */
  listenedOnce: boolean;
  /**
   * AF_INET6: inet_saddr when it is not derived from the IPv6 source (ipv4/family.ts v4Saddr):
   * an IPv4 connect of a socket whose source is ::1 sets it ("if (!inet->inet_saddr)
   * inet->inet_saddr = fl4->saddr") and leaves the IPv6 source as it was; '' otherwise.
   */
  inet4Saddr: string;
  /** file->f_flags (O_RDWR plus O_NONBLOCK and other F_SETFL bits). */
  fileFlags: number;
  ss: SsState;
  st: SkState;
  /**
   * inet_rcv_saddr, for AF_INET6 sk_v6_rcv_saddr ('0.0.0.0' or '::' when unbound or bound
   * to the wildcard).
   */
  addr: string;
  /** inet_saddr: the source address (differs from `addr` after a multicast/broadcast bind). */
  saddr: string;
  /** inet_num: the bound port, 0 when the socket holds none. */
  port: number;
  /** inet_sport as getsockname reports it (may outlive `port`, see tcp_set_state). */
  sport: number;
  /**
   * The port's bind bucket was made by bind()/listen() (fastreuse >= 0), not by
   * connect()'s autobind (fastreuse = -1, shareable by connections with other 4-tuples).
   */
  viaBind: boolean;
  /** SOCK_BINDADDR_LOCK / SOCK_BINDPORT_LOCK (set by an explicit bind). */
  addrLock: boolean;
  portLock: boolean;
  /** inet_daddr/inet_dport, null when not set. */
  remote: Endpoint | null;
  /** sk_reuse (SO_REUSEADDR). */
  reuse: boolean;
  /** sk_reuseport (SO_REUSEPORT). */
  reuseport: boolean;
  /** SOCK_KEEPOPEN (SO_KEEPALIVE). */
  keepalive: boolean;
  /** TCP_NAGLE_OFF in tcp_sock->nonagle (TCP_NODELAY); always false for UDP. */
  nodelay: boolean;
  /** sk_rcvbuf (SO_RCVBUF). */
  rcvbuf: number;
  /**
   * sk_sndbuf (SO_SNDBUF): known to lie in [sndbuf, sndbufHi] (equal when the model
   * knows it; see expandSndbuf for why it may not).
   */
  sndbuf: number;
  sndbufHi: number;
  /** SOCK_SNDBUF_LOCK in sk_userlocks (set by SO_SNDBUF; stops tcp_sndbuf_expand). */
  sndbufLock: boolean;
  /** sk_max_ack_backlog. */
  backlog: number;
  /** Listener: completed children awaiting accept, oldest first (object ids). */
  queue: number[];
  /** The other end of a loopback TCP connection (object id), if it still exists. */
  peer: number | null;
  /**
   * sk_shutdown: RCV_SHUTDOWN (1) | SEND_SHUTDOWN (2). Set by shutdown() (also on a CLOSE
   * socket, which answers ENOTCONN), copied to a listener's children (sk_clone_lock copies
   * the whole sock), cleared by tcp_disconnect; tcp_fin sets RCV_SHUTDOWN and tcp_done both
   * bits (see done in ipv4/tcp.ts), which poll and select observe.
   */
  shut: number;
  /**
   * SOCK_DEAD: no file will ever refer to this sock again (sock_orphan in tcp_close, and
   * every inet_timewait_sock). A child waiting in an accept queue has no fd either but is
   * not dead: a FIN or RST that ends it leaves it in the queue in CLOSE (tcp_done calls
   * sk_state_change instead of destroying it).
   */
  dead: boolean;
  /** sk_err, read-and-cleared by sock_error(). */
  err: ErrnoName | null;
  /**
   * The receive queue (UDP only so far): datagrams in arrival order, each with its bytes
   * (hex) and the source address recvfrom reports.
   */
  rq: Dgram[];
  /**
   * UDP: where a send without an address goes while the socket holds a cached route.
   * __ip4_datagram_connect fills the socket's flow key (inet->cork.fl) with the target
   * before its route lookup and leaves it there when the lookup fails (ENETUNREACH, or
   * EACCES for a broadcast); udp_sendmsg's cached-route path then sends to that key, not
   * to the peer (measured on 6.18). null: the peer.
   */
  flow: Endpoint | null;
  /** UDP: whether a route is cached (sk_dst_cache) that a send without an address reuses. */
  routeCached: boolean;
  /** Number of fds referring to this socket (0: orphan, queued child or TIME_WAIT). */
  refs: number;
  /** TCP: the bytes received and not read yet (hex, in order: sk_receive_queue). */
  stream: string;
  /**
   * TCP: what this socket sent that its peer has not received yet, one entry per send, oldest
   * first (see ipv4/tcp_output.ts: Nagle, the congestion window or the peer's receive buffer may
   * hold them; the kernel releases them at a time the model does not know).
   */
  held: string[];
  /**
   * TCP: an upper bound of the segments this socket sent that its peer may not have
   * acknowledged yet (tp->packets_out <= unacked). Any segment from the peer acknowledges
   * all that the peer had received, so it resets the count (tcp_ack).
   */
  unacked: number;
  /** TCP: SOCK_DONE, set when the peer's FIN arrived (tcp_fin), cleared by tcp_disconnect. */
  finRcvd: boolean;
  /**
   * UDP: when the socket was put in its port's hash slot (udp_lib_get_port's
   * sk_add_node_rcu adds at the head, so udp_lib_lport_inuse meets the highest first).
   * Absent: never hashed since it was created.
   */
  portSeq?: number;
  /**
   * SOCK_LINGER and sk_lingertime in seconds (SO_LINGER's l_onoff and l_linger; turning it
   * off leaves the time as it was). tcp_close with the flag and time 0 resets the connection.
   */
  lingerOn: boolean;
  lingerTime: number;
}

/** One queued datagram: payload hex and its source (ip_hdr saddr, udp_hdr source). */
export interface Dgram {
  data: string;
  from: Endpoint;
}

/**
 * The fields of struct inet_bind_bucket that sk_reuseport_match reads: fastreuseport
 * (-1: made by connect's autobind; 0: no fast path; 2: FASTREUSEPORT_STRICT, only for
 * sockets bound to fastAddr, tb->fast_rcv_saddr). FASTREUSEPORT_ANY (1) is not reachable
 * on 6.x: inet_csk_update_fastreuse sets it only when tb->bhash2 is empty, and the new
 * inet_bind2_bucket is already linked there (measured on 6.18: a socket that clears
 * SO_REUSEPORT after its bind still lets a SO_REUSEPORT socket bind its address, not the
 * wildcard).
 */
export interface TcpBucket {
  fastreuseport: -1 | 0 | 2;
  /** tb->fast_rcv_saddr, or for an AF_INET6 fastFamily tb->fast_v6_rcv_saddr: text of that family. */
  fastAddr: string;
  /** tb->fast_sk_family (absent: AF_INET). */
  fastFamily?: 'inet6';
  /** tb->fast_ipv6_only (absent: false). */
  fastV6only?: boolean;
}

/**
 * A fresh, unbound socket as inet_create leaves it, with its buffer sizes: TCP's from
 * tcp_rmem/tcp_wmem[1] (tcp_init_sock), UDP's from rmem/wmem_default (sock_init_data).
 */
export function newSock(
  proto: 'tcp' | 'udp',
  fileFlags: number,
  profile: Profile,
  family: 'inet' | 'inet6' = 'inet',
): Sock {
  const b = profile.buffers ?? LINUX_BUFFERS;
  const [rcvbuf, sndbuf] = proto === 'tcp' ? [b.tcpRmem[1], b.tcpWmem[1]] : [b.rmemDefault, b.wmemDefault];
  const any = family === 'inet' ? '0.0.0.0' : '::';
  return {
    kind: 'socket',
    proto,
    family,
    v6only: false,
    dev: 0,
    afMapped: false,
    synLost: false,
    connectedOnce: false,
    listenedOnce: false,
    inet4Saddr: '',
    fileFlags,
    ss: 'UNCONNECTED',
    st: 'CLOSE',
    addr: any,
    saddr: any,
    port: 0,
    sport: 0,
    viaBind: false,
    addrLock: false,
    portLock: false,
    remote: null,
    reuse: false,
    reuseport: false,
    keepalive: false,
    nodelay: false,
    rcvbuf,
    sndbuf,
    sndbufHi: sndbuf,
    sndbufLock: false,
    backlog: 0,
    queue: [],
    peer: null,
    shut: 0,
    dead: false,
    err: null,
    rq: [],
    flow: null,
    routeCached: false,
    refs: 0,
    stream: '',
    held: [],
    unacked: 0,
    finRcvd: false,
    lingerOn: false,
    lingerTime: 0,
  };
}

/**
 * A listener's child (sk_clone_lock copies the whole sock: sk_reuse, sk_reuseport, the
 * SOCK_KEEPOPEN flag, buffer sizes and sk_userlocks; tcp_create_openreq_child keeps
 * nonagle), then ESTABLISHED (expandSndbuf). Its addresses are the caller's to set.
 */
export function newChild(l: Sock, profile: Profile): Sock {
  const c = newSock('tcp', 0, profile, l.family);
  c.v6only = l.v6only;
  c.dev = l.dev;
  c.reuse = l.reuse;
  c.reuseport = l.reuseport;
  c.keepalive = l.keepalive;
  c.nodelay = l.nodelay;
  c.rcvbuf = l.rcvbuf;
  c.sndbuf = l.sndbuf;
  c.sndbufHi = l.sndbufHi;
  c.sndbufLock = l.sndbufLock;
  // sk_flags (SOCK_LINGER) and sk_lingertime are copied with the rest of the sock.
  c.lingerOn = l.lingerOn;
  c.lingerTime = l.lingerTime;
  // sk_clone_lock: "newsk->sk_userlocks = sk->sk_userlocks & ~SOCK_BINDPORT_LOCK".
  c.addrLock = l.addrLock;
  c.st = 'ESTABLISHED';
  c.connectedOnce = true;
  expandSndbuf(c, profile);
  return c;
}

/**
 * tcp_init_transfer → tcp_init_buffer_space, when a TCP socket becomes ESTABLISHED:
 * unless SO_SNDBUF locked it, tcp_sndbuf_expand raises sk_sndbuf to
 * min(sndmem, tcp_wmem[2]) if that is larger. sndmem comes from the MSS (lo's MTU),
 * sizeof(struct sk_buff), TCP_INIT_CWND and the congestion control's sndbuf_expand,
 * which the model does not fix, so the new value is any in [sndbuf, max(sndbufHi,
 * tcp_wmem[2])] until getsockopt reads it.
 */
export function expandSndbuf(sk: Sock, profile: Profile): void {
  if (sk.sndbufLock) return;
  sk.sndbufHi = Math.max(sk.sndbufHi, (profile.buffers ?? LINUX_BUFFERS).tcpWmem[2]);
}

/**
 * What getsockname reports (inet_getname / inet6_getname, peer=0): rcv_saddr unless it is
 * the wildcard, else saddr; inet_sport.
 */
export function sockName(sk: Sock): Endpoint {
  return { addr: sk.addr !== '0.0.0.0' && sk.addr !== '::' ? sk.addr : sk.saddr, port: sk.sport };
}

/** The wildcard address of the socket's family ('0.0.0.0' or '::'). */
export function anyOf(sk: Sock): string {
  return sk.family === 'inet' ? '0.0.0.0' : '::';
}

/** True when `a` is a wildcard address of either family (INADDR_ANY, in6addr_any, ::ffff:0.0.0.0). */
export function isAny(a: string): boolean {
  return a === '0.0.0.0' || a === '::' || a === '::ffff:0.0.0.0';
}

/** A TIME_WAIT socket in the kernel's sense (inet_timewait_sock): a dead sock in TIME_WAIT or FIN_WAIT2. */
export function isTimewait(o: Sock): boolean {
  return o.dead && (o.st === 'TIME_WAIT' || o.st === 'FIN_WAIT2');
}
