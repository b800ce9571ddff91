/**
 * net/core/sock.c's part of the socket options that every family shares (sk_setsockopt,
 * sk_getsockopt): buffer sizes as setsockopt(SO_RCVBUF / SO_SNDBUF) sets them
 * (__sock_set_rcvbuf: the value, read as unsigned, is clamped to rmem_max / wmem_max
 * ("min_t(u32, val, sysctl_rmem_max)", so a negative value asks for the maximum), then
 * to INT_MAX / 2, doubled, and raised to SOCK_MIN_RCVBUF / SOCK_MIN_SNDBUF), the bytes of
 * an option's value, SO_LINGER's struct linger, and the option numbers no kernel knows.
 * Pure.
 */
import { LINUX_BUFFERS, type Profile } from '../../spec/profile.js';
import type { State } from './state.js';
import type { Call } from '../../spec/call.js';
import { type Outcome, fail, ok } from './outcome.js';
import {
  SO_REUSEADDR,
  SO_REUSEPORT,
  SO_KEEPALIVE,
  SO_RCVBUF,
  SO_SNDBUF,
  SO_LINGER,
  SO_TYPE,
  SO_PROTOCOL,
  SO_DOMAIN,
  SO_ERROR,
  SO_ACCEPTCONN,
} from '../../spec/constants.js';
import type { Expected, OptHole } from '../../spec/expected.js';
import { OPTVAL_SHOWN, type Observed } from '../../spec/observed.js';
import { produce } from 'immer';
import type { Sock } from './inet_sock.js';

type GetsockoptCall = Extract<Call, { op: 'getsockopt' }>;

type SetsockoptCall = Extract<Call, { op: 'setsockopt' }>;

/**
 * include/net/sock.h: TCP_SKB_MIN_TRUESIZE = 2048 + SKB_DATA_ALIGN(sizeof(struct
 * sk_buff)); SOCK_MIN_RCVBUF is one of it, SOCK_MIN_SNDBUF two. sizeof(struct sk_buff)
 * is 232 on x86_64 (aligned to 256 by SKB_DATA_ALIGN); measured on Linux 6.18:
 * SO_RCVBUF 0 reads back 2304, SO_SNDBUF 0 reads back 4608.
 */
export const SOCK_MIN_RCVBUF = 2048 + 256;
export const SOCK_MIN_SNDBUF = 2 * SOCK_MIN_RCVBUF;

const INT_MAX_HALF = 0x3fffffff;

function size(val: number, max: number, min: number): number {
  const v = Math.min(Math.min(val >>> 0, max), INT_MAX_HALF);
  return Math.max(v * 2, min);
}

/** sk_rcvbuf after setsockopt(SO_RCVBUF, val). */
export function rcvbufFor(p: Profile, val: number): number {
  return size(val, (p.buffers ?? LINUX_BUFFERS).rmemMax, SOCK_MIN_RCVBUF);
}

/** sk_sndbuf after setsockopt(SO_SNDBUF, val). */
export function sndbufFor(p: Profile, val: number): number {
  return size(val, (p.buffers ?? LINUX_BUFFERS).wmemMax, SOCK_MIN_SNDBUF);
}

/** An option's value: exact, or a range the model does not fix; `clear` is what reading it changes. */
export interface Value {
  rule: string;
  lo: number;
  hi: number;
  clear?: (sk: Sock) => void;
  /** A value other than an int (struct linger): its bytes as hex; lo and hi are then unused. */
  hex?: string;
}

/** The buffer after a copy of `n` bytes of `v` (little-endian) into `shown` bytes of 0xa5. */
export function valueHex(v: number, n: number, shown: number): string {
  let hex = '';
  for (let i = 0; i < shown; i++) hex += i < n && i < 4 ? ((v >>> (8 * i)) & 0xff).toString(16).padStart(2, '0') : 'a5';
  return hex;
}

export function exact(rule: string, v: number, clear?: (sk: Sock) => void): Value {
  return clear ? { rule, lo: v, hi: v, clear } : { rule, lo: v, hi: v };
}

/**
 * sk_getsockopt's SO_LINGER: "v.ling.l_onoff = sock_flag(sk, SOCK_LINGER); v.ling.l_linger =
 * READ_ONCE(sk->sk_lingertime) / HZ", a struct linger of 8 bytes (lv = sizeof(v.ling)).
 */
export function lingerValue(sk: { lingerOn: boolean; lingerTime: number }): Value {
  const b = Buffer.alloc(8);
  b.writeInt32LE(sk.lingerOn ? 1 : 0, 0);
  b.writeInt32LE(sk.lingerTime, 4);
  return { rule: 'getsockopt/SO_LINGER', lo: 0, hi: 0, hex: b.toString('hex') };
}

/** Option numbers no kernel defines (sockspec's invalid domain): they reach the `default:` arms. */
export function unknownOption(name: number): boolean {
  return name < 0 || name >= 1000;
}

/** SO_BINDTODEVICE (include/uapi/asm-generic/socket.h). */
const SO_BINDTODEVICE = 25;

/**
 * sk_setsockopt: "if (optname == SO_BINDTODEVICE) return sock_setbindtodevice(sk, optval,
 * optlen);" before its int optlen check: a device name of any length (ENODEV, EPERM, or a
 * bound device) is not modelled, at any optlen.
 */
export function refuseBindtodevice(c: SetsockoptCall): void {
  if (c.name === SO_BINDTODEVICE) throw new Error('model: setsockopt SO_BINDTODEVICE is not modelled');
}

/** An int option copied in: sk_setsockopt / do_tcp_setsockopt check optlen, then copy_from_sockptr. */
export function copyIn(s: State, c: SetsockoptCall): Outcome | undefined {
  if (c.optlen < 4) return fail(s, 'setsockopt/EINVAL-optlen', 'EINVAL');
  if ((c.ptr ?? 'ok') !== 'ok') return fail(s, 'setsockopt/EFAULT', 'EFAULT');
  return undefined;
}

/** The generic struct sock fields sk_setsockopt sets (an inet Sock and a vsock socket both have them). */
export type SockOpts = Pick<
  Sock,
  'reuse' | 'reuseport' | 'keepalive' | 'rcvbuf' | 'sndbuf' | 'sndbufHi' | 'sndbufLock' | 'lingerOn' | 'lingerTime'
>;

export function set<T = SockOpts>(s: State, id: number, rule: string, change: (sk: T) => void): Outcome[] {
  const next = produce(s, (d) => change(d.objs[id] as unknown as T));
  return [ok(rule, 0, () => next)];
}

/**
 * sk_setsockopt ("if (optlen < sizeof(int)) return -EINVAL" comes before the option
 * switch), for any socket whose object has the SockOpts fields.
 */
export function solSocket(s: State, id: number, c: SetsockoptCall): Outcome[] {
  refuseBindtodevice(c);
  const early = copyIn(s, c);
  if (early) return [early];
  const on = c.value !== 0;
  switch (c.name) {
    case SO_REUSEADDR:
      return set(s, id, 'setsockopt/SO_REUSEADDR', (sk) => {
        sk.reuse = on;
      });
    // "if (valbool && !sk_is_inet(sk)) ret = -EOPNOTSUPP; else sk->sk_reuseport = valbool".
    case SO_REUSEPORT:
      return set(s, id, 'setsockopt/SO_REUSEPORT', (sk) => {
        sk.reuseport = on;
      });
    // sk_prot->keepalive (tcp_set_keepalive arms a timer hours away), then SOCK_KEEPOPEN.
    case SO_KEEPALIVE:
      return set(s, id, 'setsockopt/SO_KEEPALIVE', (sk) => {
        sk.keepalive = on;
      });
    case SO_RCVBUF:
      return set(s, id, 'setsockopt/SO_RCVBUF', (sk) => {
        sk.rcvbuf = rcvbufFor(s.profile, c.value);
      });
    // "sk->sk_userlocks |= SOCK_SNDBUF_LOCK": no tcp_sndbuf_expand from now on.
    case SO_SNDBUF:
      return set(s, id, 'setsockopt/SO_SNDBUF', (sk) => {
        sk.sndbuf = sndbufFor(s.profile, c.value);
        sk.sndbufHi = sk.sndbuf;
        sk.sndbufLock = true;
      });
    // "if (optlen < sizeof(ling)) ret = -EINVAL; /* 1003.1g */", then the whole struct linger is
    // copied; l_onoff 0 only clears SOCK_LINGER (sk_lingertime stays), else sk_lingertime =
    // l_linger * HZ (read back as seconds) and SOCK_LINGER. A negative l_linger, as unsigned
    // long, means MAX_SCHEDULE_TIMEOUT, which reads back by HZ: not modelled (not generated).
    case SO_LINGER: {
      if (c.optlen < 8) return [fail(s, 'setsockopt/EINVAL-linger', 'EINVAL')];
      const secs = c.linger ?? 0;
      if (c.value !== 0 && secs < 0)
        throw new Error('model: SO_LINGER with a negative l_linger (MAX_SCHEDULE_TIMEOUT) is not modelled');
      return set(s, id, 'setsockopt/SO_LINGER', (sk) => {
        sk.lingerOn = c.value !== 0;
        if (c.value !== 0) sk.lingerTime = secs;
      });
    }
    // "case SO_TYPE: case SO_PROTOCOL: case SO_DOMAIN: case SO_ERROR: ret = -ENOPROTOOPT";
    // SO_ACCEPTCONN has no arm and takes the default one.
    case SO_TYPE:
    case SO_PROTOCOL:
    case SO_DOMAIN:
    case SO_ERROR:
    case SO_ACCEPTCONN:
      return [fail(s, 'setsockopt/ENOPROTOOPT', 'ENOPROTOOPT')];
    default:
      if (unknownOption(c.name)) return [fail(s, 'setsockopt/ENOPROTOOPT', 'ENOPROTOOPT')];
      throw new Error(`model: setsockopt SOL_SOCKET option ${c.name} is not modelled`);
  }
}

/**
 * The copy-out of an int option's value `v` once *optlen was read (not negative): copy
 * min(len, 4) bytes, then the length (sk_getsockopt); `lenFirst` writes the length before
 * the value (do_tcp_getsockopt), so a faulting buffer still gets it.
 */
export function optOut(s: State, id: number, c: GetsockoptCall, v: Value, lenFirst: boolean): Outcome[] {
  const o = c.opt;
  const tcpLevel = lenFirst;
  // "if (len > lv) len = lv": lv is sizeof(int), or the struct's size.
  const n = Math.min(o.len, v.hex !== undefined ? v.hex.length / 2 : 4);
  const cleared = v.clear ? produce(s, (d) => v.clear!(d.objs[id] as Sock)) : s;
  // copy_to_sockptr(optval, &v, len) faults for NULL or a bad pointer unless len is 0.
  if (o.ptr !== 'ok' && n > 0) {
    const expect: Expected = { kind: 'returned', ret: -1, errno: 'EFAULT' };
    if (tcpLevel) expect.optlen = n;
    return [{ rule: 'getsockopt/EFAULT-optval', expect, next: () => cleared }];
  }
  const shown = Math.min(o.len, OPTVAL_SHOWN);
  const expect: Expected = { kind: 'returned', ret: 0, optlen: n };
  if (o.ptr === 'ok') {
    expect.optval =
      v.hex !== undefined
        ? (v.hex.slice(0, 2 * n) + 'a5'.repeat(shown)).slice(0, 2 * shown)
        : v.lo === v.hi
          ? valueHex(v.lo, n, shown)
          : ({ lo: v.lo, hi: v.hi, bytes: n, shown } satisfies OptHole);
  }
  const learn = v.lo !== v.hi && n >= 4 && o.ptr === 'ok';
  return [
    {
      rule: v.rule,
      expect,
      next: (obs) => (learn ? produce(cleared, (d) => learnSndbuf(d.objs[id] as Sock, obs)) : cleared),
    },
  ];
}

/** A read of the whole int fixes the buffer size the model had left open (expandSndbuf). */
function learnSndbuf(sk: Sock, obs: Observed): void {
  if (obs.kind !== 'returned' || obs.optval === undefined || obs.optval.length < 8) return;
  let v = 0;
  for (let i = 3; i >= 0; i--) v = v * 256 + parseInt(obs.optval.slice(2 * i, 2 * i + 2), 16);
  sk.sndbuf = v | 0;
  sk.sndbufHi = v | 0;
}
