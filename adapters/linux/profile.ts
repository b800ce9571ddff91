/**
 * Reads the Profile of the network namespace the calling thread is in (the sysctls
 * under /proc/sys/net are per-netns) and of this process; or, through profileFrom, of
 * another machine whose files are read for it (a qemu guest: adapters/linux-vm).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { release, version } from 'node:os';
import type { Profile, VsockTransports } from '../../spec/profile.js';

/** The size of the virtual fd table every session gets (see shim.c NOFILE). */
export const VIRTUAL_NOFILE = 1024;

const CAP_NET_BIND_SERVICE = 10;
const CAP_SYS_ADMIN = 21;

/** How the profile's files are read: their text, or undefined when absent (what is not a regular file, a directory or a device, reads as ''). */
export type ReadFile = (path: string) => string | undefined;

const hostRead: ReadFile = (path) => {
  if (!existsSync(path)) return undefined;
  return statSync(path).isFile() ? readFileSync(path, 'utf8') : '';
};

function readInts(path: string, read: ReadFile = hostRead): number[] {
  const text = read(path);
  if (text === undefined) throw new Error(`cannot read ${path}`);
  const nums = text.trim().split(/\s+/).map(Number);
  if (nums.length === 0 || nums.some((n) => !Number.isInteger(n))) throw new Error(`unexpected contents in ${path}`);
  return nums;
}

/** Whether capability `bit` is in this process's effective set (CapEff of the calling thread: capabilities are per thread). */
export function hasCapability(bit: number, read: ReadFile = hostRead): boolean {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(read('/proc/thread-self/status') ?? '');
  if (!m?.[1]) return false;
  return ((BigInt(`0x${m[1]}`) >> BigInt(bit)) & 1n) === 1n;
}

/** Whether this process may create network namespaces (CAP_SYS_ADMIN). */
export function canAdminNetns(): boolean {
  return hasCapability(CAP_SYS_ADMIN);
}

/**
 * AF_VSOCK's transports on this machine (vsock is not network-namespaced), from sysfs
 * only: undefined when the vsock core is not loaded (socket(AF_VSOCK) then answers
 * EAFNOSUPPORT; nothing here loads a module). vsock_loopback registers the local transport,
 * vhost_vsock the host-to-guest one, vmw_vsock_vmci_transport the datagram one.
 */
export function readVsock(read: ReadFile = hostRead): VsockTransports | undefined {
  const exists = (p: string): boolean => read(p) !== undefined;
  if (!exists('/sys/module/vsock')) return undefined;
  return {
    loopback: exists('/sys/module/vsock_loopback'),
    h2g: exists('/sys/module/vhost_vsock') || exists('/dev/vhost-vsock'),
    dgram: exists('/sys/module/vmw_vsock_vmci_transport'),
  };
}

/** Every file profileFrom may read (for a reader that fetches them in one go). */
export const PROFILE_FILES: readonly string[] = [
  '/proc/sys/net/core/somaxconn', '/proc/sys/net/ipv4/ip_local_port_range', '/proc/sys/net/ipv4/ip_unprivileged_port_start',
  '/proc/thread-self/status', '/sys/module/vsock', '/sys/module/vsock_loopback', '/sys/module/vhost_vsock', '/dev/vhost-vsock',
  '/sys/module/vmw_vsock_vmci_transport', '/proc/sys/net/core/rmem_default', '/proc/sys/net/core/wmem_default',
  '/proc/sys/net/core/rmem_max', '/proc/sys/net/core/wmem_max', '/proc/sys/net/ipv4/tcp_rmem', '/proc/sys/net/ipv4/tcp_wmem',
];

/**
 * The profile as seen from the calling thread's network namespace. Reads files only;
 * throws if one is missing or malformed.
 */
export function readProfile(): Profile {
  return profileFrom(hostRead, release(), version());
}

/**
 * The profile of a network namespace whose files `read` reads (PROFILE_FILES lists them),
 * on kernel release `kernel` (uname -r) of build `build` (uname -v). Throws if one is
 * missing or malformed.
 */
export function profileFrom(read: ReadFile, kernel: string, build: string): Profile {
  const [somaxconn] = readInts('/proc/sys/net/core/somaxconn', read);
  const [lo, hi] = readInts('/proc/sys/net/ipv4/ip_local_port_range', read);
  const [unpriv] = readInts('/proc/sys/net/ipv4/ip_unprivileged_port_start', read);
  if (somaxconn === undefined || lo === undefined || hi === undefined || unpriv === undefined) {
    throw new Error('cannot read the network namespace sysctls');
  }
  const ints = (f: string): number[] => readInts(`/proc/sys/net/${f}`, read);
  const vsock = readVsock(read);
  const triple = (f: string): [number, number, number] => {
    const [a, b, c] = ints(f);
    if (a === undefined || b === undefined || c === undefined) throw new Error(`unexpected contents in /proc/sys/net/${f}`);
    return [a, b, c];
  };
  const one = (f: string): number => {
    const [a] = ints(f);
    if (a === undefined) throw new Error(`unexpected contents in /proc/sys/net/${f}`);
    return a;
  };
  return {
    kernel,
    build,
    somaxconn,
    portRange: [lo, hi],
    unprivilegedPortStart: unpriv,
    nofile: VIRTUAL_NOFILE,
    capNetBindService: hasCapability(CAP_NET_BIND_SERVICE, read),
    // Read inside the session's namespace, where its sockets are made (tcp_rmem/tcp_wmem
    // are per namespace, copied from init_net by tcp_sk_init).
    buffers: {
      rmemDefault: one('core/rmem_default'), wmemDefault: one('core/wmem_default'),
      rmemMax: one('core/rmem_max'), wmemMax: one('core/wmem_max'),
      tcpRmem: triple('ipv4/tcp_rmem'), tcpWmem: triple('ipv4/tcp_wmem'),
    },
    ...(vsock !== undefined ? { vsock } : {}),
  };
}
