/**
 * Where this machine allows it (root: CLONE_NEWPID needs CAP_SYS_ADMIN), a helper runs in
 * a PID namespace of its own, under `unshare --pid --fork --kill-child`: when sockspec
 * kills the helper's process group (unshare is in it), the kernel kills every process of
 * the namespace, also a descendant that left the group with setsid(2). The helper is
 * that namespace's pid 1 (no other change: same network namespace, same files, same
 * user). Elsewhere helpers run as before, in a process group of their own (spec/wire.md).
 */
import { accessSync, constants } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const WRAP = ['unshare', '--pid', '--fork', '--kill-child', '--'];
let usable: boolean | undefined;

/** Whether `unshare --pid` works here (asked once). */
export function pidNamespaces(): boolean {
  usable ??= spawnSync(WRAP[0]!, [...WRAP.slice(1), 'true'], { stdio: 'ignore', timeout: 5000 }).status === 0;
  return usable;
}

/** Whether `cmd` names an executable file (by its path, or found on PATH). */
function runnable(cmd: string): boolean {
  const can = (p: string): boolean => { try { accessSync(p, constants.X_OK); return true; } catch { return false; } };
  if (cmd.includes('/')) return can(cmd);
  return (process.env['PATH'] ?? '').split(':').some((d) => d !== '' && can(join(d, cmd)));
}

/**
 * The argv that starts `argv` in a PID namespace of its own, or `argv` itself where that
 * is not possible (or the program does not exist: spawning it directly says so plainly).
 */
export function inPidNamespace(argv: readonly string[]): string[] {
  return argv.length > 0 && runnable(argv[0]!) && pidNamespaces() ? [...WRAP, ...argv] : [...argv];
}
