/**
 * Builds adapters/linux/shim.c and nosleep.c into a shared library (once per version of
 * the sources, cached in <repo>/.cache/) and binds its functions with koffi. Compiles to a
 * temporary name and renames atomically, so concurrent test workers never load a
 * half-written file.
 */
import koffi, { type LibraryHandle } from 'koffi';
import { fileURLToPath } from 'node:url';
import { buildC } from '../cbuild.js';

/** The shim's entry points (see shim.c for the argument and result layouts). */
export interface Shim {
  /** Installs the deadline signal's handler; 0 or an errno. */
  init(): number;
  /** Forks a child that tries unshare(CLONE_NEWNET); 0 or its errno. */
  probeNetns(): number;
  /** Forks a child that tries socketcall through the 32-bit entry; 0, or ENOSYS (none), or an errno. */
  probeSocketcall(): number;
  /** Does nothing on a worker thread (creates the worker threads early). */
  noopAsync(done: (err: unknown) => void): void;
  /**
   * Opens the session world on the calling thread; 0 or an errno (res: base, stage). With
   * `fileDir`, the world's regular file is made under it at fd 4 and removed from disk at
   * once; fileFacts gets its filesystem's s_maxbytes (-1 above 2^53), noexec (0/1) and how it takes MAP_SYNC (0/1, 0/1: shim.c map_sync_facts).
   */
  open(res: Int32Array, nofile: number, dropBindService: boolean, fileDir: string | null, fileFacts: Float64Array): number;
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
  /** Leaves the array argument of the next poll or select in the shim (shim.c ss_setvec). */
  setVec(v: Int32Array): void;
  /** Copies the array results of the last poll or select out of the shim (ss_getvec). */
  getVec(v: Int32Array): void;
  /** Executes one call on a worker thread (for calls that may block). */
  execAsync(op: number, args: Float64Array, out: Buffer, res: Int32Array, done: (err: unknown) => void): void;
}

const here = (f: string): string => fileURLToPath(new URL(f, import.meta.url));

/** shim.c and nosleep.c as a shared library. */
function build(): string {
  return buildC({
    prefix: 'libsockspec-linux-', suffix: '.so', what: 'the C shim',
    sources: [here('./shim.c'), here('./nosleep.c')], headers: [here('./nosleep.h'), here('../cbound.h')],
    flags: ['-O2', '-shared', '-fPIC'], libs: ['-lrt'],
  });
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
  const probeSc = lib.func('int ss_probe_socketcall(void)');
  const open = lib.func('int ss_open(void *res, int32_t nofile, int32_t drop, const char *dir, void *facts)');
  const close = lib.func('int ss_close(void)');
  const exec = lib.func('int ss_exec(int op, void *a, void *out, void *res)');
  const tryExec = lib.func('int ss_try(int op, void *a, void *out, void *res)');
  const setVec = lib.func('void ss_setvec(void *v, int32_t n)');
  const getVec = lib.func('void ss_getvec(void *v, int32_t n)');
  const e = init() as number;
  if (e !== 0) throw new Error(`the C shim cannot install its deadline signal handler (errno ${e})`);
  return {
    init: () => init() as number,
    probeNetns: () => probe() as number,
    probeSocketcall: () => probeSc() as number,
    noopAsync: (done) => noop.async(done),
    open: (res, nofile, drop, dir, facts) => open(res, nofile, drop ? 1 : 0, dir, facts) as number,
    close: () => close() as number,
    exec: (op, a, out, res) => exec(op, a, out, res) as number,
    tryExec: (op, a, out, res) => tryExec(op, a, out, res) as number,
    execAsync: (op, a, out, res, done) => exec.async(op, a, out, res, done),
    setVec: (v) => { setVec(v, v.length); },
    getVec: (v) => { getVec(v, v.length); },
  };
}
