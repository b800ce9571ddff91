/**
 * A TCP socket meets the end of its connection: tcp_reset (net/ipv4/tcp_input.c) and the
 * state changes it ends in, tcp_done and tcp_set_state(TCP_CLOSE) (net/ipv4/tcp.c; here,
 * below ipv4/tcp.ts and tcp_output.ts, because both of them end connections with it). Mutators
 * for immer drafts.
 */
import { type State } from '../core/state.js';
import type { ErrnoName } from '../../spec/errno.js';
import { type Sock, RCV_SHUTDOWN, SEND_SHUTDOWN, isTimewait } from '../core/inet_sock.js';

/**
 * tcp_set_state(sk, TCP_CLOSE): unhash and, unless the port was bound explicitly,
 * inet_put_port (inet_num = 0; inet_sport is left as it was).
 */
export function setClose(sk: Sock): void {
  sk.st = 'CLOSE';
  if (!sk.portLock) sk.port = 0;
}

/**
 * tcp_done(sk): tcp_set_state(TCP_CLOSE) (see setClose) and "WRITE_ONCE(sk->sk_shutdown,
 * SHUTDOWN_MASK)": a socket ended by an RST, by the last ACK of its FIN, or handed over to
 * a TIME_WAIT socket polls as shut in both directions (POLLHUP, POLLIN|POLLRDHUP).
 */
export function done(sk: Sock): void {
  setClose(sk);
  sk.shut = RCV_SHUTDOWN | SEND_SHUTDOWN;
}

/**
 * An RST arrives at `id` (tcp_reset): sk_err is ECONNREFUSED in SYN_SENT, EPIPE in
 * CLOSE_WAIT, ECONNRESET otherwise; then tcp_done. A TIME_WAIT socket is killed
 * (tcp_timewait_state_process); a child in an accept queue stays there in CLOSE.
 */
export function receiveReset(d: State, id: number): void {
  const sk = d.objs[id];
  if (sk === undefined || sk.kind !== 'socket' || sk.st === 'CLOSE') return;
  if (isTimewait(sk)) {
    delete d.objs[id];
    return;
  }
  const err: ErrnoName = sk.st === 'SYN_SENT' ? 'ECONNREFUSED' : sk.st === 'CLOSE_WAIT' ? 'EPIPE' : 'ECONNRESET';
  sk.err = err;
  sk.peer = null;
  // tcp_reset → tcp_write_queue_purge: unsent data goes; the receive queue stays readable.
  sk.held = [];
  sk.unacked = 0;
  done(sk);
}
