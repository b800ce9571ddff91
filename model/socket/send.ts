/**
 * send(2) and sendto(2): __sys_sendto (sockfd_lookup_light: EBADF, ENOTSOCK) → the
 * family's path (ipv4/udp_sendmsg.ts and ipv4/tcp_sendmsg.ts, unix/unix_sendrecv.ts,
 * vsock/vsock_ops.ts), which copies the address in and calls its ->sendmsg.
 */
import { fail, type Outcome } from '../core/outcome.js';
import type { CallOf } from '../core/proto_ops.js';
import type { State } from '../core/state.js';
import { sockfdLookup } from './fd.js';
import { opsOf } from './proto_ops.js';

export function sendStep(s: State, c: CallOf<'send' | 'sendto'>): Outcome[] {
  const l = sockfdLookup(s, c.fd);
  if (l.errno) return [fail(s, `${c.op}/${l.errno}`, l.errno)];
  return opsOf(l.sk).send(s, l.id, l.sk, c);
}
