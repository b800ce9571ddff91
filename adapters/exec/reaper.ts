/**
 * The process groups of live helpers, killed when this process exits, however it exits
 * through Node's 'exit' event (normal end, process.exit, an uncaught exception). A
 * runner killed by a signal it does not handle cannot run code; its helpers then see
 * EOF on stdin and must exit by themselves (spec/wire.md).
 */
import { readdirSync, readFileSync } from 'node:fs';

const groups = new Set<number>();
let installed = false;

/** SIGKILL to every process in group `pgid`; quiet if the group is gone. */
export function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // ESRCH: nothing left in the group.
  }
}

/**
 * True while some live process is in group `pgid`. Zombies do not count: a killed
 * grandchild is reparented to init, and an init that does not reap (some containers)
 * would otherwise keep it "alive" for ever. Reads /proc; without it, any member counts.
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return true;
  }
  for (const pid of pids) {
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces and parens.
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') return true;
    } catch {
      // exited meanwhile
    }
  }
  return false;
}

/** Remembers a helper's group until `forget`; installs the exit hook on first use. */
export function track(pgid: number): void {
  groups.add(pgid);
  if (!installed) {
    installed = true;
    process.on('exit', () => {
      for (const g of groups) killGroup(g);
    });
  }
}

export function forget(pgid: number): void {
  groups.delete(pgid);
}

/** The groups currently tracked (for tests). */
export function trackedGroups(): number[] {
  return [...groups];
}
