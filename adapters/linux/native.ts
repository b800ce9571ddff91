/**
 * Builds adapters/linux/shim.c and nosleep.c into a shared library (once per version of
 * the sources, cached in <repo>/.cache/) and binds its functions with koffi. Compiles to a
 * temporary name and renames atomically, so concurrent test workers never load a
 * half-written file.
 */
import koffi, { type LibraryHandle } from 'koffi';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The shim's entry points (see shim.c for the argument and result layouts). */
export interface Shim {
  /** Installs the deadline signal's handler; 0 or an errno. */
  init(): number;
  /** Forks a child that tries unshare(CLONE_NEWNET); 0 or its errno. */
  probeNetns(): number;
  /** Does nothing on a worker thread (creates the worker threads early). */
  noopAsync(done: (err: unknown) => void): void;
  /** Opens the session world on the calling thread; 0 or an errno (res: base, stage). */
  open(res: Int32Array, nofile: number, dropBindService: boolean): number;
  /** Closes every session fd and returns to the saved netns; 0 or setns's errno. */
  close(): number;
  /** Executes one call synchronously. */
  exec(op: number, args: Float64Array, out: Buffer, res: Int32Array): number;
  /**
   * Executes accept, accept4 or connect synchronously, without a timer, when the kernel
   * will not sleep in it, and returns 0 (res filled as by exec). Returns 1 when it may
   * sleep: res is then unspecified and the call must be completed by a timed execAsync
   * with the same arguments (nosleep.c says why the pair is exact).
   */
  tryExec(op: number, args: Float64Array, out: Buffer, res: Int32Array): number;
  /** Executes one call on a worker thread (for calls that may block). */
  execAsync(op: number, args: Float64Array, out: Buffer, res: Int32Array, done: (err: unknown) => void): void;
}

const CC_FLAGS = ['-O2', '-shared', '-fPIC'];
const CC_LIBS = ['-lrt'];

/** The compiled sources first, then the headers they include (all hashed). */
const SOURCES = ['./shim.c', './nosleep.c'].map((f) => fileURLToPath(new URL(f, import.meta.url)));
const HEADERS = ['./nosleep.h'].map((f) => fileURLToPath(new URL(f, import.meta.url)));
const CACHE = fileURLToPath(new URL('../../.cache/', import.meta.url));

/** Whether `cmd` is an executable file on PATH. */
function onPath(cmd: string): boolean {
  return (process.env['PATH'] ?? '').split(':').some((d) => d !== '' && existsSync(join(d, cmd)));
}

/** The path of the built library, compiling it first if needed. Throws with cc's output. */
function build(): string {
  const h = createHash('sha256');
  for (const f of [...SOURCES, ...HEADERS]) h.update(readFileSync(f));
  const hash = h.update([...CC_FLAGS, ...CC_LIBS].join(' ')).digest('hex').slice(0, 16);
  const lib = join(CACHE, `libsockspec-linux-${hash}.so`);
  if (existsSync(lib)) return lib;
  if (!onPath('cc')) throw new Error('cc not found: cannot build the C shim');
  mkdirSync(CACHE, { recursive: true });
  const tmp = `${lib}.${process.pid}.${Date.now()}.tmp`;
  try {
    execFileSync('cc', [...CC_FLAGS, '-o', tmp, ...SOURCES, ...CC_LIBS], { stdio: ['ignore', 'pipe', 'pipe'] });
    renameSync(tmp, lib);
  } catch (e) {
    rmSync(tmp, { force: true });
    const err = e as { stderr?: Buffer; message: string };
    const why = err.stderr?.toString().trim().split('\n')[0] ?? err.message;
    throw new Error(`cc failed to build the C shim (${SOURCES.join(', ')}): ${why}`);
  }
  pruneOthers(lib);
  return lib;
}

/** Removes libraries built from older versions of the shim (safe even if one is loaded). */
function pruneOthers(keep: string): void {
  for (const f of readdirSync(CACHE)) {
    const p = join(CACHE, f);
    if (p !== keep && /^libsockspec-linux-[0-9a-f]{16}\.so$/.test(f)) rmSync(p, { force: true });
  }
}

let loaded: Shim | Error | undefined;

/** The loaded shim, built on first use; throws the same error on every call if it cannot load. */
export function shim(): Shim {
  if (loaded === undefined) {
    try {
      loaded = bind(koffi.load(build()));
    } catch (e) {
      loaded = e instanceof Error ? e : new Error(String(e));
    }
  }
  if (loaded instanceof Error) throw loaded;
  return loaded;
}

function bind(lib: LibraryHandle): Shim {
  const init = lib.func('int ss_init(void)');
  const probe = lib.func('int ss_probe_netns(void)');
  const noop = lib.func('int ss_noop(void)');
  const open = lib.func('int ss_open(void *res, int32_t nofile, int32_t drop)');
  const close = lib.func('int ss_close(void)');
  const exec = lib.func('int ss_exec(int op, void *a, void *out, void *res)');
  const tryExec = lib.func('int ss_try(int op, void *a, void *out, void *res)');
  const e = init() as number;
  if (e !== 0) throw new Error(`the C shim cannot install its deadline signal handler (errno ${e})`);
  return {
    init: () => init() as number,
    probeNetns: () => probe() as number,
    noopAsync: (done) => noop.async(done),
    open: (res, nofile, drop) => open(res, nofile, drop ? 1 : 0) as number,
    close: () => close() as number,
    exec: (op, a, out, res) => exec(op, a, out, res) as number,
    tryExec: (op, a, out, res) => tryExec(op, a, out, res) as number,
    execAsync: (op, a, out, res, done) => exec.async(op, a, out, res, done),
  };
}
