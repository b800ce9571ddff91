/**
 * The lwip adapter (adapters/lwip): lwIP 2.1.3 in a world process of its own, in a
 * network namespace of its own, behind the exec adapter. Sessions leave nothing behind
 * (processes, namespaces, TAP devices), the fd table is the sequence's, a few calls give
 * sane answers, and the property run completes without a harness error (lwIP's
 * divergences from Linux are findings, not failures here).
 *
 * Helpers get a unique marker in argv; world programs are the helper's children.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createLwipAdapter, lwipAvailable } from '../../adapters/lwip/index.js';
import { check } from '../../harness/check.js';
import type { Session } from '../../spec/adapter.js';
import type { AddrIn, AddrOut, Call } from '../../spec/call.js';
import { AF_INET, F_GETFL, SOCK_STREAM } from '../../spec/constants.js';

const why = lwipAvailable();
const title = why === undefined ? 'lwip adapter' : `lwip adapter (skipped: ${why})`;

let serial = 0;
const marker = (): string => `--marker=sockspec-lwip-test-${process.pid}-${++serial}`;
const adapters: ReturnType<typeof createLwipAdapter>[] = [];
function adapter(m: string): ReturnType<typeof createLwipAdapter> {
  const a = createLwipAdapter({ args: [m] });
  adapters.push(a);
  return a;
}
afterAll(async () => { for (const a of adapters) await a.dispose(); });

const OUT: AddrOut = { ptr: 'ok', lenPtr: 'ok', len: 16 };
const TCP: Call = { op: 'socket', domain: AF_INET, type: SOCK_STREAM, protocol: 0 };
const lo = (port: number): AddrIn => ({ ptr: 'ok', len: 16, family: AF_INET, addr: '127.0.0.1', port });

/**
 * Live (non-zombie) pids whose command line contains `m`, but for the `unshare` that
 * starts a helper in a PID namespace of its own (adapters/exec/pidns.ts).
 */
function pidsWith(m: string): number[] {
  return livePids().filter((p) => {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'latin1');
      return cmd.includes(m) && !cmd.startsWith('unshare\0');
    } catch { return false; }
  });
}

/** The process group of `pid` (the helper's: its own pid, or its unshare's). */
function pgidOf(pid: number): number {
  const st = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[2]);
}

function livePids(): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const st = readFileSync(`/proc/${d}/stat`, 'latin1');
      if (!/^[ZX]$/.test(st.slice(st.lastIndexOf(')') + 2).split(' ')[0]!)) out.push(Number(d));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/**
 * The live world programs among the children of `pid` (the helper has others at times:
 * tsx's esbuild service, when it transforms a changed source).
 */
function worldsOf(pid: number): number[] {
  return livePids().filter((p) => {
    try {
      const st = readFileSync(`/proc/${p}/stat`, 'latin1');
      return Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]) === pid
        && readFileSync(`/proc/${p}/cmdline`, 'latin1').includes('sockspec-lwip-world');
    } catch { return false; }
  });
}

const alive = (pid: number): boolean => livePids().includes(pid);

/** Live processes in process group `pgid` (the helper's group holds its world programs). */
function groupOf(pgid: number): number[] {
  return livePids().filter((p) => {
    try {
      const st = readFileSync(`/proc/${p}/stat`, 'latin1');
      return Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[2]) === pgid;
    } catch { return false; }
  });
}
/** The host's TUN/TAP devices (`ip -br link show type tun`); ours are named lwiptap0 inside their namespaces. */
const hostTuns = (): string => execFileSync('ip', ['-br', 'link', 'show', 'type', 'tun'], { encoding: 'utf8' });

async function until(cond: () => boolean, ms = 3000): Promise<boolean> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/**
 * The helper of the adapter with marker `m`, and its world programs: the world of the open
 * session and, once a session has ended, the world the helper started for the next one.
 */
function processes(m: string): { helper: number; group: number; worlds: number[] } {
  const [helper, ...more] = pidsWith(m);
  expect(helper).toBeDefined();
  expect(more).toEqual([]);
  const worlds = worldsOf(helper!);
  expect(worlds.length).toBeGreaterThan(0);
  return { helper: helper!, group: pgidOf(helper!), worlds };
}

async function run(s: Session, calls: Call[]): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const c of calls) out.push(await s.exec(c));
  return out;
}

describe.skipIf(why !== undefined)(title, () => {
  it('runs each world in its own namespace with its TAP device there, and leaves nothing behind', async () => {
    expect(hostTuns()).not.toContain('lwiptap');
    const m = marker();
    const a = adapter(m);
    const s = await a.open({ deadlineMs: 50 });
    const { helper, group, worlds } = processes(m);
    for (const w of worlds) {
      expect(readlinkSync(`/proc/${w}/ns/net`)).not.toBe(readlinkSync('/proc/self/ns/net'));
      expect(readFileSync(`/proc/${w}/net/dev`, 'utf8')).toContain('lwiptap0:');
    }
    expect(hostTuns()).not.toContain('lwiptap');
    await s.close();
    // The helper is kept for the next session; the world is gone with its namespace and device.
    expect(await until(() => !worlds.some(alive))).toBe(true);
    expect(alive(helper)).toBe(true);
    await a.dispose();
    expect(await until(() => groupOf(group).length === 0)).toBe(true);
    expect(hostTuns()).not.toContain('lwiptap');
  });

  it('leaves nothing behind when the helper is killed', async () => {
    const m = marker();
    const s = await adapter(m).open({ deadlineMs: 50 });
    const { helper, group, worlds } = processes(m);
    process.kill(helper, 'SIGKILL');
    expect(await until(() => !alive(helper) && !worlds.some(alive))).toBe(true);
    expect(await until(() => groupOf(group).length === 0)).toBe(true);
    expect((await s.exec(TCP)).kind).toBe('crashed');
    await s.close();
    expect(hostTuns()).not.toContain('lwiptap');
  });

  it('answers socket, bind, listen and getsockname sanely, in the sequence\'s fd numbering', async () => {
    const s = await adapter(marker()).open({ deadlineMs: 50 });
    try {
      expect(s.profile).toMatchObject({ kernel: expect.stringMatching(/^lwIP 2\./), portRange: [49152, 65535], nofile: 1024 });
      expect(await s.exec(TCP)).toEqual({ kind: 'returned', ret: 4 });
      const b = await s.exec({ op: 'bind', fd: 4, addr: lo(0) });
      const port = b.kind === 'returned' ? b.bound?.port ?? 0 : 0;
      expect(port).toBeGreaterThanOrEqual(49152);
      expect(b).toEqual({ kind: 'returned', ret: 0, bound: { addr: '127.0.0.1', port } });
      expect(await s.exec({ op: 'listen', fd: 4, backlog: 8 })).toEqual(b);
      const hex = `0200${port.toString(16).padStart(4, '0')}7f0000010000000000000000`;
      expect(await s.exec({ op: 'getsockname', fd: 4, out: OUT })).toEqual({ kind: 'returned', ret: 0, addr: hex, addrlen: 16 });
      // An empty blocking listener: accept is interrupted at the deadline and the world goes on.
      expect(await s.exec({ op: 'accept', fd: 4, out: OUT })).toEqual({ kind: 'blocked' });
      expect(await s.exec(TCP)).toEqual({ kind: 'returned', ret: 5 });
      expect(await s.exec({ op: 'connect', fd: 5, addr: lo(port) })).toMatchObject({ kind: 'returned', ret: 0 });
      expect(await s.exec({ op: 'accept', fd: 4, out: OUT })).toMatchObject({ kind: 'returned', ret: 6, addrlen: 16 });
    } finally {
      await s.close();
    }
  });

  it('keeps the initial fds as files lwIP never sees, and the world\'s nofile', async () => {
    const s = await adapter(marker()).open({ deadlineMs: 50, world: { nofile: 7 } });
    try {
      expect(s.profile.nofile).toBe(7);
      expect(await run(s, [
        { op: 'bind', fd: 0, addr: lo(0) }, { op: 'close', fd: 9 }, TCP, TCP, TCP, TCP,
        { op: 'close', fd: 3 }, TCP, { op: 'fcntl', fd: 1, cmd: F_GETFL, arg: 0 },
      ])).toEqual([
        { kind: 'returned', ret: -1, errno: 'ENOTSOCK' },
        { kind: 'returned', ret: -1, errno: 'EBADF' },
        { kind: 'returned', ret: 4 }, { kind: 'returned', ret: 5 }, { kind: 'returned', ret: 6 },
        { kind: 'returned', ret: -1, errno: 'EMFILE' },
        { kind: 'returned', ret: 0 }, { kind: 'returned', ret: 3 },
        { kind: 'unsupported', detail: expect.stringContaining('lwIP has no files') },
      ]);
    } finally {
      await s.close();
    }
  });

  it('starts every session from a fresh stack, also when the helper is kept', async () => {
    const m = marker();
    const a = adapter(m);
    const listen5000: Call[] = [TCP, { op: 'bind', fd: 4, addr: lo(5000) }, { op: 'listen', fd: 4, backlog: 1 }];
    const helpers = new Set<number>();
    // The listener of the first session is never closed: the second can bind its port
    // only in another stack.
    for (let i = 0; i < 2; i++) {
      const s = await a.open({ deadlineMs: 50 });
      helpers.add(processes(m).helper);
      expect(await run(s, listen5000)).toEqual([
        { kind: 'returned', ret: 4 },
        { kind: 'returned', ret: 0, bound: { addr: '127.0.0.1', port: 5000 } },
        { kind: 'returned', ret: 0, bound: { addr: '127.0.0.1', port: 5000 } },
      ]);
      await s.close();
    }
    expect(helpers.size).toBe(1);
  });

  it('completes a short property run without a harness error (divergences are findings)', async () => {
    const a = adapter(marker());
    const r = await check({ adapter: a, runs: 20, seed: 7, maxLength: 12, invalid: 0.2, deadlineMs: 50 });
    expect(r.error).toBeUndefined();
    expect(r.sequences).toBeGreaterThan(0);
    if (r.failure) expect(r.failure.outcome.divergence).toBeDefined();
  });
});
