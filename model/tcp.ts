/**
 * What happens inside the kernel between two TCP sockets on loopback, where every
 * segment is processed before the syscall that sent it returns (or, for the socket that
 * holds the lock, when it releases it). Mutators for immer drafts; each names the
 * kernel path it stands for.
 */
import type { ErrnoName } from '../spec/errno.js';
import type { Sock, State } from './state.js';

/** tcp_set_state(sk, TCP_CLOSE): unhash and, unless the port was bound explicitly, inet_put_port (inet_num = 0; inet_sport is left as it was). */
export function setClose(sk: Sock): void {
  sk.st = 'CLOSE';
  if (!sk.portLock) sk.port = 0;
}

/** tcp_disconnect's address part: inet_dport = 0 and, unless bound explicitly, inet_reset_saddr. */
function forgetAddrs(sk: Sock): void {
  sk.remote = null;
  if (!sk.addrLock) { sk.addr = '0.0.0.0'; sk.saddr = '0.0.0.0'; }
}

/**
 * An RST arrives at `id` (tcp_reset): sk_err is ECONNREFUSED in SYN_SENT, EPIPE in
 * CLOSE_WAIT, ECONNRESET otherwise; then tcp_done. A TIME_WAIT/FIN_WAIT2 orphan is
 * killed (tcp_timewait_state_process). An orphan otherwise just dies.
 */
export function receiveReset(d: State, id: number): void {
  const sk = d.objs[id];
  if (sk === undefined || sk.kind !== 'socket' || sk.st === 'CLOSE') return;
  if (sk.refs === 0 && (sk.st === 'TIME_WAIT' || sk.st === 'FIN_WAIT2')) { delete d.objs[id]; return; }
  const err: ErrnoName = sk.st === 'SYN_SENT' ? 'ECONNREFUSED' : sk.st === 'CLOSE_WAIT' ? 'EPIPE' : 'ECONNRESET';
  sk.err = err;
  sk.peer = null;
  setClose(sk);
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
 * The last reference to a TCP socket goes (tcp_close). No data is ever unread in this
 * model, so a synchronized connection sends FIN: ESTABLISHED becomes an orphan in
 * FIN_WAIT2 holding its port (tcp_time_wait(TCP_FIN_WAIT2)) and the peer moves to
 * CLOSE_WAIT; CLOSE_WAIT goes through LAST_ACK to gone and moves the peer's orphan to
 * TIME_WAIT; a self-connected socket ends in TIME_WAIT; a listener stops; CLOSE and
 * SYN_SENT are freed at once.
 */
export function release(d: State, id: number): void {
  const sk = d.objs[id] as Sock;
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
    case 'ESTABLISHED': {
      if (sk.peer === id) { sk.st = 'TIME_WAIT'; sk.peer = null; return; }
      const peer = sk.peer === null ? undefined : (d.objs[sk.peer] as Sock | undefined);
      if (peer !== undefined && peer.st === 'ESTABLISHED') peer.st = 'CLOSE_WAIT';
      sk.st = 'FIN_WAIT2';
      return;
    }
    case 'CLOSE_WAIT': {
      if (sk.peer !== null && (d.objs[sk.peer] as Sock | undefined)?.st === 'FIN_WAIT2') timeWait(d, sk.peer);
      delete d.objs[id];
      return;
    }
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
 * A FIN reaches `id` in FIN_WAIT2 (tcp_fin → tcp_time_wait(TCP_TIME_WAIT)): an orphan
 * simply becomes TIME_WAIT; a socket that still has an fd hands its port to a new
 * TIME_WAIT socket (inet_twsk_hashdance) and is itself done (tcp_done: CLOSE, and the
 * port goes unless bound explicitly).
 */
export function timeWait(d: State, id: number): void {
  const sk = d.objs[id] as Sock;
  if (sk.refs === 0) { sk.st = 'TIME_WAIT'; sk.peer = null; return; }
  d.objs[d.nextObj++] = { ...sk, queue: [], st: 'TIME_WAIT', peer: null, refs: 0, remote: sk.remote && { ...sk.remote } };
  sk.peer = null;
  setClose(sk);
}

/**
 * shutdown(SHUT_WR) on a synchronized socket (tcp_shutdown → tcp_close_state +
 * tcp_send_fin). ESTABLISHED goes to FIN_WAIT2 once the peer's ACK is processed and the
 * peer to CLOSE_WAIT (a self-connected socket meets its own FIN and ends in TIME_WAIT);
 * CLOSE_WAIT goes through LAST_ACK to CLOSE, moving the peer's FIN_WAIT2 to TIME_WAIT.
 */
export function sendFin(d: State, id: number): void {
  const sk = d.objs[id] as Sock;
  const peer = sk.peer === null ? undefined : (d.objs[sk.peer] as Sock | undefined);
  if (sk.st === 'ESTABLISHED') {
    if (sk.peer === id) { sk.st = 'FIN_WAIT2'; timeWait(d, id); return; }
    if (peer !== undefined && peer.st === 'ESTABLISHED') peer.st = 'CLOSE_WAIT';
    sk.st = 'FIN_WAIT2';
    return;
  }
  if (sk.st === 'CLOSE_WAIT') {
    if (sk.peer !== null && peer?.st === 'FIN_WAIT2') timeWait(d, sk.peer);
    sk.peer = null;
    setClose(sk);
  }
}
