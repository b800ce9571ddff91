/**
 * getsockopt(2): __sys_getsockopt (sockfd_lookup_light: EBADF, ENOTSOCK) → the family:
 * do_sock_getsockopt onwards (ipv4/ip_getsockopt.ts, unix/unix_sockopt.ts,
 * vsock/vsock_sockopt.ts; SOL_SOCKET's sk_getsockopt is core/sock.ts).
 */
import { fail, type Outcome } from '../core/outcome.js';
import type { CallOf } from '../core/proto_ops.js';
import type { State } from '../core/state.js';
import { sockfdLookup } from './fd.js';
import { opsOf } from './proto_ops.js';

export function getsockoptStep(s: State, c: CallOf<'getsockopt'>): Outcome[] {
  const l = sockfdLookup(s, c.fd);
  if (l.errno) return [fail(s, `getsockopt/${l.errno}`, l.errno)];
  return opsOf(l.sk).getsockopt(s, l.id, l.sk, c);
}
