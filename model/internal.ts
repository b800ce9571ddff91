/**
 * Transitions the kernel makes on its own between two calls. The model has no clock, so
 * each is allowed at any time and the runner keeps every world consistent with what it
 * has observed. Today: the retransmitted SYN of a connect that found its listener's
 * accept queue full (tcp_retransmit_timer, first after TCP_TIMEOUT_INIT = 1 s).
 */
import { produce } from 'immer';
import { sockets, type Sock, type State } from './state.js';
import { done, enqueueChild } from './tcp.js';

export const INTERNAL_RULES = ['internal/syn-retransmit-accepted', 'internal/syn-retransmit-refused'] as const;

export interface Transition {
  rule: (typeof INTERNAL_RULES)[number];
  next: State;
}

/** True when some transition may happen in `s` (cheap test for the runner's fast path). */
export function hasInternal(s: State): boolean {
  for (const [, o] of sockets(s)) if (o.proto === 'tcp' && o.st === 'SYN_SENT' && o.refs > 0) return true;
  return false;
}

/** Every single transition possible from `s`. */
export function internal(s: State): Transition[] {
  const out: Transition[] = [];
  for (const [id, o] of sockets(s)) {
    if (o.proto !== 'tcp' || o.st !== 'SYN_SENT' || o.remote === null) continue;
    const dst = o.remote;
    let lid: number | undefined;
    for (const [l, x] of sockets(s)) {
      if (x.proto !== 'tcp' || x.st !== 'LISTEN' || x.port !== dst.port) continue;
      if (x.addr === dst.addr) { lid = l; break; }
      if (x.addr === '0.0.0.0') lid = l;
    }
    if (lid === undefined) {
      // The SYN meets no listener: RST → tcp_reset in SYN_SENT (ECONNREFUSED), tcp_done.
      out.push({ rule: 'internal/syn-retransmit-refused', next: produce(s, (d) => {
        const x = d.objs[id] as Sock;
        x.err = 'ECONNREFUSED';
        done(x);
      }) });
      continue;
    }
    const l = s.objs[lid] as Sock;
    if (l.queue.length > l.backlog) continue;
    const listener = lid;
    out.push({ rule: 'internal/syn-retransmit-accepted', next: produce(s, (d) => {
      enqueueChild(d, listener, id, { addr: o.saddr, port: o.port }, dst);
    }) });
  }
  return out;
}
