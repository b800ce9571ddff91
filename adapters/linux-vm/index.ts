/**
 * Another Linux kernel as a system under test: `linux-vm:<kernel>` boots the kernel under
 * qemu (TCG) with an initramfs made on the fly (initramfs.ts) and runs each session in a
 * fresh network namespace inside the guest, with the linux adapter's executor (shim.c)
 * and encoding. One guest per adapter, booted at the first open, reused by every session
 * (and booted again after it died), killed by dispose() (and never left running: guest.ts).
 * Sessions' profiles carry the guest kernel's variant set, probed at boot as the linux
 * adapter probes the host's (adapters/variants.ts). The guest has no network
 * device: nothing reaches the host's network.
 */
import type { Adapter } from '../../spec/adapter.js';
import type { Op } from '../../spec/call.js';
import { errnoName } from '../../spec/errno.js';
import { CMD, Guest, qemuUnavailable } from './guest.js';
import { busyboxUnavailable } from './initramfs.js';
import { fetchUnavailable, kernelCached, KERNELS, resolveKernel } from './kernels.js';
import { PROFILE_FILES } from '../linux/profile.js';
import { openVmSession, readGuestFiles, type GuestKernel } from './session.js';
import { cachedVariants, probeVariants } from '../variants.js';
import type { Variants } from '../../spec/variants.js';

/**
 * Undefined when the linux-vm adapter can boot `spec` here; otherwise a one-line reason
 * that names the Debian package to install. Starts nothing.
 */
export function linuxVmAvailable(spec: string): string | undefined {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  return qemuUnavailable() ?? busyboxUnavailable() ?? (KERNELS[spec] !== undefined && !kernelCached(spec) ? fetchUnavailable() : undefined);
}

/** The linux-vm adapter, with dispose() that kills its guest. */
export interface LinuxVmAdapter extends Adapter {
  dispose(): Promise<void>;
  /** The guest's uname -r and uname -v, once booted. */
  readonly guestKernel: { release: string; version: string } | undefined;
}

interface Booted extends GuestKernel {
  guest: Guest;
  /** The guest kernel's variant set (adapters/variants.ts: probed in fresh sessions of this guest, cached per build). */
  variants: Variants;
}

/** The adapter for kernel `spec` (a name in KERNELS, or a path to a kernel image). */
export function linuxVmAdapter(spec: string): LinuxVmAdapter {
  let booting: Promise<Booted> | undefined;
  let booted: Booted | undefined;
  let disposed = false;
  const boot = async (): Promise<Booted> => {
    const guest = await Guest.boot(resolveKernel(spec));
    try {
      const read = await readGuestFiles(guest, ['/proc/sys/kernel/osrelease', '/proc/sys/kernel/version']);
      const initNs = await readGuestFiles(guest, PROFILE_FILES);
      const sc = await guest.request({ cmd: CMD.probeSocketcall }, 10_000);
      const k: GuestKernel = {
        initNs,
        release: (read('/proc/sys/kernel/osrelease') ?? 'unknown').trim(),
        version: (read('/proc/sys/kernel/version') ?? '').trim(),
        socketcallWhy: sc.rc === 0 ? undefined : sc.rc === 38 ? "the guest's kernel has no 32-bit compat entry (IA32 emulation) to make socketcall(2) through"
          : `socketcall(2) through the 32-bit entry cannot be set up in the guest (${errnoName(sc.rc)})`,
      };
      const variants = await cachedVariants(k.release, k.version, () => probeVariants((o) => openVmSession(guest, k, o)));
      if (disposed) guest.kill();
      return { ...k, guest, variants };
    } catch (e) {
      guest.kill();
      throw e;
    }
  };
  return {
    name: `linux-vm:${spec}`,
    async open(opts) {
      if (disposed) throw new Error(`the linux-vm:${spec} adapter was disposed`);
      const why = linuxVmAvailable(spec);
      if (why !== undefined) throw new Error(`the linux-vm adapter cannot run here: ${why}`);
      // A guest that died (a call crashed its kernel, or it stopped answering) is replaced by a fresh one.
      if (booted !== undefined && !booted.guest.alive) booting = undefined;
      booting ??= boot();
      booted = await booting;
      return openVmSession(booted.guest, booted, opts, booted.variants);
    },
    unsupported() {
      const why = booted?.socketcallWhy;
      return new Map<Op, string>(why === undefined ? [] : [['socketcall', why]]);
    },
    get guestKernel() {
      return booted ? { release: booted.release, version: booted.version } : undefined;
    },
    async dispose() {
      disposed = true;
      if (booting) {
        const b = await booting.catch(() => undefined);
        b?.guest.kill();
      }
    },
  };
}
