/**
 * lwIP (Debian's liblwip 2.1.3) as a system under test: adapters/exec's execAdapter
 * pointed at adapters/lwip/helper.mjs. The helper runs every world as a process of its
 * own (world.c: lwIP keeps one global stack per process, calls exit(1) when its TAP
 * driver fails, and can hang), inside a network namespace of its own, on a TAP device
 * made there; ending the world's process ends all of it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execAdapter, type ExecAdapter, type ExecOptions } from '../exec/index.js';
import { buildLwipWorld } from './native.js';

/** The helper program (Node ESM; from a source checkout it loads the TypeScript through tsx, from the package the compiled dist/). */
export const LWIP_HELPER = fileURLToPath(new URL('./helper.mjs', import.meta.url));

const CAP_NET_ADMIN = 12;
const CAP_SYS_ADMIN = 21;

function hasCapability(bit: number): boolean {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m?.[1] !== undefined && ((BigInt(`0x${m[1]}`) >> BigInt(bit)) & 1n) === 1n;
}

let availability: { why: string | undefined } | undefined;

function check(): string | undefined {
  if (process.platform !== 'linux') return `not Linux (${process.platform}): no network namespaces or TAP devices`;
  if (!hasCapability(CAP_SYS_ADMIN) || !hasCapability(CAP_NET_ADMIN)) return 'not root (needs CAP_SYS_ADMIN for a network namespace and CAP_NET_ADMIN for a TAP device)';
  if (!existsSync('/dev/net/tun')) return 'no /dev/net/tun (the tun module is not loaded, or the container does not expose it)';
  try {
    buildLwipWorld();
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}

/**
 * Undefined when the lwip adapter can run here; otherwise a one-line reason. The first
 * call builds the shim (if not cached), so that helpers find it built; the answer is
 * then cached. Starts no helper and touches no network.
 */
export function lwipAvailable(): string | undefined {
  availability ??= { why: check() };
  return availability.why;
}

/**
 * An lwip adapter. `args` are appended to the helper's command line (it ignores them;
 * tests use a marker to find its process). The helper is kept across sessions (`reuse`,
 * default true): its `reset` kills the world's process, so the next world is a fresh
 * stack in a fresh namespace all the same, and only the helper's start-up (~0.3 s of
 * Node and tsx) is saved. After any failure the exec adapter starts a fresh helper.
 */
export function createLwipAdapter(o: { args?: readonly string[] } & Omit<ExecOptions, 'name'> = {}): ExecAdapter {
  const { args = [], ...exec } = o;
  return execAdapter([process.execPath, LWIP_HELPER, ...args], { reuse: true, ...exec, name: 'lwip' });
}

/** The lwip adapter (name 'lwip'). */
export const lwipAdapter: ExecAdapter = createLwipAdapter();
