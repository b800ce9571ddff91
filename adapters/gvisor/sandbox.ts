/**
 * Where runsc keeps its state, and how it is removed. `runsc do` ignores --root (it puts
 * its container state in a fresh $TMPDIR/runsc-do* directory and removes it when the
 * container ends, runsc/cmd/do.go), so every sandbox is started by a shell wrapper with
 * TMPDIR (and --root) set to a directory of its own, `<run dir>/sandbox.XXXXXX`, which the
 * wrapper removes when runsc returns. The run directory is this process's
 * (`$TMPDIR/sockspec-gvisor-<pid>-XXXXXX`).
 *
 * How each way of ending cleans up:
 * - close / reset: the helper exits at EOF, the container ends, runsc do removes its
 *   state, the wrapper removes its directory.
 * - errors (a helper killed by the exec adapter, SIGKILL to the wrapper's process group):
 *   runsc do dies; its sandbox and gofer die by PDEATHSIG (do runs them "attached",
 *   runsc/sandbox/sandbox.go); the next sweep() removes the directory of the dead wrapper.
 * - this process exits (normally or on an exception): an exit hook removes the run directory.
 * - kill -9 of this process: the helper sees EOF on stdin, as at close; the last wrapper
 *   also removes the (then empty) run directory.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The Debian package that has runsc (bookworm: gVisor release 20221219). */
export const RUNSC_PACKAGE = 'runsc';

/** The wrapper: $1 run dir, $2 platform, then the command to run inside the sandbox. */
const WRAPPER = [
  'r=$1; p=$2; shift 2',
  'd=$(mktemp -d "$r/sandbox.XXXXXX") && chmod 755 "$d" || exit 125',
  'echo $$ > "$d/pid"',
  'TMPDIR="$d" runsc --root="$d/root" --network=none --platform="$p" do "$@"',
  's=$?',
  'rm -rf "$d"',
  'rmdir "$r" 2>/dev/null',
  'exit $s',
].join('\n');

let dir: string | undefined;

/**
 * This process's run directory, made on first use (with an exit hook that removes it) and
 * made again if a wrapper removed it (the last one to end does; only this process makes
 * it, so nothing recreates it after removeRunDir).
 */
export function runDir(): string {
  if (dir === undefined) {
    dir = mkdtempSync(join(tmpdir(), `sockspec-gvisor-${process.pid}-`));
    process.on('exit', removeRunDir);
  } else if (!existsSync(dir)) mkdirSync(dir);
  // The sandbox drops to an unprivileged user and must reach the directory runsc do
  // makes in here (mkdtemp's 0700 answers it EACCES: "error setting up chroot").
  chmodSync(dir, 0o755);
  return dir;
}

/** The argv that runs `inner` inside a fresh sandbox (loopback only) on `platform`. */
export function sandboxArgv(platform: string, inner: readonly string[]): string[] {
  return ['/bin/sh', '-c', WRAPPER, 'sockspec-gvisor', runDir(), platform, ...inner];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the directories of sandboxes whose wrapper is gone (killed before it could
 * remove its own) and the probe's. Never touches a live sandbox's.
 */
export function sweep(): void {
  if (dir === undefined) return;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const d = join(dir, n);
    let pid = NaN;
    try {
      pid = Number(readFileSync(join(d, 'pid'), 'utf8').trim());
    } catch {
      // no pid file: the probe's directory, or a wrapper that died before writing it
      // (a wrapper writes it before it starts runsc, so nothing runs from there).
    }
    if (Number.isInteger(pid) && pid > 0 && alive(pid)) continue;
    rmSync(d, { recursive: true, force: true });
  }
}

/** Removes the run directory and all in it. Idempotent; never throws. */
export function removeRunDir(): void {
  if (dir === undefined) return;
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // nothing more to do at exit
  }
}
