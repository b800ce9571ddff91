/**
 * Kernel variants: behaviours in which Linux kernels differ (versions, and builds of one
 * version), each an axis with named values, and the probe that tells which value a kernel
 * has. Data only: adapters/variants.ts runs the probes, the model reads a profile's
 * `variants` next to the rules each axis changes (model/README.md lists them).
 *
 * The first value of every axis is the model's reference: the behaviour of the upstream
 * source the rule cites. A profile without `variants` answers by the reference values.
 * Probes decide, never version strings (distributions backport).
 */
import type { Call } from './call.js';
import { AF_INET, AF_INET6, AF_UNSPEC, SOCK_DGRAM, SOCK_STREAM, SOL_SOCKET, SO_REUSEPORT } from './constants.js';
import type { ErrnoName } from './errno.js';

/** An answer a probe's decisive call may give: a return value (with errno when -1), or blocked. */
export type ProbeAnswer = { ret: number; errno?: ErrnoName } | 'blocked';

export interface VariantAxis<V extends string = string> {
  /** The values, the model's reference first. */
  readonly values: readonly V[];
  /** What differs, where in the kernel, and which kernels were seen with which value. */
  readonly doc: string;
  /** The calls of the probe, run in a fresh world (the world's sockets start at fd 4). */
  readonly calls: readonly Call[];
  /** The index in `calls` of the call whose answer decides. */
  readonly at: number;
  /** The answer of that call under each value. */
  readonly answers: Readonly<Record<V, ProbeAnswer>>;
  /** The deadline of the probe's calls (ms): long enough that a loaded machine still answers. */
  readonly deadlineMs: number;
}

const inet = (addr: string, port: number): Extract<Call, { op: 'bind' }>['addr'] => ({ ptr: 'ok', len: 16, family: AF_INET, addr, port });
const inet6 = (addr: string, port: number): Extract<Call, { op: 'bind' }>['addr'] => ({ ptr: 'ok', len: 28, family: AF_INET6, addr, port });
const reuseport = (fd: number): Call => ({ op: 'setsockopt', fd, level: SOL_SOCKET, name: SO_REUSEPORT, value: 1, optlen: 4 });

/** Every axis, by name. */
export const VARIANT_AXES = {
  /**
   * listen() on a TCP socket that has been in a connection (it sent a SYN: connect, or it
   * was accepted) and is CLOSE again (a refused connect's tcp_done, an AF_UNSPEC connect's
   * tcp_disconnect).
   */
  'listen-after-connection': {
    values: ['autobind', 'einval-bound'],
    doc: 'listen() on a TCP socket that was once in a connection (SYN sent or accepted) and is CLOSE again. '
      + 'autobind: __inet_listen_sk → inet_csk_listen_start takes a port (get_port(inet_num = 0) picks an odd one) and listens '
      + '(6.1.176 and 6.12.118 (Debian), 6.18.44-fc-v595). einval-bound: get_port has taken and bound the new port, then the '
      + 'listen fails with EINVAL and the socket goes back to CLOSE (inet_csk_listen_start\'s error path: '
      + 'inet_sk_set_state(sk, TCP_CLOSE) without inet_put_port), so the failed call leaves the socket bound to that port; '
      + 'every later listen fails the same way (6.18.44-fc-v1272, 6.18.44-fc-v1300).',
    calls: [
      { op: 'socket', domain: AF_INET, type: SOCK_STREAM, protocol: 0 },
      { op: 'connect', fd: 4, addr: inet('127.0.0.1', 5000) },
      { op: 'listen', fd: 4, backlog: 0 },
    ],
    at: 2,
    answers: { 'autobind': { ret: 0 }, 'einval-bound': { ret: -1, errno: 'EINVAL' } },
    deadlineMs: 2000,
  },
  /** connect() on a TCP socket that was once a listener and is CLOSE again. */
  'connect-after-listen': {
    values: ['allowed', 'einval'],
    doc: 'connect() on a TCP socket that was once a listener and is CLOSE again (an AF_UNSPEC connect or shutdown(SHUT_RD) '
      + 'stopped it: inet_csk_listen_stop, tcp_set_state(TCP_CLOSE)). allowed: tcp_v4_connect/tcp_v6_connect connect it like '
      + 'any CLOSE socket (6.18.44-fc-v595). einval: after the address and route checks (a bad family, a short address, an '
      + 'unreachable destination still answer first) the connect fails with EINVAL and changes nothing (6.18.44-fc-v1300).',
    calls: [
      { op: 'socket', domain: AF_INET, type: SOCK_STREAM, protocol: 0 },
      { op: 'listen', fd: 4, backlog: 0 },
      { op: 'connect', fd: 4, addr: { ptr: 'ok', len: 16, family: AF_UNSPEC, addr: '0.0.0.0', port: 0 } },
      { op: 'connect', fd: 4, addr: inet('127.0.0.1', 5000) },
    ],
    at: 3,
    answers: { 'allowed': { ret: -1, errno: 'ECONNREFUSED' }, 'einval': { ret: -1, errno: 'EINVAL' } },
    deadlineMs: 2000,
  },
  /**
   * udp_lib_lport_inuse, binding a SO_REUSEPORT socket to a port whose slot holds an older
   * conflicting socket and a newer SO_REUSEPORT sharer.
   */
  'udp-reuseport-walk': {
    values: ['first-sharer', 'whole-slot'],
    doc: 'UDP bind of a SO_REUSEPORT socket to a port held by a newer SO_REUSEPORT sharer and an older conflicting socket. '
      + 'first-sharer: udp_lib_lport_inuse walks the slot newest first and stops at the first sharer ("if (!bitmap) return 0"), '
      + 'never seeing the older conflict: the bind succeeds (6.18.44-fc-v595). whole-slot: every owner is checked and the older '
      + 'conflict answers EADDRINUSE, in either bind order (6.18.44-fc-v1300).',
    calls: [
      { op: 'socket', domain: AF_INET, type: SOCK_DGRAM, protocol: 0 },
      { op: 'socket', domain: AF_INET, type: SOCK_DGRAM, protocol: 0 },
      { op: 'socket', domain: AF_INET, type: SOCK_DGRAM, protocol: 0 },
      reuseport(5),
      reuseport(6),
      { op: 'bind', fd: 4, addr: inet('127.0.0.1', 5000) },
      { op: 'bind', fd: 5, addr: inet('127.0.0.2', 5000) },
      { op: 'bind', fd: 6, addr: inet('0.0.0.0', 5000) },
    ],
    at: 7,
    answers: { 'first-sharer': { ret: 0 }, 'whole-slot': { ret: -1, errno: 'EADDRINUSE' } },
    deadlineMs: 2000,
  },
  /**
   * An AF_INET6 TCP socket whose v4-mapped connection ended (refused, or disconnected)
   * connecting to an IPv6 address.
   */
  'tcp6-mapped-ops': {
    values: ['sticky', 'reset'],
    doc: 'An AF_INET6 TCP socket whose v4-mapped connection ended, connecting to an IPv6 address. sticky: tcp_v6_connect puts '
      + 'icsk_af_ops back to ipv6_specific only when tcp_v4_connect fails, so it is still ipv6_mapped and the SYN goes down the '
      + 'IPv4 path, where it never arrives: the connect waits (6.18.44-fc-v595). reset: the socket connects as IPv6 (here the '
      + 'RST of the closed port answers ECONNREFUSED) (6.18.44-fc-v1300).',
    calls: [
      { op: 'socket', domain: AF_INET6, type: SOCK_STREAM, protocol: 0 },
      { op: 'connect', fd: 4, addr: inet6('::ffff:127.0.0.1', 5000) },
      { op: 'connect', fd: 4, addr: inet6('::1', 5000) },
    ],
    at: 2,
    // A sticky kernel loses the SYN: only the deadline ends the call, so it is kept short
    // (a refused loopback connect answers in microseconds even on a loaded machine).
    answers: { 'sticky': 'blocked', 'reset': { ret: -1, errno: 'ECONNREFUSED' } },
    deadlineMs: 1000,
  },
} as const satisfies Record<string, VariantAxis>;

export type VariantAxisName = keyof typeof VARIANT_AXES;
/** The values of axis `A`. */
export type VariantValue<A extends VariantAxisName> = (typeof VARIANT_AXES)[A]['values'][number];
/** A kernel's variant set: one value per axis (an axis left out has its reference value). */
export type Variants = { [A in VariantAxisName]: VariantValue<A> };

export const VARIANT_AXIS_NAMES = Object.keys(VARIANT_AXES) as VariantAxisName[];

/** The model's reference values (each axis's first). */
export const REFERENCE_VARIANTS: Variants = Object.fromEntries(
  VARIANT_AXIS_NAMES.map((a) => [a, VARIANT_AXES[a].values[0]]),
) as Variants;

/** The value of `axis` in a (possibly partial or absent) variant set. */
export function variantOf<A extends VariantAxisName>(v: Partial<Variants> | undefined, axis: A): VariantValue<A> {
  return (v?.[axis] ?? REFERENCE_VARIANTS[axis]) as VariantValue<A>;
}

/** `axis=value` for every axis, in the axes' order: how results print a variant set. */
export function variantsText(v: Partial<Variants> | undefined): string {
  return VARIANT_AXIS_NAMES.map((a) => `${a}=${variantOf(v, a)}`).join(' ');
}

/** `axis=value` strings of `v` that differ from the reference (what a kernel changes). */
export function variantDiffs(v: Partial<Variants> | undefined): string[] {
  return VARIANT_AXIS_NAMES.filter((a) => variantOf(v, a) !== REFERENCE_VARIANTS[a]).map((a) => `${a}=${variantOf(v, a)}`);
}

/**
 * Why `v` is not a valid (partial) variant set, or undefined when it is: every key an axis,
 * every value one of that axis's (for files and the wire protocol).
 */
export function variantsProblem(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not an object';
  for (const [k, val] of Object.entries(v)) {
    if (!(k in VARIANT_AXES)) return `unknown variant axis '${k}' (known: ${VARIANT_AXIS_NAMES.join(', ')})`;
    const values = VARIANT_AXES[k as VariantAxisName].values as readonly unknown[];
    if (!values.includes(val)) return `${k}: ${JSON.stringify(val)} is not one of ${values.join(', ')}`;
  }
  return undefined;
}
