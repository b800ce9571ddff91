/**
 * TCP data between two sockets on loopback: when a send reaches the peer within the call
 * and when it may be held, what a segment does to the socket that receives it, and the
 * release of held data. Mutators for immer drafts and pure tests; each names the kernel
 * path it stands for.
 *
 * A send from tcp_sendmsg_locked goes out in its tcp_push (tcp_write_xmit) unless
 *  - Nagle holds it (tcp_nagle_test → tcp_nagle_check: a small segment waits while an
 *    earlier small one is unacknowledged; the peer's delayed ACK, >= 40 ms, releases it),
 *  - the congestion window is full (tcp_cwnd_test: TCP_INIT_CWND = 10 segments in flight),
 *  - or the peer's receive buffer is short: its window closes, or tcp_data_queue drops
 *    the segment (tcp_try_rmem_schedule) and a retransmission brings it later (measured on
 *    6.18: SO_RCVBUF 0, 2304 bytes, queues about 1.2 KB; 10000 bytes queue 3840).
 * The model sends at once only when none of these can apply: nothing is held already,
 * fewer than TCP_INIT_CWND segments may be in flight, Nagle cannot hold it (TCP_NODELAY,
 * or nothing in flight: tcp_nagle_check needs tp->packets_out), and the peer surely has
 * room (see surelyTaken). Otherwise the bytes are held, and the kernel may release each
 * held send at any moment between two calls (ipv4/tcp_timer.ts: internal/tcp-delivered).
 */
import { type State } from '../core/state.js';
import { receiveReset } from './tcp_input.js';
import { isTimewait, RCV_SHUTDOWN, type Sock } from '../core/inet_sock.js';

/** TCP_INIT_CWND (include/net/tcp.h). */
export const TCP_INIT_CWND = 10;

/**
 * The peer surely queues `len` more bytes: its queue is empty (tcp_try_rmem_schedule
 * prunes only when sk_rmem_alloc > sk_rcvbuf, and an empty queue holds nothing) or the
 * queued bytes stay within a quarter of sk_rcvbuf (the window, tcp_win_from_space, is
 * about half of it; the rest covers skb overhead; the measurements above fit with a
 * factor of two to spare).
 */
export function surelyTaken(peer: Sock, len: number): boolean {
  return peer.stream.length === 0 || peer.stream.length / 2 + len <= peer.rcvbuf / 4;
}

/** Whether a send of `len` bytes from `sk` (ESTABLISHED or CLOSE_WAIT) surely leaves in the call. */
export function sendsNow(s: State, sk: Sock, len: number): boolean {
  if (sk.held.length > 0 || sk.unacked >= TCP_INIT_CWND) return false;
  if (!sk.nodelay && sk.unacked > 0) return false;
  const peer = sk.peer === null ? undefined : s.objs[sk.peer];
  if (peer === undefined || peer.kind !== 'socket') return true;
  return !accepts(peer) || surelyTaken(peer, len);
}

/** Whether a segment from `sk` now would be answered by RST (see transmit). */
export function resetsPeer(s: State, sk: Sock): boolean {
  const rcv = sk.peer === null ? undefined : s.objs[sk.peer];
  return rcv === undefined || rcv.kind !== 'socket' || !accepts(rcv);
}

/** The receiver queues data (tcp_rcv_state_process / tcp_data_queue) rather than answering RST. */
function accepts(rcv: Sock): boolean {
  if (rcv.st === 'CLOSE' || rcv.dead || isTimewait(rcv)) return false;
  // FIN_WAIT1/2 after the socket shut its reading side (shutdown(SHUT_RDWR) or close):
  // "RFC 1122 says we MUST send a reset" (tcp_rcv_state_process, LINUX_MIB_TCPABORTONDATA).
  if (rcv.st === 'FIN_WAIT2' && rcv.shut & RCV_SHUTDOWN) return false;
  return true;
}

/**
 * One segment with `hex` goes from `id` to its peer (tcp_write_xmit → loopback →
 * tcp_v4_rcv). A socket that takes data queues it and its ACK makes nothing new in the
 * model; one that cannot (closed, an orphan or timewait socket, FIN_WAIT with
 * RCV_SHUTDOWN, or no socket at all) answers RST: it is reset itself when it is a full
 * socket (tcp_reset from tcp_rcv_state_process), a timewait socket is killed
 * (TCP_TW_RST → inet_twsk_deschedule_put), and the sender receives the RST (tcp_reset:
 * EPIPE in CLOSE_WAIT, ECONNRESET otherwise; its unsent data is purged). The segment
 * acknowledges what the sender had received, so the sender's peer's count starts again.
 */
export function transmit(d: State, id: number, hex: string): void {
  const sk = d.objs[id] as Sock;
  const pid = sk.peer;
  const rcv = pid === null ? undefined : d.objs[pid];
  if (rcv === undefined || rcv.kind !== 'socket' || !accepts(rcv)) {
    if (rcv !== undefined && rcv.kind === 'socket' && pid !== null && rcv.st !== 'CLOSE') receiveReset(d, pid);
    if (pid !== id) resetHere(d, id);
    return;
  }
  // tcp_ack on the receiver's side of things: our segment carries rcv_nxt.
  if (pid !== id) rcv.unacked = 0;
  sk.unacked = pid === id ? 1 : sk.unacked + 1;
  rcv.stream += hex;
}

/** An RST reaches `id`, a socket that still sends: tcp_reset, and tcp_write_queue_purge drops what it held. */
function resetHere(d: State, id: number): void {
  receiveReset(d, id);
  const sk = d.objs[id];
  if (sk !== undefined && sk.kind === 'socket') {
    sk.held = [];
    sk.unacked = 0;
  }
}

/**
 * The first held send of `id` reaches the peer (the delayed ACK, a retransmission or a
 * reopened window released it).
 */
export function releaseOne(d: State, id: number): void {
  const sk = d.objs[id] as Sock;
  const hex = sk.held.shift();
  if (hex !== undefined) transmit(d, id, hex);
}

/**
 * Whether every held send of `sk` surely goes out with its FIN: tcp_send_fin puts the FIN
 * on the last unsent skb and pushes with TCP_NAGLE_OFF (Nagle no longer holds), so only
 * the window and the peer's buffer can hold it: all of it fits in the congestion window,
 * and the peer surely takes all of it.
 */
export function finFlushes(s: State, sk: Sock): boolean {
  if (sk.held.length === 0) return true;
  if (sk.unacked + sk.held.length + 1 > TCP_INIT_CWND) return false;
  const peer = sk.peer === null ? undefined : s.objs[sk.peer];
  if (peer === undefined || peer.kind !== 'socket' || !accepts(peer)) return true;
  return surelyTaken(peer, sk.held.join('').length / 2);
}

/** Before a FIN leaves `id`: every held send goes out first (see finFlushes; the caller checked it). */
export function flushHeld(d: State, id: number): void {
  const sk = d.objs[id] as Sock;
  while (sk.held.length > 0 && d.objs[id] !== undefined) releaseOne(d, id);
}
