/**
 * setsockopt(2): __sys_setsockopt (fd, ENOTSOCK) → do_sock_setsockopt (optlen < 0) →
 * sk_setsockopt for SOL_SOCKET; otherwise the protocol's: tcp_setsockopt (SOL_TCP:
 * do_tcp_setsockopt; any other level: ip_setsockopt) or udp_setsockopt (ip_setsockopt
 * for levels other than SOL_SOCKET/SOL_UDP/SOL_UDPLITE). ip_setsockopt refuses every
 * level but SOL_IP with ENOPROTOOPT, before it looks at optlen or the pointer.
 * In scope: SO_REUSEADDR, SO_REUSEPORT, SO_KEEPALIVE, SO_RCVBUF, SO_SNDBUF, SO_LINGER, TCP_NODELAY,
 * the read-only SO_TYPE/SO_PROTOCOL/SO_DOMAIN/SO_ERROR/SO_ACCEPTCONN, and option
 * numbers no kernel knows; other options and the SOL_IP/SOL_UDP levels are refused as
 * not modelled (an exception, never a guess).
 */
import type { Call } from '../../spec/call.js';
import {
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_V6ONLY,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IPPROTO_UDPLITE,
  SOL_SOCKET,
  TCP_NODELAY,
} from '../../spec/constants.js';
import { fail, type Outcome } from '../core/outcome.js';
import type { State } from '../core/state.js';
import { solSocket, copyIn, set, unknownOption } from '../core/sock.js';
import type { Sock } from '../core/inet_sock.js';

export const SETSOCKOPT_RULES = [
  'setsockopt/EBADF',
  'setsockopt/ENOTSOCK',
  'setsockopt/EINVAL-optlen',
  'setsockopt/SO_REUSEADDR',
  'setsockopt/ENOPROTOOPT-level',
  'setsockopt/EFAULT',
  'setsockopt/ENOPROTOOPT',
  'setsockopt/SO_REUSEPORT',
  'setsockopt/SO_KEEPALIVE',
  'setsockopt/SO_RCVBUF',
  'setsockopt/SO_SNDBUF',
  'setsockopt/TCP_NODELAY',
  'setsockopt/IPV6_V6ONLY',
  'setsockopt/EINVAL-v6only',
  'setsockopt/EINVAL-linger',
  'setsockopt/SO_LINGER',
] as const;

type SetsockoptCall = Extract<Call, { op: 'setsockopt' }>;

/** do_tcp_setsockopt: optlen, copy, then the option ("default: err = -ENOPROTOOPT"). */
function solTcp(s: State, id: number, c: SetsockoptCall): Outcome[] {
  // "These are data/string values, all the others are ints": TCP_CONGESTION (13), TCP_ULP
  // (31) and TCP_FASTOPEN_KEY (33) are read before the int optlen check; not modelled.
  if (c.name === 13 || c.name === 31 || c.name === 33)
    throw new Error(`model: setsockopt SOL_TCP option ${c.name} (a string or key value) is not modelled`);
  const early = copyIn(s, c);
  if (early) return [early];
  // __tcp_sock_set_nodelay: nonagle |= TCP_NAGLE_OFF|TCP_NAGLE_PUSH, or &= ~TCP_NAGLE_OFF.
  if (c.name === TCP_NODELAY)
    return set<Sock>(s, id, 'setsockopt/TCP_NODELAY', (sk) => {
      sk.nodelay = c.value !== 0;
    });
  if (unknownOption(c.name)) return [fail(s, 'setsockopt/ENOPROTOOPT', 'ENOPROTOOPT')];
  throw new Error(`model: setsockopt SOL_TCP option ${c.name} is not modelled`);
}

/**
 * do_ipv6_setsockopt: the int is read first ("if (sockptr_is_null(optval)) val = 0; else if
 * (optlen >= sizeof(int)) copy_from_sockptr" → EFAULT, also for options it does not know;
 * a shorter optlen reads nothing), then the option: IPV6_V6ONLY is EINVAL when optlen <
 * sizeof(int) or the socket holds a port (inet_num), else sk_ipv6only = !!val.
 */
function solIpv6(s: State, id: number, c: SetsockoptCall): Outcome[] {
  const ptr = c.ptr ?? 'ok';
  if (ptr === 'bad' && c.optlen >= 4) return [fail(s, 'setsockopt/EFAULT', 'EFAULT')];
  const val = ptr === 'ok' && c.optlen >= 4 ? c.value : 0;
  if (c.name !== IPV6_V6ONLY) {
    if (unknownOption(c.name)) return [fail(s, 'setsockopt/ENOPROTOOPT', 'ENOPROTOOPT')];
    throw new Error(`model: setsockopt SOL_IPV6 option ${c.name} is not modelled`);
  }
  if (c.optlen < 4 || (s.objs[id] as Sock).port !== 0) return [fail(s, 'setsockopt/EINVAL-v6only', 'EINVAL')];
  return set<Sock>(s, id, 'setsockopt/IPV6_V6ONLY', (sk) => {
    sk.v6only = val !== 0;
  });
}

/**
 * setsockopt(2) on AF_INET and AF_INET6 sockets after the fd lookup: do_sock_setsockopt's
 * optlen check, then sk_setsockopt (SOL_SOCKET), tcp_setsockopt, ipv6_setsockopt or
 * ip_setsockopt by level.
 */
export function inetSetsockopt(s: State, id: number, sk: Sock, c: SetsockoptCall): Outcome[] {
  // do_sock_setsockopt: "if (optlen < 0) return -EINVAL" (variant setsockopt-negative-optlen=after-fd).
  if (c.optlen < 0) return [fail(s, 'setsockopt/EINVAL-optlen', 'EINVAL')];
  if (c.level === SOL_SOCKET) return solSocket(s, id, c);
  if (c.level === IPPROTO_IP) throw new Error('model: setsockopt at level SOL_IP is not modelled');
  if (sk.proto === 'tcp' && c.level === IPPROTO_TCP) return solTcp(s, id, c);
  if (sk.proto === 'udp' && (c.level === IPPROTO_UDP || c.level === IPPROTO_UDPLITE)) {
    throw new Error('model: setsockopt at level SOL_UDP is not modelled');
  }
  if (sk.family === 'inet6' && c.level === IPPROTO_IPV6) return solIpv6(s, id, c);
  // ipv6_setsockopt answers the same for an AF_INET6 socket: "if (level != SOL_IPV6) return -ENOPROTOOPT".
  // tcp_setsockopt / udp_setsockopt → ip_setsockopt: "if (level != SOL_IP) return -ENOPROTOOPT".
  return [fail(s, 'setsockopt/ENOPROTOOPT-level', 'ENOPROTOOPT')];
}
