/**
 * setsockopt(2): __sys_setsockopt (sockfd_lookup_light: EBADF, ENOTSOCK) → the family:
 * do_sock_setsockopt onwards (ipv4/ip_setsockopt.ts, unix/unix_sockopt.ts,
 * vsock/vsock_sockopt.ts; SOL_SOCKET's sk_setsockopt is core/sock.ts).
 */
import { variantOf } from '../../spec/variants.js';
import { fail, type Outcome } from '../core/outcome.js';
import type { CallOf } from '../core/proto_ops.js';
import type { State } from '../core/state.js';
import { sockfdLookup } from './fd.js';
import { opsOf } from './proto_ops.js';

export function setsockoptStep(s: State, c: CallOf<'setsockopt'>): Outcome[] {
  // Variant setsockopt-negative-optlen=before-fd (6.1): __sys_setsockopt's
  // "if (optlen < 0) return -EINVAL" before sockfd_lookup_light.
  if (c.optlen < 0 && variantOf(s.profile.variants, 'setsockopt-negative-optlen') === 'before-fd') {
    return [fail(s, 'setsockopt/EINVAL-optlen', 'EINVAL')];
  }
  const l = sockfdLookup(s, c.fd);
  if (l.errno) return [fail(s, `setsockopt/${l.errno}`, l.errno)];
  return opsOf(l.sk).setsockopt(s, l.id, l.sk, c);
}
