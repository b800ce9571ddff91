/**
 * What happens inside the kernel between two TCP sockets on loopback, where every
 * segment is processed before the syscall that sent it returns (or, for the socket that
 * holds the lock, when it releases it). Mutators for immer drafts; each names the
 * kernel path it stands for.
 */
import { asFamily, isV4Key } from './family.js';
import { finFlushes, flushHeld } from './tcp_output.js';
import { type State } from '../core/state.js';
import { receiveReset, setClose, done } from './tcp_input.js';
import { POLLIN, POLLRDNORM, POLLHUP, POLLRDHUP, POLLOUT, POLLWRNORM, POLLERR } from '../../spec/constants.js';
import {
  anyOf,
  expandSndbuf,
  newChild,
  RCV_SHUTDOWN,
  SEND_SHUTDOWN,
  type Endpoint,
  type Sock,
  SHUTDOWN_MASK,
} from '../core/inet_sock.js';

/** tcp_disconnect's address part: inet_dport = 0 and, unless bound explicitly, inet_reset_saddr. */
function forgetAddrs(sk: Sock): void {
  sk.remote = null;
  if (!sk.addrLock) {
    sk.addr = anyOf(sk);
    sk.saddr = anyOf(sk);
    sk.inet4Saddr = '';
  }
}

/**
 * tcp_disconnect(sk): aborts the connection. A listener stops listening and resets its
 * queued children (inet_csk_listen_stop); a synchronized connection sends RST to its peer
 * (tcp_need_reset) and records ECONNRESET; SYN_SENT records ECONNRESET.
 */
export function disconnect(d: State, id: number): void {
  const sk = d.objs[id] as Sock;
  const old = sk.st;
  if (old === 'LISTEN') listenStop(d, id);
  else if (old === 'ESTABLISHED' || old === 'CLOSE_WAIT' || old === 'FIN_WAIT2') {
    if (sk.peer !== null && sk.peer !== id) receiveReset(d, sk.peer);
    sk.err = 'ECONNRESET';
  } else if (old === 'SYN_SENT') sk.err = 'ECONNRESET';
  sk.peer = null;
  if (old !== 'CLOSE') setClose(sk);
  forgetAddrs(sk);
  sk.shut = 0;
  // "__skb_queue_purge(&sk->sk_receive_queue); tcp_write_queue_purge(sk);", and
  // "sock_reset_flag(sk, SOCK_DONE)".
  sk.stream = '';
  sk.held = [];
  sk.unacked = 0;
  sk.finRcvd = false;
}

/** inet_csk_listen_stop: every queued child is disconnected (RST to its client) and freed. */
export function listenStop(d: State, id: number): void {
  const sk = d.objs[id] as Sock;
  for (const child of sk.queue) {
    const c = d.objs[child] as Sock | undefined;
    if (c !== undefined && c.peer !== null) receiveReset(d, c.peer);
    delete d.objs[child];
  }
  sk.queue = [];
}

/**
 * __tcp_close drops the receive queue and counts the bytes it held ("data_was_unread");
 * a socket that was not reset already (TCP_CLOSE) and had unread data goes to TCP_CLOSE
 * and sends RST instead of FIN (tcp_send_active_reset, LINUX_MIB_TCPABORTONCLOSE).
 */
export function resetsOnClose(sk: Sock): boolean {
  return sk.stream.length > 0 && sk.st !== 'CLOSE' && sk.st !== 'LISTEN';
}

/**
 * __tcp_close after the unread-data check: "else if (sock_flag(sk, SOCK_LINGER) &&
 * !sk->sk_lingertime) { sk->sk_prot->disconnect(sk, 0); ... }" (SO_LINGER {1, 0}): a
 * synchronized connection (tcp_need_reset: ESTABLISHED, CLOSE_WAIT, FIN_WAIT1/2) sends RST
 * instead of FIN and the socket is freed at once (no TIME_WAIT: its port is free). A
 * listener was stopped before this check; CLOSE and SYN_SENT are freed either way.
 */
export function lingerResets(sk: Sock): boolean {
  return (
    sk.lingerOn && sk.lingerTime === 0 && (sk.st === 'ESTABLISHED' || sk.st === 'CLOSE_WAIT' || sk.st === 'FIN_WAIT2')
  );
}

/**
 * The last reference to a TCP socket goes (tcp_close: sock_orphan, then by state). With
 * unread data (resetsOnClose) the peer gets RST and the socket is freed, its unsent data
 * with it. Otherwise a synchronized connection sends FIN as shutdown
 * does (tcp_close_state + tcp_send_fin, see sendFin): ESTABLISHED becomes a dead
 * FIN_WAIT2 holding its port (tcp_time_wait(TCP_FIN_WAIT2)), a self-connected socket
 * TIME_WAIT, CLOSE_WAIT goes through LAST_ACK to gone; a socket already in FIN_WAIT2 (after
 * shutdown) becomes that timewait socket as it is; a listener stops; CLOSE and SYN_SENT
 * are freed at once.
 */
export function release(d: State, id: number): void {
  const sk = d.objs[id] as Sock;
  sk.dead = true;
  if (resetsOnClose(sk)) {
    if (sk.peer !== null && sk.peer !== id) receiveReset(d, sk.peer);
    delete d.objs[id];
    return;
  }
  if (lingerResets(sk)) {
    // tcp_disconnect purges the write queue (held data is never sent) and resets the peer.
    disconnect(d, id);
    delete d.objs[id];
    return;
  }
  switch (sk.st) {
    case 'LISTEN':
      listenStop(d, id);
      delete d.objs[id];
      return;
    case 'CLOSE':
    case 'SYN_SENT':
    case 'LAST_ACK':
    case 'TIME_WAIT':
      delete d.objs[id];
      return;
    case 'ESTABLISHED':
      sendFin(d, id);
      return;
    case 'CLOSE_WAIT':
      sendFin(d, id);
      delete d.objs[id];
      return;
    case 'FIN_WAIT2':
      return;
  }
}

/**
 * tcp_v4_connect's `failure:` path after the socket went SYN_SENT (inet_hash_connect
 * failed): tcp_set_state(TCP_CLOSE) (the port goes unless bound explicitly),
 * inet_bhash2_reset_saddr (unless the address was bound), inet_dport = 0.
 */
export function connectFailure(sk: Sock): void {
  setClose(sk);
  forgetAddrs(sk);
}

/**
 * A FIN reaches `id` in FIN_WAIT2 (tcp_fin → tcp_time_wait(TCP_TIME_WAIT)): a dead
 * (timewait) socket simply becomes TIME_WAIT; a socket that still has an fd, or a child
 * still waiting in an accept queue, hands its port to a new TIME_WAIT socket
 * (inet_twsk_hashdance) and is itself done (tcp_done: CLOSE, and the port goes unless
 * bound explicitly; the child stays queued).
 */
export function timeWait(d: State, id: number): void {
  const sk = d.objs[id] as Sock;
  if (sk.dead) {
    sk.st = 'TIME_WAIT';
    sk.peer = null;
    return;
  }
  d.objs[d.nextObj++] = {
    ...sk,
    queue: [],
    stream: '',
    held: [],
    st: 'TIME_WAIT',
    peer: null,
    refs: 0,
    dead: true,
    remote: sk.remote && { ...sk.remote },
  };
  sk.peer = null;
  // tcp_fin: "sock_set_flag(sk, SOCK_DONE)" before tcp_time_wait.
  sk.finRcvd = true;
  done(sk);
}

/**
 * A FIN goes out from `id` (tcp_shutdown or tcp_close → tcp_close_state + tcp_send_fin;
 * also a new child whose listener had SEND_SHUTDOWN, see enqueueChild). ESTABLISHED goes
 * to FIN_WAIT2 and the peer to CLOSE_WAIT (a self-connected socket meets its own FIN and
 * ends in TIME_WAIT); CLOSE_WAIT goes through LAST_ACK to CLOSE, moving the peer's
 * FIN_WAIT2 to TIME_WAIT (the peer's tcp_fin acks at once).
 *
 * FIN_WAIT2 here stands for FIN_WAIT1 too: the peer's tcp_fin enters pingpong mode, so its
 * ACK of our FIN waits for the delayed-ACK timer (40 ms or more, tcp_delack_timer), and
 * until then the sender is in FIN_WAIT1 (measured on 6.18 with TCP_INFO). Calls in scope
 * tell the two apart in one place only: after close, FIN_WAIT1 is a full socket and
 * FIN_WAIT2 a timewait socket, which a bound connect with the same 4-tuple may take over
 * (ipv4/tcp_ipv4.ts allows both answers there). Otherwise both keep the port and the peer
 * address, a further shutdown or a close sends nothing more, an RST gives ECONNRESET in
 * both, and the peer's own FIN acks ours, so FIN_WAIT1 meets it as FIN_WAIT2 would.
 */
export function sendFin(d: State, id: number): void {
  const sk = d.objs[id] as Sock;
  const old = sk.st;
  if (old !== 'ESTABLISHED' && old !== 'CLOSE_WAIT') return;
  // The FIN rides behind what the socket still held (tcp_send_fin: the last unsent skb
  // gets the FIN, pushed with TCP_NAGLE_OFF). When the window or the peer's buffer may
  // still hold that data, the FIN would wait with it: not modelled (the generator does
  // not reach it, see finFlushes).
  if (!finFlushes(d, sk)) throw new Error('model: a FIN behind held TCP data that may stay held is not modelled');
  // tcp_close_state comes first, so the held data leaves from FIN_WAIT1 or LAST_ACK: a
  // self-connected socket with RCV_SHUTDOWN then meets its own data with RST, and an RST
  // from the peer gives ECONNRESET, not CLOSE_WAIT's EPIPE (tcp_reset).
  sk.st = old === 'ESTABLISHED' ? 'FIN_WAIT2' : 'LAST_ACK';
  flushHeld(d, id);
  // The data met RST (see transmit): no FIN goes out (an orphan that is reset is freed).
  if (d.objs[id] === undefined || (sk.st as Sock['st']) === 'CLOSE') return;
  const peer = sk.peer === null ? undefined : (d.objs[sk.peer] as Sock | undefined);
  if (old === 'ESTABLISHED') {
    if (sk.peer === id) {
      timeWait(d, id);
      return;
    }
    // The peer's tcp_fin: CLOSE_WAIT and sk_shutdown |= RCV_SHUTDOWN.
    // tcp_fin also sets SOCK_DONE; the FIN acknowledges what the peer had sent.
    if (peer !== undefined && peer.st === 'ESTABLISHED') {
      peer.st = 'CLOSE_WAIT';
      peer.shut |= RCV_SHUTDOWN;
      peer.finRcvd = true;
      peer.unacked = 0;
    }
    return;
  }
  if (sk.peer !== null && peer?.st === 'FIN_WAIT2') timeWait(d, sk.peer);
  sk.peer = null;
  // LAST_ACK, then the peer's ACK: tcp_rcv_state_process calls tcp_done.
  done(sk);
}

/**
 * A handshake with the listener `lid` completed for the client `clientId` (source
 * `src`, destination `dst`): tcp_v4_syn_recv_sock makes the child (sk_clone_lock), which
 * is queued for accept, and the client is ESTABLISHED. The clone copies the listener's
 * sk_shutdown and "newsk->sk_userlocks = sk->sk_userlocks & ~SOCK_BINDPORT_LOCK"; when
 * the child leaves SYN_RECV, tcp_rcv_state_process ends the arm with "if
 * (sk->sk_shutdown & SEND_SHUTDOWN) tcp_shutdown(sk, SEND_SHUTDOWN)": a listener shut
 * for writing before listen() (shutdown on a CLOSE socket sets the bits and answers
 * ENOTCONN) hands out children that send FIN at once, so the client is in CLOSE_WAIT by
 * the time its connect returns (measured on 6.18).
 */
export function enqueueChild(d: State, lid: number, clientId: number, src: Endpoint, dst: Endpoint): void {
  const l = d.objs[lid] as Sock;
  const cid = d.nextObj++;
  // sk_clone_lock: the listener's options, locks (not SOCK_BINDPORT_LOCK) and shutdown bits.
  const child = newChild(l, d.profile);
  // The child is of the listener's family: an AF_INET6 listener's child of an IPv4
  // connection holds both ends v4-mapped (tcp_v6_syn_recv_sock's "v6 mapped" arm).
  const here = asFamily(l.family, dst.addr);
  child.addr = here;
  child.saddr = here;
  child.port = dst.port;
  child.sport = dst.port;
  child.viaBind = true;
  child.remote = { addr: asFamily(l.family, src.addr), port: src.port };
  child.peer = clientId;
  // tcp_v6_syn_recv_sock's mapped arm: "inet_csk(newsk)->icsk_af_ops = &ipv6_mapped".
  child.afMapped = l.family === 'inet6' && isV4Key(dst.addr);
  child.shut = l.shut;
  d.objs[cid] = child;
  l.queue.push(cid);
  const x = d.objs[clientId] as Sock;
  x.st = 'ESTABLISHED';
  x.peer = cid;
  // The client's SYN_SENT → ESTABLISHED runs tcp_init_transfer → tcp_init_buffer_space.
  expandSndbuf(x, d.profile);
  if (child.shut & SEND_SHUTDOWN) sendFin(d, cid);
}

/**
 * tcp_poll (net/ipv4/tcp.c), in its order: a listener answers
 * inet_csk_listen_poll (POLLIN|POLLRDNORM when its accept queue is not empty, nothing
 * else, not even POLLERR); otherwise POLLHUP when sk_shutdown is SHUTDOWN_MASK or the
 * state is TCP_CLOSE (a never-connected socket too), POLLIN|POLLRDNORM|POLLRDHUP when
 * RCV_SHUTDOWN is set; outside SYN_SENT, POLLIN|POLLRDNORM when bytes are queued
 * (tcp_stream_is_readable) and the socket is writable (__sk_stream_is_writeable: the
 * payloads are small; a small locked SO_SNDBUF full of unacknowledged skbs is not
 * modelled, see ipv4/tcp_sendmsg.ts; or SEND_SHUTDOWN: POLLOUT|POLLWRNORM); POLLERR while sk_err is set
 * (sock_error clears it). No urgent data, so never POLLPRI.
 */
export function tcpPoll(sk: Sock): number {
  if (sk.st === 'LISTEN') return sk.queue.length > 0 ? POLLIN | POLLRDNORM : 0;
  let mask = 0;
  if (sk.shut === SHUTDOWN_MASK || sk.st === 'CLOSE') mask |= POLLHUP;
  if (sk.shut & RCV_SHUTDOWN) mask |= POLLIN | POLLRDNORM | POLLRDHUP;
  if (sk.st !== 'SYN_SENT' && sk.stream.length > 0) mask |= POLLIN | POLLRDNORM;
  if (sk.st !== 'SYN_SENT') mask |= POLLOUT | POLLWRNORM;
  if (sk.err !== null) mask |= POLLERR;
  return mask;
}
