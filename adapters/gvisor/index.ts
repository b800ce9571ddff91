/**
 * gVisor (runsc: its sentry and netstack) as a system under test: adapters/exec's
 * execAdapter pointed at adapters/gvisor/helper.mjs running inside
 * `runsc --network=none --platform=ptrace do` (loopback only; nothing reaches the host
 * network). One sandbox per helper, kept across sessions; every world is a fresh network
 * namespace inside it (a fresh netstack stack), so worlds are independent and a world
 * costs no sandbox start.
 *
 * Nothing is left behind (sandbox.ts): each sandbox's runsc state lives in a directory of
 * its own under this process's run directory; `runsc do` is "attached" (its sandbox and
 * gofer die with it, by PDEATHSIG), the helper exits at EOF on stdin (so a kill -9 of
 * this process ends the sandbox, whose shell wrapper then removes its directory), and
 * dispose, the process's exit and every open sweep what a killed sandbox left.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execAdapter, type ExecAdapter, type ExecOptions } from '../exec/index.js';
import { onPath } from '../cbuild.js';
import { shim } from '../linux/native.js';
import { RUNSC_PACKAGE, runDir, sandboxArgv, sweep, removeRunDir } from './sandbox.js';

/** The helper program run inside the sandbox (Node ESM; loads the project's TypeScript through tsx). */
export const GVISOR_HELPER = fileURLToPath(new URL('./helper.mjs', import.meta.url));

/** runsc's platform: SOCKSPEC_GVISOR_PLATFORM, default ptrace (kvm did not boot here; see the notes). */
export function gvisorPlatform(): string {
  return process.env['SOCKSPEC_GVISOR_PLATFORM'] ?? 'ptrace';
}

let availability: { why: string | undefined; version: string } | undefined;

function firstLine(e: unknown): string {
  const err = e as { stderr?: Buffer | string; stdout?: Buffer | string; message: string };
  const text = `${err.stderr?.toString() ?? ''}\n${err.stdout?.toString() ?? ''}`.trim();
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return lines.at(-1) ?? err.message;
}

function check(): { why: string | undefined; version: string } {
  let version = 'unknown';
  if (process.platform !== 'linux') return { why: `not Linux (${process.platform}): runsc runs on Linux only`, version };
  if (!onPath('runsc')) return { why: `runsc is not installed (Debian package ${RUNSC_PACKAGE}: apt-get install ${RUNSC_PACKAGE})`, version };
  if (process.getuid?.() !== 0) return { why: 'not root: runsc do needs root here (its rootless mode is not supported by this adapter)', version };
  try {
    version = /runsc version (\S+)/.exec(execFileSync('runsc', ['--version'], { encoding: 'utf8', timeout: 10_000 }))?.[1] ?? 'unknown';
  } catch (e) {
    return { why: `runsc --version failed: ${firstLine(e)}`, version };
  }
  try {
    shim(); // built on the host: the sandbox sees the repository's .cache/ read-only (an overlay)
  } catch (e) {
    return { why: (e as Error).message, version };
  }
  // The sandbox drops to an unprivileged user, which must reach runsc's state under the run directory.
  for (let d = dirname(runDir()); ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return { why: `${d} is not searchable by other users (mode ${(statSync(d).mode & 0o777).toString(8)}): runsc's sandbox cannot reach its state under it; set TMPDIR to a directory it can reach`, version };
    if (d === dirname(d)) break;
  }
  // One sandbox that does nothing: runsc must be able to start here (ptrace, namespaces).
  const dir = `${runDir()}/probe`;
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('runsc', [`--root=${dir}/root`, '--network=none', `--platform=${gvisorPlatform()}`, 'do', '/bin/true'],
      { env: { ...process.env, TMPDIR: dir }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  } catch (e) {
    return { why: `runsc cannot start a sandbox here (--platform=${gvisorPlatform()}): ${firstLine(e)}`, version };
  } finally {
    sweep();
  }
  return { why: undefined, version };
}

/**
 * Undefined when the gvisor adapter can run here; otherwise a one-line reason (runsc
 * missing names its Debian package). The first call builds the linux C shim (if not
 * cached) and starts and ends one empty sandbox; the answer is then cached.
 */
export function gvisorAvailable(): string | undefined {
  availability ??= check();
  return availability.why;
}

/** runsc's version (e.g. 0.0~20221219.0), once gvisorAvailable has run. */
export function runscVersion(): string {
  return availability?.version ?? 'unknown';
}

/**
 * A gvisor adapter. `args` are appended to the helper's command line inside the sandbox
 * (tests use a marker). The sandbox is kept across sessions (`reuse`, default true): its
 * `reset` leaves the world's namespace, so the next world is a fresh stack all the same,
 * and only the sandbox's and Node's start-up (seconds under ptrace) is saved. After any
 * failure the exec adapter starts a fresh sandbox.
 */
export function createGvisorAdapter(o: { args?: readonly string[] } & Omit<ExecOptions, 'name'> = {}): ExecAdapter {
  const { args = [], ...exec } = o;
  let inner: ExecAdapter | undefined;
  const get = (): ExecAdapter => {
    const why = gvisorAvailable();
    if (why !== undefined) throw new Error(`the gvisor adapter cannot run here: ${why}`);
    inner ??= execAdapter(sandboxArgv(gvisorPlatform(), [process.execPath, GVISOR_HELPER, `--runsc=${runscVersion()}`, ...args]),
      // Not in a PID namespace of its own: runsc needs the host's /proc (/proc/self/exe), and
      // the sandbox's own clean-up (index.ts sweep) works by host pids.
      { reuse: true, startupMs: 120_000, closeMs: 10_000, pidNamespace: false, ...exec, name: 'gvisor' });
    return inner;
  };
  return {
    name: 'gvisor',
    get argv() { return inner?.argv ?? []; },
    get hello() { return inner?.hello; },
    unsupported() { return inner?.unsupported?.() ?? new Map(); },
    async open(opts) {
      sweep();
      runDir(); // (again) before the wrapper makes its directory in it
      return get().open(opts);
    },
    async dispose() {
      await inner?.dispose();
      if (existsSync(runDir())) sweep();
      removeRunDir();
    },
  };
}

/** The gvisor adapter (name 'gvisor'). */
export const gvisorAdapter: ExecAdapter = createGvisorAdapter();
