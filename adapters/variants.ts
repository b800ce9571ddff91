/**
 * Decides a kernel's variant set (spec/variants.ts) by running each axis's probe in a
 * fresh session, and caches the answer per kernel build (uname -r and uname -v) under
 * <repo>/.cache/variants/. Shared by the adapters that run a Linux kernel (linux, linux-vm).
 * Never guesses: an answer no known value explains is an error naming the axis and the answer.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Session, SessionOptions } from '../spec/adapter.js';
import type { Observed } from '../spec/observed.js';
import { VARIANT_AXES, VARIANT_AXIS_NAMES, variantsProblem, type ProbeAnswer, type VariantAxis, type VariantAxisName, type Variants } from '../spec/variants.js';

const CACHE = fileURLToPath(new URL('../.cache/variants/', import.meta.url));

/** The probes' own identity: a cache made with other probes (or other axes) is not used. */
const PROBES_HASH = createHash('sha256').update(JSON.stringify(VARIANT_AXES)).digest('hex').slice(0, 12);

function answers(o: Observed, a: ProbeAnswer): boolean {
  if (a === 'blocked') return o.kind === 'blocked';
  return o.kind === 'returned' && o.ret === a.ret && (a.errno === undefined || o.errno === a.errno)
    && (a.addrlen === undefined || o.addrlen === a.addrlen);
}

function shown(o: Observed): string {
  if (o.kind === 'returned') return (o.ret < 0 ? `-1 ${o.errno ?? ''}`.trim() : `${o.ret}`) + (o.addrlen !== undefined ? ` (len ${o.addrlen})` : '');
  return o.kind;
}

/** Runs the probe of `axis` in one fresh session from `open`; its value, or throws why none fits. */
export async function probeAxis(axis: VariantAxisName, open: (o: SessionOptions) => Promise<Session>): Promise<string> {
  const p = VARIANT_AXES[axis];
  const world = (p as VariantAxis).world;
  const session = await open({ deadlineMs: p.deadlineMs, ...(world ? { world } : {}) });
  let decisive: Observed | undefined;
  try {
    for (let i = 0; i < p.calls.length; i++) {
      const o = await session.exec(p.calls[i]!);
      if (i === p.at) decisive = o;
    }
  } finally {
    await session.close();
  }
  const values = p.values as readonly string[];
  const hit = values.find((v) => answers(decisive!, (p.answers as Record<string, ProbeAnswer>)[v]!));
  if (hit === undefined) {
    throw new Error(`kernel variant probe '${axis}': call ${p.at + 1} (${p.calls[p.at]!.op}) answered ${shown(decisive!)}, `
      + `which none of its known values (${values.join(', ')}) gives: this kernel behaves in a way sockspec does not know yet `
      + '(please report it with `uname -rv`)');
  }
  return hit;
}

/** Every axis probed in turn (one fresh session each). */
export async function probeVariants(open: (o: SessionOptions) => Promise<Session>): Promise<Variants> {
  const out: Record<string, string> = {};
  for (const a of VARIANT_AXIS_NAMES) out[a] = await probeAxis(a, open);
  return out as Variants;
}

function cacheFile(kernel: string, build: string): string {
  const key = createHash('sha256').update(`${kernel}\n${build}`).digest('hex').slice(0, 16);
  return join(CACHE, `${kernel.replace(/[^A-Za-z0-9._-]/g, '_')}-${key}.json`);
}

interface CacheEntry { kernel: string; build: string; probes: string; variants: Variants }

/**
 * The variant set of kernel build (`kernel`, `build`): from the cache when these probes
 * decided it before, else by `probe` (then cached; a cache that cannot be written is
 * only a slower next run).
 */
export async function cachedVariants(kernel: string, build: string, probe: () => Promise<Variants>): Promise<Variants> {
  const file = cacheFile(kernel, build);
  try {
    const c = JSON.parse(readFileSync(file, 'utf8')) as CacheEntry;
    if (c.kernel === kernel && c.build === build && c.probes === PROBES_HASH && variantsProblem(c.variants) === undefined
      && VARIANT_AXIS_NAMES.every((a) => a in c.variants)) return c.variants;
  } catch {
    // absent or unreadable: probe
  }
  const variants = await probe();
  try {
    mkdirSync(CACHE, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ kernel, build, probes: PROBES_HASH, variants } satisfies CacheEntry, null, 2)}\n`);
    try { renameSync(tmp, file); } catch { rmSync(tmp, { force: true }); }
  } catch {
    // not cached
  }
  return variants;
}
