/**
 * Reads the Profile of the network namespace the calling thread is in (the sysctls
 * under /proc/sys/net are per-netns) and of this process.
 */
import { existsSync, readFileSync } from 'node:fs';
import { release, version } from 'node:os';
import type { Profile, VsockTransports } from '../../spec/profile.js';

/** The size of the virtual fd table every session gets (see shim.c NOFILE). */
export const VIRTUAL_NOFILE = 1024;

const CAP_NET_BIND_SERVICE = 10;
const CAP_SYS_ADMIN = 21;

function readInts(path: string): number[] {
  const nums = readFileSync(path, 'utf8').trim().split(/\s+/).map(Number);
  if (nums.length === 0 || nums.some((n) => !Number.isInteger(n))) throw new Error(`unexpected contents in ${path}`);
  return nums;
}

/** Whether capability `bit` is in this process's effective set (CapEff of the calling thread: capabilities are per thread). */
export function hasCapability(bit: number): boolean {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/thread-self/status', 'utf8'));
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
export function readVsock(): VsockTransports | undefined {
  if (!existsSync('/sys/module/vsock')) return undefined;
  return {
    loopback: existsSync('/sys/module/vsock_loopback'),
    h2g: existsSync('/sys/module/vhost_vsock') || existsSync('/dev/vhost-vsock'),
    dgram: existsSync('/sys/module/vmw_vsock_vmci_transport'),
  };
}

/**
 * The profile as seen from the calling thread's network namespace. Reads files only;
 * throws if one is missing or malformed.
 */
export function readProfile(): Profile {
  const [somaxconn] = readInts('/proc/sys/net/core/somaxconn');
  const [lo, hi] = readInts('/proc/sys/net/ipv4/ip_local_port_range');
  const [unpriv] = readInts('/proc/sys/net/ipv4/ip_unprivileged_port_start');
  if (somaxconn === undefined || lo === undefined || hi === undefined || unpriv === undefined) {
    throw new Error('cannot read the network namespace sysctls');
  }
  const ints = (f: string): number[] => readInts(`/proc/sys/net/${f}`);
  const vsock = readVsock();
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
    kernel: release(),
    build: version(),
    somaxconn,
    portRange: [lo, hi],
    unprivilegedPortStart: unpriv,
    nofile: VIRTUAL_NOFILE,
    capNetBindService: hasCapability(CAP_NET_BIND_SERVICE),
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
