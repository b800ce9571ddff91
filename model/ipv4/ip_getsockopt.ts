/**
 * getsockopt(2): __sys_getsockopt (fd, ENOTSOCK) → do_sock_getsockopt → sk_getsockopt
 * for SOL_SOCKET; otherwise the protocol's: tcp_getsockopt (SOL_TCP: do_tcp_getsockopt;
 * any other level: ip_getsockopt) or udp_getsockopt (ip_getsockopt for levels other
 * than SOL_UDP/SOL_UDPLITE). do_ip_getsockopt starts "if (level != SOL_IP) return
 * -EOPNOTSUPP" (not ENOPROTOOPT, as ip_setsockopt answers), before it reads *optlen.
 *
 * sk_getsockopt reads *optlen (EFAULT), refuses a negative one (EINVAL), computes the
 * value (SO_ERROR clears sk_err here, so even a copy that then faults clears it), copies
 * min(len, sizeof(int)) bytes out (EFAULT; nothing to copy for len 0, so any pointer
 * will do) and then writes that length back. do_tcp_getsockopt checks len < 0 before
 * it clamps (measured on 6.18: -1 gives EINVAL, though older kernels clamped first as
 * unsigned and never saw a negative length) and writes the length back before the
 * value, so a faulting buffer still gets its *optlen updated.
 */
import type { Call } from '../../spec/call.js';
import { ERRNO } from '../../spec/errno.js';
import type { Expected } from '../../spec/expected.js';
import { OPTVAL_SHOWN } from '../../spec/observed.js';
import {
  AF_INET,
  AF_INET6,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_V6ONLY,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IPPROTO_UDPLITE,
  SOCK_DGRAM,
  SOCK_STREAM,
  SOL_SOCKET,
  SO_ACCEPTCONN,
  SO_DOMAIN,
  SO_ERROR,
  SO_KEEPALIVE,
  SO_LINGER,
  SO_PROTOCOL,
  SO_RCVBUF,
  SO_REUSEADDR,
  SO_REUSEPORT,
  SO_SNDBUF,
  SO_TYPE,
  TCP_NODELAY,
} from '../../spec/constants.js';
import { fail, type Outcome } from '../core/outcome.js';
import { unknownOption, optOut, type Value, exact, lingerValue, valueHex } from '../core/sock.js';
import type { State } from '../core/state.js';
import type { Sock } from '../core/inet_sock.js';

export const GETSOCKOPT_RULES = [
  'getsockopt/EBADF',
  'getsockopt/ENOTSOCK',
  'getsockopt/EOPNOTSUPP-level',
  'getsockopt/EFAULT-optlen',
  'getsockopt/EINVAL-optlen',
  'getsockopt/ENOPROTOOPT',
  'getsockopt/EFAULT-optval',
  'getsockopt/SO_TYPE',
  'getsockopt/SO_DOMAIN',
  'getsockopt/SO_PROTOCOL',
  'getsockopt/SO_ERROR',
  'getsockopt/SO_ACCEPTCONN',
  'getsockopt/SO_KEEPALIVE',
  'getsockopt/SO_REUSEADDR',
  'getsockopt/SO_REUSEPORT',
  'getsockopt/SO_RCVBUF',
  'getsockopt/SO_SNDBUF',
  'getsockopt/TCP_NODELAY',
  'getsockopt/SO_LINGER',
  'getsockopt/ENOPROTOOPT-level',
  'getsockopt/IPV6_V6ONLY',
] as const;

type GetsockoptCall = Extract<Call, { op: 'getsockopt' }>;

/** sk_getsockopt's switch for the options in scope; undefined for its `default:` arm (ENOPROTOOPT). */
function sockValue(sk: Sock, name: number): Value | undefined {
  switch (name) {
    case SO_TYPE:
      return exact('getsockopt/SO_TYPE', sk.proto === 'tcp' ? SOCK_STREAM : SOCK_DGRAM);
    case SO_DOMAIN:
      return exact('getsockopt/SO_DOMAIN', sk.family === 'inet' ? AF_INET : AF_INET6);
    // sk_protocol is the protocol inet_create found, also when socket() was given 0.
    case SO_PROTOCOL:
      return exact('getsockopt/SO_PROTOCOL', sk.proto === 'tcp' ? IPPROTO_TCP : IPPROTO_UDP);
    // "v.val = -sock_error(sk); if (v.val == 0) v.val = xchg(&sk->sk_err_soft, 0)": sock_error
    // xchg()s sk_err to 0. sk_err_soft is set only by ICMP errors and timeouts, which no
    // sequence on loopback meets, so it is 0 here.
    case SO_ERROR:
      return exact(
        'getsockopt/SO_ERROR',
        sk.err === null ? 0 : ERRNO[sk.err],
        sk.err === null
          ? undefined
          : (x) => {
              x.err = null;
            },
      );
    case SO_ACCEPTCONN:
      return exact('getsockopt/SO_ACCEPTCONN', sk.st === 'LISTEN' ? 1 : 0);
    case SO_KEEPALIVE:
      return exact('getsockopt/SO_KEEPALIVE', sk.keepalive ? 1 : 0);
    case SO_REUSEADDR:
      return exact('getsockopt/SO_REUSEADDR', sk.reuse ? 1 : 0);
    case SO_REUSEPORT:
      return exact('getsockopt/SO_REUSEPORT', sk.reuseport ? 1 : 0);
    case SO_RCVBUF:
      return exact('getsockopt/SO_RCVBUF', sk.rcvbuf);
    case SO_SNDBUF:
      return { rule: 'getsockopt/SO_SNDBUF', lo: sk.sndbuf, hi: sk.sndbufHi };
    case SO_LINGER:
      return lingerValue(sk);
    default:
      if (unknownOption(name)) return undefined;
      throw new Error(`model: getsockopt SOL_SOCKET option ${name} is not modelled`);
  }
}

/** do_tcp_getsockopt's switch: TCP_NODELAY is "!!(tp->nonagle & TCP_NAGLE_OFF)". */
function tcpValue(sk: Sock, name: number): Value | undefined {
  if (name === TCP_NODELAY) return exact('getsockopt/TCP_NODELAY', sk.nodelay ? 1 : 0);
  if (unknownOption(name)) return undefined;
  throw new Error(`model: getsockopt SOL_TCP option ${name} is not modelled`);
}

/**
 * An AF_INET6 socket's levels other than SOL_SOCKET and its protocol's (tcp_getsockopt /
 * udpv6_getsockopt → ipv6_getsockopt): "if (level != SOL_IPV6) return -ENOPROTOOPT"
 * (AF_INET's ip_getsockopt answers EOPNOTSUPP). do_ipv6_getsockopt reads *optlen (EFAULT),
 * picks the option (ENOPROTOOPT for unknown ones), then "len = min_t(unsigned int,
 * sizeof(int), len)" (a negative length counts as huge: 4 bytes), writes the length back
 * and then copies the value (EFAULT after the length was written).
 */
function ipv6Level(s: State, sk: Sock, c: GetsockoptCall): Outcome[] {
  if (sk.proto === 'udp' && (c.level === IPPROTO_UDP || c.level === IPPROTO_UDPLITE))
    throw new Error('model: getsockopt at level SOL_UDP is not modelled');
  if (c.level !== IPPROTO_IPV6) return [fail(s, 'getsockopt/ENOPROTOOPT-level', 'ENOPROTOOPT')];
  const o = c.opt;
  if (o.lenPtr !== 'ok') return [fail(s, 'getsockopt/EFAULT-optlen', 'EFAULT')];
  if (c.name !== IPV6_V6ONLY) {
    if (unknownOption(c.name)) return [fail(s, 'getsockopt/ENOPROTOOPT', 'ENOPROTOOPT')];
    throw new Error(`model: getsockopt SOL_IPV6 option ${c.name} is not modelled`);
  }
  const n = o.len >>> 0 < 4 ? o.len : 4;
  if (o.ptr !== 'ok' && n > 0)
    return [
      {
        rule: 'getsockopt/EFAULT-optval',
        expect: { kind: 'returned', ret: -1, errno: 'EFAULT', optlen: n },
        next: () => s,
      },
    ];
  const expect: Expected = { kind: 'returned', ret: 0, optlen: n };
  // The adapter shows the buffer up to the length passed in (none for a negative one).
  if (o.ptr === 'ok') expect.optval = valueHex(sk.v6only ? 1 : 0, n, Math.min(Math.max(o.len, 0), OPTVAL_SHOWN));
  return [{ rule: 'getsockopt/IPV6_V6ONLY', expect, next: () => s }];
}

/**
 * getsockopt(2) on AF_INET and AF_INET6 sockets after the fd lookup: sk_getsockopt
 * (SOL_SOCKET), do_tcp_getsockopt, ipv6_getsockopt or ip_getsockopt by level.
 */
export function inetGetsockopt(s: State, id: number, sk: Sock, c: GetsockoptCall): Outcome[] {
  const o = c.opt;
  if (c.level === IPPROTO_IP) throw new Error('model: getsockopt at level SOL_IP is not modelled');
  if (sk.family === 'inet6' && c.level !== SOL_SOCKET && !(c.level === IPPROTO_TCP && sk.proto === 'tcp')) {
    return ipv6Level(s, sk, c);
  }
  const tcpLevel = c.level === IPPROTO_TCP && sk.proto === 'tcp';
  if (c.level !== SOL_SOCKET && !tcpLevel) {
    if (sk.proto === 'udp' && (c.level === IPPROTO_UDP || c.level === IPPROTO_UDPLITE)) {
      throw new Error('model: getsockopt at level SOL_UDP is not modelled');
    }
    return [fail(s, 'getsockopt/EOPNOTSUPP-level', 'EOPNOTSUPP')];
  }
  // get_user / copy_from_sockptr(&len, optlen): NULL or a faulting pointer.
  if (o.lenPtr !== 'ok') return [fail(s, 'getsockopt/EFAULT-optlen', 'EFAULT')];
  if (o.len < 0) return [fail(s, 'getsockopt/EINVAL-optlen', 'EINVAL')];
  const v = tcpLevel ? tcpValue(sk, c.name) : sockValue(sk, c.name);
  if (v === undefined) return [fail(s, 'getsockopt/ENOPROTOOPT', 'ENOPROTOOPT')];
  return optOut(s, id, c, v, tcpLevel);
}
