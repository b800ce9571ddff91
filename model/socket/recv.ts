/**
 * recv(2) and recvfrom(2): __sys_recvfrom (sockfd_lookup_light: EBADF, ENOTSOCK) → the
 * family's path (ipv4/udp_recvmsg.ts and ipv4/tcp_recvmsg.ts, unix/unix_sendrecv.ts,
 * vsock/vsock_ops.ts): ->recvmsg and the source address copied out.
 */
import { fail, type Outcome } from '../core/outcome.js';
import type { CallOf } from '../core/proto_ops.js';
import type { State } from '../core/state.js';
import { sockfdLookup } from './fd.js';
import { opsOf } from './proto_ops.js';

export function recvStep(s: State, c: CallOf<'recv' | 'recvfrom'>): Outcome[] {
  const l = sockfdLookup(s, c.fd);
  if (l.errno) return [fail(s, `${c.op}/${l.errno}`, l.errno)];
  return opsOf(l.sk).recv(s, l.id, l.sk, c);
}
