/**
 * Which family's proto_ops answer for a socket (sock->ops, set by the family's create):
 * the one place where the system-call layer names the families. Adding a family means
 * adding its folder and a line here.
 */
import type { ProtoOps, SocketObj } from '../core/proto_ops.js';
import { inetOps } from '../ipv4/af_inet.js';
import { inet6Ops } from '../ipv6/af_inet6.js';
import { unixOps } from '../unix/unix_proto_ops.js';
import { vsockOps } from '../vsock/af_vsock.js';

/** The ops table of socket `sk`. */
export function opsOf(sk: SocketObj): ProtoOps<SocketObj> {
  switch (sk.kind) {
    case 'socket':
      return (sk.family === 'inet6' ? inet6Ops : inetOps) as ProtoOps<SocketObj>;
    case 'unix':
      return unixOps as ProtoOps<SocketObj>;
    case 'vsock':
      return vsockOps as ProtoOps<SocketObj>;
  }
}
