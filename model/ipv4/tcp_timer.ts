/**
 * Transitions the kernel makes on its own between two calls. The model has no clock, so
 * each is allowed at any time and the runner keeps every world consistent with what it
 * has observed. Today: the retransmitted SYN of a connect that found its listener's
 * accept queue full (tcp_retransmit_timer, first after TCP_TIMEOUT_INIT = 1 s), and the
 * release of a TCP send that the kernel held (ipv4/tcp_output.ts: Nagle until the peer's delayed
 * ACK, tcp_delack_timer, >= 40 ms; the congestion window; a retransmission after a drop).
 */
import { produce } from 'immer';
import { actingCall, callFd, type Call } from '../../spec/call.js';
import { findListeners } from './inet_hashtables.js';
import { sockets, type State } from '../core/state.js';
import { enqueueChild } from './tcp.js';
import { key, refuseMappedListener } from './family.js';
import { releaseOne, resetsPeer } from './tcp_output.js';
import { done } from './tcp_input.js';
import type { Sock } from '../core/inet_sock.js';

export const INTERNAL_RULES = [
  'internal/syn-retransmit-accepted',
  'internal/syn-retransmit-refused',
  'internal/tcp-delivered',
] as const;

export interface Transition {
  rule: (typeof INTERNAL_RULES)[number];
  next: State;
}

/**
 * The objects whose held TCP data a call's answer may depend on: those its fds refer to
 * (every fd of poll and select), or null for all. A held send that reaches a socket
 * outside this set changes only that socket's queue and the sender's counts, so the
 * runner may leave it held until a call looks at either (it may still arrive later);
 * one that would be answered by RST changes more (ports, errors) and is always offered.
 */
export function focusOf(s: State, call: Call): Set<number> | null {
  const c = actingCall(call);
  const fds: number[] =
    c.op === 'poll'
      ? c.entries.map((e) => e.fd)
      : c.op === 'select'
        ? [c.read, c.write, c.except].flatMap((x) => (x.ptr === 'ok' ? x.fds : []))
        : [];
  const one = callFd(c);
  if (one !== undefined) fds.push(one);
  if (c.op === 'socket') return new Set();
  const out = new Set<number>();
  for (const fd of fds) {
    const e = fd >= 0 ? s.fds[fd] : undefined;
    if (e !== undefined) out.add(e.obj);
  }
  return out;
}

/** True when some transition may happen in `s` (cheap test for the runner's fast path). */
export function hasInternal(s: State): boolean {
  for (const [, o] of sockets(s))
    if (o.proto === 'tcp' && ((o.st === 'SYN_SENT' && o.refs > 0 && !o.synLost) || o.held.length > 0)) return true;
  return false;
}

/**
 * Every single transition possible from `s`; with `focus` (see focusOf), held sends only
 * from or to a socket in it, or that would meet RST.
 */
export function internal(s: State, focus: Set<number> | null = null): Transition[] {
  const out: Transition[] = [];
  for (const [id, o] of sockets(s)) {
    // The oldest held send of a socket goes out (in order: one send at a time, so every
    // prefix of what is held may have arrived).
    const wanted = focus === null || focus.has(id) || (o.peer !== null && focus.has(o.peer)) || resetsPeer(s, o);
    if (o.proto === 'tcp' && o.held.length > 0 && wanted)
      out.push({
        rule: 'internal/tcp-delivered',
        next: produce(s, (d) => {
          releaseOne(d, id);
        }),
      });
    if (o.proto !== 'tcp' || o.st !== 'SYN_SENT' || o.remote === null || o.synLost) continue;
    const dst = o.remote;
    // Every listener that may take it (a reuseport group: the hash's choice, see findListeners).
    const lids = findListeners(s, { addr: key(dst.addr), port: dst.port });
    if (lids.length === 0) {
      // The SYN meets no listener: RST → tcp_reset in SYN_SENT (ECONNREFUSED), tcp_done.
      out.push({
        rule: 'internal/syn-retransmit-refused',
        next: produce(s, (d) => {
          const x = d.objs[id] as Sock;
          x.err = 'ECONNREFUSED';
          done(x);
        }),
      });
      continue;
    }
    for (const listener of lids) {
      const l = s.objs[listener] as Sock;
      refuseMappedListener(l, key(dst.addr));
      if (l.queue.length > l.backlog) continue;
      out.push({
        rule: 'internal/syn-retransmit-accepted',
        next: produce(s, (d) => {
          enqueueChild(d, listener, id, { addr: key(o.saddr), port: o.port }, { addr: key(dst.addr), port: dst.port });
        }),
      });
    }
  }
  return out;
}
