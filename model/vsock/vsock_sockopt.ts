/**
 * setsockopt(2) and getsockopt(2) on an AF_VSOCK socket. SOL_SOCKET goes to the generic
 * sk_setsockopt / sk_getsockopt (shared with inet, core/sock.ts and ipv4/ip_getsockopt.ts), where
 * only SO_REUSEPORT tells the family apart; any other level goes to
 * vsock_connectible_setsockopt / vsock_connectible_getsockopt, which serve level AF_VSOCK
 * only ("if (level != AF_VSOCK) return -ENOPROTOOPT", before optlen is read). The
 * AF_VSOCK level's own options (buffer sizes, connect timeout) are not modelled.
 */
import type { Call } from '../../spec/call.js';
import {
  AF_VSOCK,
  SOCK_SEQPACKET,
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
} from '../../spec/constants.js';
import { exact, lingerValue, optOut, solSocket, unknownOption, type Value } from '../core/sock.js';
import { fail, type Outcome } from '../core/outcome.js';
import type { State } from '../core/state.js';
import type { VsockSock } from '../core/vsock_sock.js';

export const VSOCK_OPT_RULES = [
  'setsockopt/vsock-EOPNOTSUPP-reuseport',
  'setsockopt/vsock-ENOPROTOOPT-level',
  'getsockopt/vsock-ENOPROTOOPT-level',
] as const;

type SetsockoptCall = Extract<Call, { op: 'setsockopt' }>;
type GetsockoptCall = Extract<Call, { op: 'getsockopt' }>;

export function vsockSetsockopt(s: State, id: number, c: SetsockoptCall): Outcome[] {
  // do_sock_setsockopt: "if (optlen < 0) return -EINVAL".
  if (c.optlen < 0) return [fail(s, 'setsockopt/EINVAL-optlen', 'EINVAL')];
  if (c.level === SOL_SOCKET) {
    // sk_setsockopt, after the optlen check and the copy: "case SO_REUSEPORT: if (valbool &&
    // !sk_is_inet(sk)) ret = -EOPNOTSUPP;".
    if (c.name === SO_REUSEPORT && c.optlen >= 4 && (c.ptr ?? 'ok') === 'ok' && c.value !== 0) {
      return [fail(s, 'setsockopt/vsock-EOPNOTSUPP-reuseport', 'EOPNOTSUPP')];
    }
    return solSocket(s, id, c);
  }
  if (c.level === AF_VSOCK) throw new Error('model: setsockopt at level AF_VSOCK is not modelled');
  return [fail(s, 'setsockopt/vsock-ENOPROTOOPT-level', 'ENOPROTOOPT')];
}

export function vsockGetsockopt(s: State, v: VsockSock, c: GetsockoptCall): Outcome[] {
  const o = c.opt;
  if (c.level !== SOL_SOCKET) {
    if (c.level === AF_VSOCK) throw new Error('model: getsockopt at level AF_VSOCK is not modelled');
    return [fail(s, 'getsockopt/vsock-ENOPROTOOPT-level', 'ENOPROTOOPT')];
  }
  // sk_getsockopt: *optlen (EFAULT), a negative one (EINVAL), the value, the copy.
  if (o.lenPtr !== 'ok') return [fail(s, 'getsockopt/EFAULT-optlen', 'EFAULT')];
  if (o.len < 0) return [fail(s, 'getsockopt/EINVAL-optlen', 'EINVAL')];
  const val = value(v, c.name);
  if (val === undefined) return [fail(s, 'getsockopt/ENOPROTOOPT', 'ENOPROTOOPT')];
  // The socket's id is not needed: no vsock value is cleared by reading it.
  return optOut(s, -1, c, val, false);
}

/**
 * sk_getsockopt's values for a vsock socket: sk_type; sk_family AF_VSOCK; sk_protocol 0
 * (vsock_create never sets it, also for protocol PF_VSOCK); never listening; sk_err never set;
 * the generic flags and buffer sizes as sk_setsockopt left them (no tcp_sndbuf_expand here).
 */
function value(v: VsockSock, name: number): Value | undefined {
  switch (name) {
    case SO_TYPE:
      return exact('getsockopt/SO_TYPE', v.type === 'stream' ? SOCK_STREAM : SOCK_SEQPACKET);
    case SO_DOMAIN:
      return exact('getsockopt/SO_DOMAIN', AF_VSOCK);
    case SO_PROTOCOL:
      return exact('getsockopt/SO_PROTOCOL', 0);
    case SO_ERROR:
      return exact('getsockopt/SO_ERROR', 0);
    case SO_ACCEPTCONN:
      return exact('getsockopt/SO_ACCEPTCONN', 0);
    case SO_KEEPALIVE:
      return exact('getsockopt/SO_KEEPALIVE', v.keepalive ? 1 : 0);
    case SO_REUSEADDR:
      return exact('getsockopt/SO_REUSEADDR', v.reuse ? 1 : 0);
    case SO_REUSEPORT:
      return exact('getsockopt/SO_REUSEPORT', v.reuseport ? 1 : 0);
    case SO_RCVBUF:
      return exact('getsockopt/SO_RCVBUF', v.rcvbuf);
    case SO_SNDBUF:
      return exact('getsockopt/SO_SNDBUF', v.sndbuf);
    case SO_LINGER:
      return lingerValue(v);
    default:
      if (unknownOption(name)) return undefined;
      throw new Error(`model: getsockopt SOL_SOCKET option ${name} on AF_VSOCK is not modelled`);
  }
}
