/**
 * getsockname(2) and getpeername(2): __sys_getsockname / __sys_getpeername
 * (sockfd_lookup_light) → inet_getname / inet6_getname → move_addr_to_user.
 */
import type { Call } from '../../spec/call.js';
import { moveAddrToUser, sockaddrInHex } from '../core/addr.js';
import { needsScope } from '../ipv4/family.js';
import { lookupSock } from './fd.js';
import { sockaddrOutHex } from '../../spec/inet6.js';
import { unixAt } from '../unix/af_unix.js';
import { unixGetname } from '../unix/unix_ops.js';
import { fail, type Outcome } from '../core/outcome.js';
import { sockName, type State } from '../core/state.js';

export const GETNAME_RULES = [
  'getsockname/EBADF', 'getsockname/ENOTSOCK', 'getsockname/EFAULT', 'getsockname/EINVAL', 'getsockname/ok',
  'getpeername/EBADF', 'getpeername/ENOTSOCK', 'getpeername/ENOTCONN', 'getpeername/EFAULT', 'getpeername/EINVAL', 'getpeername/ok',
] as const;

type GetnameCall = Extract<Call, { op: 'getsockname' | 'getpeername' }>;

export function getnameStep(s: State, c: GetnameCall): Outcome[] {
  const p = c.op;
  const ux = unixAt(s, c.fd);
  if (ux) return unixGetname(s, p, ux.u, c.out); // AF_UNIX (model/unix*.ts): unix_getname
  const l = lookupSock(s, c.fd);
  if (l.errno) return [fail(s, `${p}/${l.errno}`, l.errno)];
  const sk = l.sock;
  let name = sockName(sk);
  if (p === 'getpeername') {
    // inet_getname(peer=1): no peer port (!inet_dport, also after a connect to port 0), or CLOSE/SYN_SENT → ENOTCONN.
    if (sk.remote === null || sk.remote.port === 0 || sk.st === 'CLOSE' || sk.st === 'SYN_SENT') return [fail(s, `${p}/ENOTCONN`, 'ENOTCONN')];
    name = sk.remote;
  }
  // inet6_getname: "sin->sin6_scope_id = ipv6_iface_scope_id(&sin->sin6_addr, sk->sk_bound_dev_if)",
  // the bound interface for an address that needs one (a link-scope group here).
  const kaddr = sk.family === 'inet6' ? sockaddrOutHex(name.addr, name.port, needsScope(name.addr) ? sk.dev : 0) : sockaddrInHex(name);
  const copy = moveAddrToUser(c.out, kaddr);
  const out: { addr?: string; addrlen?: number } = {};
  if (copy.addr !== undefined) out.addr = copy.addr;
  if (copy.addrlen !== undefined) out.addrlen = copy.addrlen;
  if (copy.errno) return [{ rule: `${p}/${copy.errno}`, expect: { kind: 'returned', ret: -1, errno: copy.errno, ...out }, next: () => s }];
  return [{ rule: `${p}/ok`, expect: { kind: 'returned', ret: 0, ...out }, next: () => s }];
}
