/**
 * The real Linux kernel as a system under test. Each session runs in a fresh network
 * namespace entered by the Node main thread, with the sequence's fds mapped onto a
 * reserved region of real fds; see session.ts and shim.c for how calls are executed.
 * Never touches the host namespace's interfaces.
 */
import type { Adapter } from '../../spec/adapter.js';
import { errnoName } from '../../spec/errno.js';
import { shim } from './native.js';
import { canAdminNetns } from './profile.js';
import { openLinuxSession, socketcallUnavailable } from './session.js';
import { cachedVariants, probeVariants } from '../variants.js';
import type { Variants } from '../../spec/variants.js';
import { release, version } from 'node:os';

export { linuxAsyncCalls } from './session.js';

let availability: { why: string | undefined } | undefined;

function check(): string | undefined {
  if (process.platform !== 'linux') return `not Linux (${process.platform}): no network namespaces`;
  if (!canAdminNetns()) return 'not root / no CAP_SYS_ADMIN: cannot create a network namespace';
  let lib;
  try {
    lib = shim();
  } catch (e) {
    return (e as Error).message;
  }
  const e = lib.probeNetns();
  if (e !== 0) return `unshare(CLONE_NEWNET) fails here (${errnoName(e)}): cannot create a network namespace`;
  return undefined;
}

/**
 * Undefined when the linux adapter can run in this process; otherwise a one-line reason.
 * The first call builds the C shim (if not cached) and forks a child that tries to create
 * a network namespace; the answer is then cached. Never changes this process's namespace.
 */
export function linuxAvailable(): string | undefined {
  availability ??= { why: check() };
  return availability.why;
}

let variants: Promise<Variants> | undefined;

/**
 * This kernel's variant set (spec/variants.ts): probed once per kernel build, each probe
 * in a fresh session of its own, and cached (adapters/variants.ts).
 */
export function linuxVariants(): Promise<Variants> {
  variants ??= cachedVariants(release(), version(), () => probeVariants((o) => openLinuxSession(o)));
  return variants;
}

/**
 * The linux adapter; its sessions' profile carries the kernel's variant set. `open` rejects with a clear message if the adapter cannot run here
 * or another linux session of this process is still open (one at a time per process).
 */
export const linuxAdapter: Adapter = {
  name: 'linux',
  async open(opts) {
    const why = linuxAvailable();
    if (why !== undefined) throw new Error(`the linux adapter cannot run here: ${why}`);
    return openLinuxSession(opts, await linuxVariants());
  },
  unsupported() {
    const why = socketcallUnavailable();
    return new Map(why === undefined ? [] : [['socketcall', why]]);
  },
};
