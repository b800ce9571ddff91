/**
 * getsockname(2) and getpeername(2): __sys_getsockname / __sys_getpeername
 * (sockfd_lookup_light: EBADF, ENOTSOCK) → the family's ->getname and the copy-out
 * (ipv4/af_inet.ts, unix/unix_ops.ts, vsock/vsock_ops.ts).
 */
import { fail, type Outcome } from '../core/outcome.js';
import type { CallOf } from '../core/proto_ops.js';
import type { State } from '../core/state.js';
import { sockfdLookup } from './fd.js';
import { opsOf } from './proto_ops.js';

export const GETNAME_RULES = [
  'getsockname/EBADF',
  'getsockname/ENOTSOCK',
  'getsockname/EFAULT',
  'getsockname/EINVAL',
  'getsockname/ok',
  'getpeername/EBADF',
  'getpeername/ENOTSOCK',
  'getpeername/ENOTCONN',
  'getpeername/EFAULT',
  'getpeername/EINVAL',
  'getpeername/ok',
] as const;

export function getnameStep(s: State, c: CallOf<'getsockname' | 'getpeername'>): Outcome[] {
  const l = sockfdLookup(s, c.fd);
  if (l.errno) return [fail(s, `${c.op}/${l.errno}`, l.errno)];
  return opsOf(l.sk).getname(s, l.id, l.sk, c);
}
