/**
 * The profile a gVisor world answers by (spec/profile.ts), read inside the sandbox, in
 * the world's own network namespace, from the /proc/sys files gVisor has; for the facts
 * it has no file for (or a file that does not say what the sentry does), the value the
 * sentry's source uses, each named in `assumed`. Runs inside the sandbox only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import type { Buffers, Profile } from '../../spec/profile.js';
import { hasCapability, readVsock, VIRTUAL_NOFILE } from '../linux/profile.js';

const CAP_NET_BIND_SERVICE = 10;

/**
 * listen(2)'s backlog cap in the sentry: maxListenBacklog in
 * pkg/sentry/syscalls/linux/sys_socket.go. /proc/sys/net/core/somaxconn is a static file
 * there ("128", pkg/sentry/fsimpl/proc/tasks_sys.go) that Listen never reads.
 */
export const GVISOR_MAX_LISTEN_BACKLOG = 1024;
/** The ephemeral range of a fresh stack: ports.go firstEphemeral (16000) to 65535. */
export const GVISOR_PORT_RANGE: [number, number] = [16000, 65535];

/** A profile and the facts in it that were not read from the sandbox. */
export interface GvisorProfile {
  profile: Profile;
  /** One line per assumed fact: what, the value, and why (for the kernel string and logs). */
  assumed: string[];
}

function ints(path: string): number[] | undefined {
  if (!existsSync(path)) return undefined;
  const nums = readFileSync(path, 'utf8').trim().split(/\s+/).map(Number);
  if (nums.length === 0 || nums.some((n) => !Number.isInteger(n))) throw new Error(`unexpected contents in ${path}`);
  return nums;
}

/**
 * Reads the profile from inside a gVisor sandbox (the calling thread's network
 * namespace). `runsc` is runsc's version as the host reports it (the sandbox cannot ask).
 * Throws only for a file that exists with contents it cannot read.
 */
export function readGvisorProfile(runsc: string): GvisorProfile {
  const assumed: string[] = [];
  const net = (f: string): number[] | undefined => ints(`/proc/sys/net/${f}`);

  const range = net('ipv4/ip_local_port_range');
  let portRange: [number, number];
  if (range?.[0] !== undefined && range[1] !== undefined) portRange = [range[0], range[1]];
  else {
    portRange = GVISOR_PORT_RANGE;
    assumed.push(`ip_local_port_range ${portRange.join('-')} (pkg/tcpip/ports firstEphemeral; no /proc file)`);
  }
  // The sentry checks no privileged ports (no CAP_NET_BIND_SERVICE test in netstack's
  // bind): as Linux with ip_unprivileged_port_start = 0. Read the file if a newer gVisor has it.
  let unprivilegedPortStart = net('ipv4/ip_unprivileged_port_start')?.[0];
  if (unprivilegedPortStart === undefined) {
    unprivilegedPortStart = 0;
    assumed.push('ip_unprivileged_port_start 0 (netstack checks no privileged ports; no /proc file)');
  }
  assumed.push(`somaxconn ${GVISOR_MAX_LISTEN_BACKLOG} (sys_socket.go maxListenBacklog; /proc says ${net('core/somaxconn')?.[0] ?? 'nothing'}, unread by listen)`);

  const one = (f: string, dflt: number): number => {
    const v = net(f)?.[0];
    if (v !== undefined) return v;
    assumed.push(`${f} ${dflt} (Linux's default; no /proc file)`);
    return dflt;
  };
  const triple = (f: string, dflt: [number, number, number]): [number, number, number] => {
    const v = net(f);
    if (v?.[0] !== undefined && v[1] !== undefined && v[2] !== undefined) return [v[0], v[1], v[2]];
    assumed.push(`${f} ${dflt.join(' ')} (Linux's default; no /proc file)`);
    return dflt;
  };
  const buffers: Buffers = {
    rmemDefault: one('core/rmem_default', 212992), wmemDefault: one('core/wmem_default', 212992),
    rmemMax: one('core/rmem_max', 212992), wmemMax: one('core/wmem_max', 212992),
    tcpRmem: triple('ipv4/tcp_rmem', [4096, 131072, 6291456]), tcpWmem: triple('ipv4/tcp_wmem', [4096, 16384, 4194304]),
  };
  const vsock = readVsock();
  const profile: Profile = {
    kernel: `gVisor ${runsc} (runsc; uname ${release()})`,
    somaxconn: GVISOR_MAX_LISTEN_BACKLOG,
    portRange,
    unprivilegedPortStart,
    nofile: VIRTUAL_NOFILE,
    capNetBindService: hasCapability(CAP_NET_BIND_SERVICE),
    buffers,
    ...(vsock !== undefined ? { vsock } : {}),
  };
  return { profile, assumed };
}
