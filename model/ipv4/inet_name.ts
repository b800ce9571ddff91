/**
 * What the adapters see of an AF_INET or AF_INET6 socket's own name after a call
 * (include/net/inet_sock.h's addresses, read as getsockname would), and the names of a
 * successful get_port. Pure.
 */
import type { PortShare } from './inet_connection_sock.js';
import type { Outcome } from '../core/outcome.js';
import type { Expected } from '../../spec/expected.js';
import { type Sock, sockName } from '../core/inet_sock.js';
/** The ifindex of lo, the only interface of a fresh namespace. */
export const LOOPBACK_IFINDEX = 1;

/** The rule of a successful get_port(snum) by how the port was shared (see PortShare). */
export function shareRule(op: 'bind' | 'listen', share: Exclude<PortShare, 'conflict'>): string {
  const base = op === 'bind' ? 'bind/port' : 'listen/bound';
  return share === 'free' ? base : `${base}-${share}`;
}

/** Adds the local address the adapter reports after bind/listen/connect (getsockname of `sk`). */
export function withBound(o: Outcome, sk: Sock): Outcome {
  const e = o.expect;
  const expect: Expected = { ...e, bound: sockName(sk) };
  return { ...o, expect };
}
