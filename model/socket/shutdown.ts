/**
 * shutdown(2): __sys_shutdown (sockfd_lookup_light: EBADF, ENOTSOCK) → the family's
 * ->shutdown (ipv4/af_inet.ts, unix/unix_ops.ts, vsock/vsock_ops.ts).
 */
import { fail, type Outcome } from '../core/outcome.js';
import type { CallOf } from '../core/proto_ops.js';
import type { State } from '../core/state.js';
import { sockfdLookup } from './fd.js';
import { opsOf } from './proto_ops.js';

export const SHUTDOWN_RULES = [
  'shutdown/EBADF',
  'shutdown/ENOTSOCK',
  'shutdown/EINVAL-how',
  'shutdown/ENOTCONN',
  'shutdown/listener-write',
  'shutdown/listener-stop',
  'shutdown/syn-sent',
  'shutdown/read',
  'shutdown/fin',
  'shutdown/other',
] as const;

export function shutdownStep(s: State, c: CallOf<'shutdown'>): Outcome[] {
  const l = sockfdLookup(s, c.fd);
  if (l.errno) return [fail(s, `shutdown/${l.errno}`, l.errno)];
  return opsOf(l.sk).shutdown(s, l.id, l.sk, c);
}
