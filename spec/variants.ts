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
import type { World } from './adapter.js';
import type { Call } from './call.js';
import { AF_INET, AF_INET6, AF_UNIX, AF_UNSPEC, SOCK_DGRAM, SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR, SO_REUSEPORT, SO_SNDBUF } from './constants.js';
import type { ErrnoName } from './errno.js';

/** An answer a probe's decisive call may give: a return value (with errno when -1), or blocked. */
export type ProbeAnswer = { ret: number; errno?: ErrnoName; addrlen?: number } | 'blocked';

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
  /** The world the probe runs in (default: a plain one). */
  readonly world?: World;
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
  /** setsockopt() with a negative optlen on a descriptor that is not an open socket. */
  'setsockopt-negative-optlen': {
    values: ['after-fd', 'before-fd'],
    doc: 'setsockopt() with optlen < 0. after-fd: __sys_setsockopt looks the fd up first (EBADF, ENOTSOCK) and '
      + 'do_sock_setsockopt then answers EINVAL (6.12.118 (Debian), 6.18). before-fd: __sys_setsockopt\'s '
      + '"if (optlen < 0) return -EINVAL" comes before sockfd_lookup_light (6.1.176 (Debian)).',
    calls: [{ op: 'setsockopt', fd: -1, level: SOL_SOCKET, name: SO_REUSEADDR, value: 1, optlen: -1 }],
    at: 0,
    answers: { 'after-fd': { ret: -1, errno: 'EBADF' }, 'before-fd': { ret: -1, errno: 'EINVAL' } },
    deadlineMs: 2000,
  },
  /** move_addr_to_user with a valid length pointer and a faulting address buffer. */
  'addr-len-on-fault': {
    values: ['written', 'kept'],
    doc: 'move_addr_to_user (getsockname, getpeername, accept, recvfrom, recvmsg) when the address buffer faults. '
      + 'written: the true length is written back before the address is copied, so the caller sees it although the call '
      + 'fails with EFAULT (6.18). kept: the address is copied first and the length written only on success, so it is left '
      + 'as it was (6.1.176 and 6.12.118 (Debian)).',
    calls: [
      { op: 'socket', domain: AF_INET, type: SOCK_STREAM, protocol: 0 },
      { op: 'getsockname', fd: 4, out: { ptr: 'bad', lenPtr: 'ok', len: 15 } },
    ],
    at: 1,
    answers: { 'written': { ret: -1, errno: 'EFAULT', addrlen: 16 }, 'kept': { ret: -1, errno: 'EFAULT', addrlen: 15 } },
    deadlineMs: 2000,
  },
  /** mmap(PROT_EXEC) of a socket or a pipe (files of the kernel's pseudo filesystems sockfs and pipefs). */
  'mmap-exec-pseudofs': {
    values: ['eperm', 'enodev'],
    doc: 'mmap(PROT_EXEC) of a socket or a pipe. eperm: do_mmap refuses PROT_EXEC of a file on a noexec mount '
      + '(path_noexec: sockfs and pipefs count as such) before the file\'s ->mmap is asked (6.18). enodev: no such check for '
      + 'them, so ->mmap answers: sock_no_mmap ENODEV (UDP, AF_UNIX, AF_VSOCK), a pipe\'s missing ->mmap ENODEV, tcp_mmap '
      + 'EPERM for VM_EXEC (6.1.176 and 6.12.118 (Debian); measured by linux-vm: mmap(PROT_EXEC) of the pipe at fd 3 = ENODEV).',
    calls: [
      { op: 'socket', domain: AF_INET, type: SOCK_DGRAM, protocol: 0 },
      { op: 'mmap', fd: 4, len: 4096, prot: 0x1 | 0x4, flags: 0x01, offset: 0 },
    ],
    at: 1,
    answers: { 'eperm': { ret: -1, errno: 'EPERM' }, 'enodev': { ret: -1, errno: 'ENODEV' } },
    deadlineMs: 2000,
  },
  /** unix_dgram_sendmsg without an address on a socket that has no peer. */
  'unix-dgram-peer-check': {
    values: ['after-alloc', 'before-alloc'],
    doc: 'send() without an address on an AF_UNIX datagram socket with no peer. after-alloc: unix_dgram_sendmsg allocates '
      + 'the skb first (sock_alloc_send_pskb: a pending error, SEND_SHUTDOWN\'s EPIPE, waiting for room) and looks for the '
      + 'peer after, ENOTCONN (6.18). before-alloc: "other = unix_peer_get(sk); if (!other) goto out" with -ENOTCONN '
      + 'comes before the skb (6.1.176 and 6.12.118 (Debian)).',
    calls: [
      { op: 'socketpair', domain: AF_UNIX, type: SOCK_DGRAM, protocol: 0, sv: 'ok' },
      { op: 'connect', fd: 5, addr: { ptr: 'ok', len: 2, family: AF_UNSPEC, addr: '0.0.0.0', port: 0 } },
      { op: 'shutdown', fd: 5, how: 2 },
      { op: 'send', fd: 5, data: '', flags: 0 },
    ],
    at: 3,
    answers: { 'after-alloc': { ret: -1, errno: 'EPIPE' }, 'before-alloc': { ret: -1, errno: 'ENOTCONN' } },
    deadlineMs: 2000,
  },
  /** TCP bind of an AF_INET6 socket to a v4-mapped address while another AF_INET6 socket holds ::ffff:0.0.0.0. */
  'v4mapped-any-owner': {
    values: ['seen', 'missed'],
    doc: 'TCP bind of an AF_INET6 socket to a v4-mapped address (::ffff:127.0.0.2) on a port an AF_INET6 socket holds at the '
      + 'v4-mapped wildcard ::ffff:0.0.0.0. seen: inet_csk_get_port finds that owner and answers EADDRINUSE (6.12.118 (Debian), '
      + '6.18). missed: the bind goes to bhash2 (inet_use_bhash2_on_bind) and the wildcard check looks at the [::] and 0.0.0.0 '
      + 'buckets only, so the bind succeeds (6.1.176 (Debian); upstream fixed it in "tcp: Fix bind() regression for v4-mapped-v6 '
      + 'wildcard address"). An AF_INET owner of 0.0.0.0 is seen either way.',
    calls: [
      { op: 'socket', domain: AF_INET6, type: SOCK_STREAM, protocol: 0 },
      { op: 'socket', domain: AF_INET6, type: SOCK_STREAM, protocol: 0 },
      { op: 'bind', fd: 4, addr: inet6('::ffff:0.0.0.0', 5000) },
      { op: 'bind', fd: 5, addr: inet6('::ffff:127.0.0.2', 5000) },
    ],
    at: 3,
    answers: { 'seen': { ret: -1, errno: 'EADDRINUSE' }, 'missed': { ret: 0 } },
    deadlineMs: 2000,
  },
  /** sendfile() into an AF_UNIX stream socket whose send buffer is full, the peer's last skb being this socket's. */
  'unix-stream-sendfile': {
    values: ['splice', 'sendpage'],
    doc: 'sendfile() into an AF_UNIX stream socket with a full send buffer. splice: splice_to_socket hands the pages to '
      + 'unix_stream_sendmsg (MSG_SPLICE_PAGES), which waits for room in sk_sndbuf (6.12.118 (Debian), 6.18). sendpage: '
      + 'unix_stream_sendpage appends the page to the peer\'s last skb when that skb is this socket\'s, with no wait '
      + '(6.1.176 (Debian); sendpage was removed in 6.5). The model does not model the append: under sendpage, a sendfile '
      + 'of data into an AF_UNIX stream socket is refused (and the generator asks for 0 bytes there).',
    world: { file: true },
    calls: [
      { op: 'socketpair', domain: AF_UNIX, type: SOCK_STREAM, protocol: 0, sv: 'ok' },
      { op: 'setsockopt', fd: 5, level: SOL_SOCKET, name: SO_SNDBUF, value: 0, optlen: 4 },
      ...Array.from({ length: 6 }, (): Call => ({ op: 'send', fd: 5, data: '6869', flags: 0 })),
      { op: 'sendfile', fd: 5, inFd: 4, offset: { ptr: 'ok', value: 0 }, count: 300 },
    ],
    at: 8,
    // A splice kernel waits for room nothing will make: only the deadline ends the call.
    answers: { 'splice': 'blocked', 'sendpage': { ret: 300 } },
    deadlineMs: 300,
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
