/**
 * bind(2): __sys_bind (sockfd_lookup_light: EBADF, ENOTSOCK; move_addr_to_kernel) → the
 * family's ->bind (ipv4/inet_bind.ts, ipv6/af_inet6.ts, unix/unix_ops.ts, vsock/vsock_ops.ts).
 */
import { moveAddrToKernel } from '../core/addr.js';
import { fail, type Outcome } from '../core/outcome.js';
import type { CallOf } from '../core/proto_ops.js';
import type { State } from '../core/state.js';
import { sockfdLookup } from './fd.js';
import { opsOf } from './proto_ops.js';

export const BIND_RULES = [
  'bind/EBADF',
  'bind/ENOTSOCK',
  'bind/EINVAL-addrlen',
  'bind/EFAULT',
  'bind/EINVAL-short',
  'bind/EAFNOSUPPORT',
  'bind/EADDRNOTAVAIL',
  'bind/EACCES',
  'bind/EINVAL-bound',
  'bind/EADDRINUSE',
  'bind/port',
  'bind/ephemeral',
  'bind/port-reuseport',
  'bind/port-reuseport-stale',
  'bind/port-reuseport-first',
  'bind/EINVAL-mcast-stream',
  'bind/EINVAL-v6only-mapped',
  'bind/EINVAL-scope',
  'bind/ENODEV',
] as const;

export function bindStep(s: State, c: CallOf<'bind'>): Outcome[] {
  const l = sockfdLookup(s, c.fd);
  if (l.errno) return [fail(s, `bind/${l.errno}`, l.errno)];
  const ops = opsOf(l.sk);
  const copy = moveAddrToKernel(c.addr);
  if (copy) return [ops.named(fail(s, copy === 'EFAULT' ? 'bind/EFAULT' : 'bind/EINVAL-addrlen', copy), l.sk)];
  return ops.bind(s, l.id, l.sk, c);
}
