/**
 * Builds a C program or shared library from an adapter's own sources, once per version of
 * the sources and flags, into <repo>/.cache/. Compiles to a temporary name and renames
 * atomically, so concurrent builders (test workers) never use a half-written file; removes
 * outputs of older versions, and temporary outputs of builders that died (kill -9). Shared by the adapters that need C (linux, lwip).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CBuild {
  /** Output name: `${prefix}${hash}${suffix}` in the cache. */
  prefix: string;
  suffix: string;
  /** Compiled sources, then headers they include (all hashed). Absolute paths. */
  sources: string[];
  headers: string[];
  flags: string[];
  libs: string[];
  /** What is built, for messages ("the C shim"). */
  what: string;
}

const CACHE = fileURLToPath(new URL('../.cache/', import.meta.url));

/** Whether `cmd` is an executable file on PATH. */
export function onPath(cmd: string): boolean {
  return (process.env['PATH'] ?? '').split(':').some((d) => d !== '' && existsSync(join(d, cmd)));
}

/** Whether process `pid` exists (EPERM: it does, owned by someone else). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let swept = false;

/**
 * Removes `<output>.<pid>.<time>.tmp` files whose builder is gone (killed while its cc
 * ran: the cc may even finish the file after it). Once per process.
 */
function sweepDeadBuilds(): void {
  if (swept) return;
  swept = true;
  let names: string[];
  try { names = readdirSync(CACHE); } catch { return; }
  for (const f of names) {
    const m = /\.(\d+)\.\d+\.tmp$/.exec(f);
    if (m !== null && Number(m[1]) !== process.pid && !alive(Number(m[1]))) rmSync(join(CACHE, f), { force: true });
  }
}

/** The path of the built output, compiling it first if needed; throws a one-line reason. */
export function buildC(b: CBuild): string {
  sweepDeadBuilds();
  const h = createHash('sha256');
  for (const f of [...b.sources, ...b.headers]) h.update(readFileSync(f));
  const hash = h.update([...b.flags, ...b.libs].join(' ')).digest('hex').slice(0, 16);
  const out = join(CACHE, `${b.prefix}${hash}${b.suffix}`);
  if (existsSync(out)) return out;
  if (!onPath('cc')) throw new Error(`cc not found: cannot build ${b.what}`);
  mkdirSync(CACHE, { recursive: true });
  const tmp = `${out}.${process.pid}.${Date.now()}.tmp`;
  try {
    execFileSync('cc', [...b.flags, '-o', tmp, ...b.sources, ...b.libs], { stdio: ['ignore', 'pipe', 'pipe'] });
    renameSync(tmp, out);
  } catch (e) {
    rmSync(tmp, { force: true });
    const err = e as { stderr?: Buffer; message: string };
    const why = err.stderr?.toString().trim().split('\n')[0] ?? err.message;
    throw new Error(`cc failed to build ${b.what} (${b.sources.join(', ')}): ${why}`);
  }
  const old = new RegExp(`^${b.prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[0-9a-f]{16}${b.suffix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  for (const f of readdirSync(CACHE)) if (old.test(f) && join(CACHE, f) !== out) rmSync(join(CACHE, f), { force: true });
  return out;
}
