/**
 * connect(2): __sys_connect (the fd: EBADF; move_addr_to_kernel) → __sys_connect_file
 * (sock_from_file: ENOTSOCK) → the family's ->connect: ipv4/tcp_ipv4.ts and
 * ipv4/datagram.ts (AF_INET), ipv6/ (AF_INET6), unix/unix_ops.ts, vsock/vsock_ops.ts.
 */
import { moveAddrToKernel } from '../core/addr.js';
import { fail, type Outcome } from '../core/outcome.js';
import type { CallOf } from '../core/proto_ops.js';
import type { State } from '../core/state.js';
import { lookupFile } from './fd.js';
import { opsOf } from './proto_ops.js';

export const CONNECT_RULES = [
  'connect/EBADF',
  'connect/EINVAL-addrlen',
  'connect/EFAULT',
  'connect/ENOTSOCK',
  'connect/EINVAL-short',
  'connect/tcp-unspec',
  'connect/EINVAL-sockstate',
  'connect/EISCONN',
  'connect/EALREADY',
  'connect/pending-blocks',
  'connect/completes',
  'connect/sock-error',
  'connect/EISCONN-state',
  'connect/tcp-EINVAL-len',
  'connect/tcp-EAFNOSUPPORT',
  'connect/tcp-ENETUNREACH',
  'connect/EADDRNOTAVAIL',
  'connect/EADDRNOTAVAIL-fin-wait1',
  'connect/established',
  'connect/EINPROGRESS',
  'connect/queue-full-blocks',
  'connect/queue-full-EINPROGRESS',
  'connect/ECONNREFUSED',
  'connect/EINPROGRESS-refused',
  'connect/self',
  'connect/self-shutdown',
  'connect/udp-unspec',
  'connect/udp-EINVAL-len',
  'connect/udp-EAFNOSUPPORT',
  'connect/udp-ENETUNREACH',
  'connect/udp-EACCES-broadcast',
  'connect/udp',
  'connect/tcp6-EINVAL-scope',
  'connect/tcp6-ENETUNREACH-v6only',
  'connect/tcp6-EAFNOSUPPORT-mapped-src',
  'connect/udp6-ENETUNREACH-v6only',
  'connect/udp6-EINVAL-scope',
  'connect/udp6-EAFNOSUPPORT-mapped-src',
  'connect/tcp6-syn-lost',
  'connect/EINVAL-after-listen',
  'connect/tcp6-EINVAL-mapped-src',
  'connect/udp6-EINVAL-mapped-src',
] as const;

export function connectStep(s: State, c: CallOf<'connect'>): Outcome[] {
  const f = lookupFile(s, c.fd);
  if (f.errno) return [fail(s, 'connect/EBADF', 'EBADF')];
  const copy = moveAddrToKernel(c.addr);
  const o = s.objs[f.id];
  const sk = o !== undefined && o.kind !== 'file' ? o : undefined;
  if (copy) {
    const out = fail(s, copy === 'EFAULT' ? 'connect/EFAULT' : 'connect/EINVAL-addrlen', copy);
    return [sk ? opsOf(sk).named(out, sk) : out];
  }
  if (!sk) return [fail(s, 'connect/ENOTSOCK', 'ENOTSOCK')];
  return opsOf(sk).connect(s, f.id, sk, c);
}
