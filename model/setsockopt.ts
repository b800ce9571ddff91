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
import { variantOf } from '../spec/variants.js';
import { produce } from 'immer';
import type { Call } from '../spec/call.js';
import {
  IPPROTO_IP, IPPROTO_IPV6, IPV6_V6ONLY, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE, SOL_SOCKET, SO_ACCEPTCONN, SO_DOMAIN, SO_ERROR, SO_KEEPALIVE, SO_LINGER,
  SO_PROTOCOL, SO_RCVBUF, SO_REUSEADDR, SO_REUSEPORT, SO_SNDBUF, SO_TYPE, TCP_NODELAY,
} from '../spec/constants.js';
import { lookupSock } from './fd.js';
import { unixAt } from './unix.js';
import { unixSetsockopt } from './unixopts.js';
import { fail, ok, type Outcome } from './outcome.js';
import { rcvbufFor, sndbufFor } from './sockbuf.js';
import type { Sock, State } from './state.js';

export const SETSOCKOPT_RULES = [
  'setsockopt/EBADF', 'setsockopt/ENOTSOCK', 'setsockopt/EINVAL-optlen', 'setsockopt/SO_REUSEADDR',
  'setsockopt/ENOPROTOOPT-level', 'setsockopt/EFAULT', 'setsockopt/ENOPROTOOPT', 'setsockopt/SO_REUSEPORT',
  'setsockopt/SO_KEEPALIVE', 'setsockopt/SO_RCVBUF', 'setsockopt/SO_SNDBUF', 'setsockopt/TCP_NODELAY',
  'setsockopt/IPV6_V6ONLY', 'setsockopt/EINVAL-v6only',
  'setsockopt/EINVAL-linger', 'setsockopt/SO_LINGER',
] as const;

/** Option numbers no kernel defines (sockspec's invalid domain): they reach the `default:` arms. */
export function unknownOption(name: number): boolean {
  return name < 0 || name >= 1000;
}

type SetsockoptCall = Extract<Call, { op: 'setsockopt' }>;

export function setsockoptStep(s: State, c: SetsockoptCall): Outcome[] {
  // Variant setsockopt-negative-optlen=before-fd (6.1): __sys_setsockopt's
  // "if (optlen < 0) return -EINVAL" before sockfd_lookup_light.
  if (c.optlen < 0 && variantOf(s.profile.variants, 'setsockopt-negative-optlen') === 'before-fd') {
    return [fail(s, 'setsockopt/EINVAL-optlen', 'EINVAL')];
  }
  const ux = unixAt(s, c.fd);
  if (ux) return unixSetsockopt(s, ux.id, c); // AF_UNIX (model/unix*.ts): sock_setsockopt or EOPNOTSUPP
  const l = lookupSock(s, c.fd);
  if (l.errno) return [fail(s, `setsockopt/${l.errno}`, l.errno)];
  // do_sock_setsockopt: "if (optlen < 0) return -EINVAL" (variant setsockopt-negative-optlen=after-fd).
  if (c.optlen < 0) return [fail(s, 'setsockopt/EINVAL-optlen', 'EINVAL')];
  const sk = l.sock;
  if (c.level === SOL_SOCKET) return solSocket(s, l.id, c);
  if (c.level === IPPROTO_IP) throw new Error('model: setsockopt at level SOL_IP is not modelled');
  if (sk.proto === 'tcp' && c.level === IPPROTO_TCP) return solTcp(s, l.id, c);
  if (sk.proto === 'udp' && (c.level === IPPROTO_UDP || c.level === IPPROTO_UDPLITE)) throw new Error('model: setsockopt at level SOL_UDP is not modelled');
  if (sk.family === 'inet6' && c.level === IPPROTO_IPV6) return solIpv6(s, l.id, c);
  // ipv6_setsockopt answers the same for an AF_INET6 socket: "if (level != SOL_IPV6) return -ENOPROTOOPT".
  // tcp_setsockopt / udp_setsockopt → ip_setsockopt: "if (level != SOL_IP) return -ENOPROTOOPT".
  return [fail(s, 'setsockopt/ENOPROTOOPT-level', 'ENOPROTOOPT')];
}

/** An int option copied in: sk_setsockopt / do_tcp_setsockopt check optlen, then copy_from_sockptr. */
function copyIn(s: State, c: SetsockoptCall): Outcome | undefined {
  if (c.optlen < 4) return fail(s, 'setsockopt/EINVAL-optlen', 'EINVAL');
  if ((c.ptr ?? 'ok') !== 'ok') return fail(s, 'setsockopt/EFAULT', 'EFAULT');
  return undefined;
}

/** The generic struct sock fields sk_setsockopt sets (an inet Sock and a vsock socket both have them). */
export type SockOpts = Pick<Sock, 'reuse' | 'reuseport' | 'keepalive' | 'rcvbuf' | 'sndbuf' | 'sndbufHi' | 'sndbufLock' | 'lingerOn' | 'lingerTime'>;

function set<T = SockOpts>(s: State, id: number, rule: string, change: (sk: T) => void): Outcome[] {
  const next = produce(s, (d) => change(d.objs[id] as unknown as T));
  return [ok(rule, 0, () => next)];
}

/**
 * sk_setsockopt ("if (optlen < sizeof(int)) return -EINVAL" comes before the option
 * switch), for any socket whose object has the SockOpts fields.
 */
export function solSocket(s: State, id: number, c: SetsockoptCall): Outcome[] {
  const early = copyIn(s, c);
  if (early) return [early];
  const on = c.value !== 0;
  switch (c.name) {
    case SO_REUSEADDR: return set(s, id, 'setsockopt/SO_REUSEADDR', (sk) => { sk.reuse = on; });
    // "if (valbool && !sk_is_inet(sk)) ret = -EOPNOTSUPP; else sk->sk_reuseport = valbool".
    case SO_REUSEPORT: return set(s, id, 'setsockopt/SO_REUSEPORT', (sk) => { sk.reuseport = on; });
    // sk_prot->keepalive (tcp_set_keepalive arms a timer hours away), then SOCK_KEEPOPEN.
    case SO_KEEPALIVE: return set(s, id, 'setsockopt/SO_KEEPALIVE', (sk) => { sk.keepalive = on; });
    case SO_RCVBUF: return set(s, id, 'setsockopt/SO_RCVBUF', (sk) => { sk.rcvbuf = rcvbufFor(s.profile, c.value); });
    // "sk->sk_userlocks |= SOCK_SNDBUF_LOCK": no tcp_sndbuf_expand from now on.
    case SO_SNDBUF: return set(s, id, 'setsockopt/SO_SNDBUF', (sk) => {
      sk.sndbuf = sndbufFor(s.profile, c.value); sk.sndbufHi = sk.sndbuf; sk.sndbufLock = true;
    });
    // "if (optlen < sizeof(ling)) ret = -EINVAL; /* 1003.1g */", then the whole struct linger is
    // copied; l_onoff 0 only clears SOCK_LINGER (sk_lingertime stays), else sk_lingertime =
    // l_linger * HZ (read back as seconds) and SOCK_LINGER. A negative l_linger, as unsigned
    // long, means MAX_SCHEDULE_TIMEOUT, which reads back by HZ: not modelled (not generated).
    case SO_LINGER: {
      if (c.optlen < 8) return [fail(s, 'setsockopt/EINVAL-linger', 'EINVAL')];
      const secs = c.linger ?? 0;
      if (c.value !== 0 && secs < 0) throw new Error('model: SO_LINGER with a negative l_linger (MAX_SCHEDULE_TIMEOUT) is not modelled');
      return set(s, id, 'setsockopt/SO_LINGER', (sk) => { sk.lingerOn = c.value !== 0; if (c.value !== 0) sk.lingerTime = secs; });
    }
    // "case SO_TYPE: case SO_PROTOCOL: case SO_DOMAIN: case SO_ERROR: ret = -ENOPROTOOPT";
    // SO_ACCEPTCONN has no arm and takes the default one.
    case SO_TYPE: case SO_PROTOCOL: case SO_DOMAIN: case SO_ERROR: case SO_ACCEPTCONN:
      return [fail(s, 'setsockopt/ENOPROTOOPT', 'ENOPROTOOPT')];
    default:
      if (unknownOption(c.name)) return [fail(s, 'setsockopt/ENOPROTOOPT', 'ENOPROTOOPT')];
      throw new Error(`model: setsockopt SOL_SOCKET option ${c.name} is not modelled`);
  }
}

/** do_tcp_setsockopt: optlen, copy, then the option ("default: err = -ENOPROTOOPT"). */
function solTcp(s: State, id: number, c: SetsockoptCall): Outcome[] {
  const early = copyIn(s, c);
  if (early) return [early];
  // __tcp_sock_set_nodelay: nonagle |= TCP_NAGLE_OFF|TCP_NAGLE_PUSH, or &= ~TCP_NAGLE_OFF.
  if (c.name === TCP_NODELAY) return set<Sock>(s, id, 'setsockopt/TCP_NODELAY', (sk) => { sk.nodelay = c.value !== 0; });
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
  return set<Sock>(s, id, 'setsockopt/IPV6_V6ONLY', (sk) => { sk.v6only = val !== 0; });
}
