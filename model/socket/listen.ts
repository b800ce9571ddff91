/**
 * listen(2): __sys_listen (sockfd_lookup_light: EBADF, ENOTSOCK) → the family's ->listen
 * (ipv4/inet_listen.ts, unix/unix_ops.ts, vsock/vsock_ops.ts).
 */
import { fail, type Outcome } from '../core/outcome.js';
import type { CallOf } from '../core/proto_ops.js';
import type { State } from '../core/state.js';
import { sockfdLookup } from './fd.js';
import { opsOf } from './proto_ops.js';

export const LISTEN_RULES = [
  'listen/EBADF',
  'listen/ENOTSOCK',
  'listen/EOPNOTSUPP',
  'listen/EINVAL-sockstate',
  'listen/EINVAL-state',
  'listen/EADDRINUSE',
  'listen/EINVAL-after-connection',
  'listen/again',
  'listen/bound',
  'listen/autobind',
  'listen/bound-reuseport',
  'listen/bound-reuseport-stale',
] as const;

export function listenStep(s: State, c: CallOf<'listen'>): Outcome[] {
  const l = sockfdLookup(s, c.fd);
  if (l.errno) return [fail(s, `listen/${l.errno}`, l.errno)];
  return opsOf(l.sk).listen(s, l.id, l.sk, c);
}
