/**
 * getsockopt(2) and setsockopt(2) on AF_UNIX sockets: do_sock_getsockopt /
 * do_sock_setsockopt (net/socket.c) give SOL_SOCKET to the generic sk_getsockopt /
 * sk_setsockopt (net/core/sock.c; the same rules as for AF_INET), and every other level
 * to the family, which refuses it (EOPNOTSUPP).
 */
import { produce } from 'immer';
import type { Call } from '../../spec/call.js';
import { ERRNO } from '../../spec/errno.js';
import type { Expected } from '../../spec/expected.js';
import {
  AF_UNIX,
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
import { OPTVAL_SHOWN } from '../../spec/observed.js';
import { lingerValue, refuseBindtodevice, unknownOption, valueHex, rcvbufFor, sndbufFor } from '../core/sock.js';
import { fail, ok, type Outcome } from '../core/outcome.js';
import type { State } from '../core/state.js';
import type { UnixSock } from '../core/unix_sock.js';

export const UNIX_OPT_RULES = [
  'getsockopt/unix-EOPNOTSUPP-level',
  'setsockopt/unix-EOPNOTSUPP-level',
  'setsockopt/unix-EOPNOTSUPP-reuseport',
] as const;

const SOCK_TYPE_NUM = { stream: 1, dgram: 2, seqpacket: 5 } as const;

function U(d: State, id: number): UnixSock {
  return d.objs[id] as UnixSock;
}

/**
 * getsockopt on an AF_UNIX socket: do_sock_getsockopt sends SOL_SOCKET to sk_getsockopt
 * (the generic options, the same rules as for AF_INET); unix has no ops->getsockopt, so
 * any other level is EOPNOTSUPP before *optlen is looked at.
 */
export function unixGetsockopt(s: State, id: number, u: UnixSock, c: Extract<Call, { op: 'getsockopt' }>): Outcome[] {
  if (c.level !== SOL_SOCKET) return [fail(s, 'getsockopt/unix-EOPNOTSUPP-level', 'EOPNOTSUPP')];
  const o = c.opt;
  if (o.lenPtr !== 'ok') return [fail(s, 'getsockopt/EFAULT-optlen', 'EFAULT')];
  if (o.len < 0) return [fail(s, 'getsockopt/EINVAL-optlen', 'EINVAL')];
  let rule: string;
  let v: number;
  let clears = false;
  switch (c.name) {
    case SO_TYPE:
      rule = 'getsockopt/SO_TYPE';
      v = SOCK_TYPE_NUM[u.type];
      break;
    case SO_DOMAIN:
      rule = 'getsockopt/SO_DOMAIN';
      v = AF_UNIX;
      break;
    // unix_create1 never sets sk_protocol: 0 also when socketpair was given PF_UNIX.
    case SO_PROTOCOL:
      rule = 'getsockopt/SO_PROTOCOL';
      v = 0;
      break;
    case SO_ERROR:
      rule = 'getsockopt/SO_ERROR';
      v = u.err === null ? 0 : ERRNO[u.err];
      clears = u.err !== null;
      break;
    case SO_ACCEPTCONN:
      rule = 'getsockopt/SO_ACCEPTCONN';
      v = 0;
      break;
    case SO_KEEPALIVE:
      rule = 'getsockopt/SO_KEEPALIVE';
      v = u.keepalive ? 1 : 0;
      break;
    case SO_REUSEADDR:
      rule = 'getsockopt/SO_REUSEADDR';
      v = u.reuse ? 1 : 0;
      break;
    case SO_REUSEPORT:
      rule = 'getsockopt/SO_REUSEPORT';
      v = 0;
      break;
    case SO_RCVBUF:
      rule = 'getsockopt/SO_RCVBUF';
      v = u.rcvbuf;
      break;
    case SO_SNDBUF:
      rule = 'getsockopt/SO_SNDBUF';
      v = u.sndbuf;
      break;
    case SO_LINGER: {
      // A struct linger (8 bytes) as for inet sockets: sk_getsockopt's SO_LINGER is generic.
      const n8 = Math.min(o.len, 8);
      const next8 = s;
      if (o.ptr !== 'ok' && n8 > 0)
        return [
          {
            rule: 'getsockopt/EFAULT-optval',
            expect: { kind: 'returned', ret: -1, errno: 'EFAULT' },
            next: () => next8,
          },
        ];
      const hex = lingerValue(u).hex!;
      const shown = Math.min(o.len, OPTVAL_SHOWN);
      const expect8: Expected = { kind: 'returned', ret: 0, optlen: n8 };
      if (o.ptr === 'ok') expect8.optval = (hex.slice(0, 2 * n8) + 'a5'.repeat(shown)).slice(0, 2 * shown);
      return [{ rule: 'getsockopt/SO_LINGER', expect: expect8, next: () => next8 }];
    }
    default:
      if (unknownOption(c.name)) return [fail(s, 'getsockopt/ENOPROTOOPT', 'ENOPROTOOPT')];
      throw new Error(`model: getsockopt SOL_SOCKET option ${c.name} on AF_UNIX is not modelled`);
  }
  const n = Math.min(o.len, 4);
  const next = clears
    ? produce(s, (d) => {
        U(d, id).err = null;
      })
    : s;
  if (o.ptr !== 'ok' && n > 0)
    return [
      { rule: 'getsockopt/EFAULT-optval', expect: { kind: 'returned', ret: -1, errno: 'EFAULT' }, next: () => next },
    ];
  const expect: Expected = { kind: 'returned', ret: 0, optlen: n };
  if (o.ptr === 'ok') expect.optval = valueHex(v, n, Math.min(o.len, OPTVAL_SHOWN));
  return [{ rule, expect, next: () => next }];
}

/**
 * setsockopt on an AF_UNIX socket: do_sock_setsockopt ("optlen < 0: EINVAL") gives SOL_SOCKET
 * to sock_setsockopt (a stream socket through unix_setsockopt, which passes everything but
 * SO_INQ on); any other level: unix_setsockopt's "level != SOL_SOCKET" or no ops->setsockopt,
 * both EOPNOTSUPP. sk_setsockopt refuses SO_REUSEPORT != 0 on a socket that is not inet.
 */
export function unixSetsockopt(s: State, id: number, c: Extract<Call, { op: 'setsockopt' }>): Outcome[] {
  if (c.optlen < 0) return [fail(s, 'setsockopt/EINVAL-optlen', 'EINVAL')];
  if (c.level !== SOL_SOCKET) return [fail(s, 'setsockopt/unix-EOPNOTSUPP-level', 'EOPNOTSUPP')];
  refuseBindtodevice(c);
  if (c.optlen < 4) return [fail(s, 'setsockopt/EINVAL-optlen', 'EINVAL')];
  if ((c.ptr ?? 'ok') !== 'ok') return [fail(s, 'setsockopt/EFAULT', 'EFAULT')];
  const set = (rule: string, f: (u: UnixSock) => void): Outcome[] => [
    ok(rule, 0, () => produce(s, (d) => f(U(d, id)))),
  ];
  const on = c.value !== 0;
  switch (c.name) {
    case SO_REUSEADDR:
      return set('setsockopt/SO_REUSEADDR', (u) => {
        u.reuse = on;
      });
    case SO_REUSEPORT:
      // "if (valbool && !sk_is_inet(sk)) ret = -EOPNOTSUPP; else sk->sk_reuseport = valbool;"
      return on
        ? [fail(s, 'setsockopt/unix-EOPNOTSUPP-reuseport', 'EOPNOTSUPP')]
        : set('setsockopt/SO_REUSEPORT', () => {});
    case SO_KEEPALIVE:
      return set('setsockopt/SO_KEEPALIVE', (u) => {
        u.keepalive = on;
      });
    case SO_RCVBUF:
      return set('setsockopt/SO_RCVBUF', (u) => {
        u.rcvbuf = rcvbufFor(s.profile, c.value);
      });
    case SO_SNDBUF:
      return set('setsockopt/SO_SNDBUF', (u) => {
        u.sndbuf = sndbufFor(s.profile, c.value);
      });
    // sk_setsockopt's SO_LINGER, for any family (see model/core/sock.ts).
    case SO_LINGER: {
      if (c.optlen < 8) return [fail(s, 'setsockopt/EINVAL-linger', 'EINVAL')];
      const secs = c.linger ?? 0;
      if (c.value !== 0 && secs < 0)
        throw new Error('model: SO_LINGER with a negative l_linger (MAX_SCHEDULE_TIMEOUT) is not modelled');
      return set('setsockopt/SO_LINGER', (u) => {
        u.lingerOn = c.value !== 0;
        if (c.value !== 0) u.lingerTime = secs;
      });
    }
    case SO_TYPE:
    case SO_PROTOCOL:
    case SO_DOMAIN:
    case SO_ERROR:
    case SO_ACCEPTCONN:
      return [fail(s, 'setsockopt/ENOPROTOOPT', 'ENOPROTOOPT')];
    default:
      if (unknownOption(c.name)) return [fail(s, 'setsockopt/ENOPROTOOPT', 'ENOPROTOOPT')];
      throw new Error(`model: setsockopt SOL_SOCKET option ${c.name} on AF_UNIX is not modelled`);
  }
}
