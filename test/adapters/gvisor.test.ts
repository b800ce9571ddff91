/**
 * The gvisor adapter (adapters/gvisor): the sentry and netstack of runsc, the helper
 * inside `runsc do`, one fresh network namespace per world. A few calls give sane
 * answers, worlds do not share a stack, and nothing is left behind (runsc processes,
 * their state directories) on close, when the sandbox is killed, and when a sockspec run
 * is killed with SIGKILL.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGvisorAdapter, gvisorAvailable } from '../../adapters/gvisor/index.js';
import { removeRunDir, runDir } from '../../adapters/gvisor/sandbox.js';
import { readExpectations } from '../../harness/expectations.js';
import { expectationsMarkdown } from '../../harness/render/expectations-md.js';
import type { AddrIn, Call } from '../../spec/call.js';
import { AF_INET, SOCK_STREAM } from '../../spec/constants.js';

const why = gvisorAvailable();
const title = why === undefined ? 'gvisor adapter' : `gvisor adapter (skipped: ${why})`;

const adapters: ReturnType<typeof createGvisorAdapter>[] = [];
function adapter(): ReturnType<typeof createGvisorAdapter> {
  const a = createGvisorAdapter();
  adapters.push(a);
  return a;
}
afterAll(async () => {
  for (const a of adapters) await a.dispose();
  removeRunDir(); // the availability check's, if no adapter was made (a test pool may end workers without 'exit')
});

const TCP: Call = { op: 'socket', domain: AF_INET, type: SOCK_STREAM, protocol: 0 };
const lo = (port: number): AddrIn => ({ ptr: 'ok', len: 16, family: AF_INET, addr: '127.0.0.1', port });

/** Live (non-zombie) processes whose command line contains `s`. */
function pidsWith(s: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const st = readFileSync(`/proc/${d}/stat`, 'latin1');
      if (/^[ZX]$/.test(st.slice(st.lastIndexOf(')') + 2).split(' ')[0]!)) continue;
      if (readFileSync(`/proc/${d}/cmdline`, 'latin1').includes(s)) out.push(Number(d));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** The sandbox directories under this process's run directory. */
const sandboxes = (): string[] => (existsSync(runDir()) ? readdirSync(runDir()).filter((n) => n.startsWith('sandbox.')) : []);
const netns = (): string => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });

describe.skipIf(why !== undefined)(title, () => {
  it('answers in the sequence\'s fd numbering from gVisor\'s port range, a fresh stack per world, one sandbox', async () => {
    const a = adapter();
    const listen5000: Call[] = [TCP, { op: 'bind', fd: 4, addr: lo(5000) }, { op: 'listen', fd: 4, backlog: 1 }];
    for (let i = 0; i < 2; i++) {
      const s = await a.open({ deadlineMs: 50 });
      expect(s.profile).toMatchObject({ kernel: expect.stringMatching(/^gVisor /), portRange: [16000, 65535], somaxconn: 1024, unprivilegedPortStart: 0 });
      // The first world's listener is never closed by a call: the second can bind its port only in another stack.
      for (const c of listen5000) expect(await s.exec(c)).toMatchObject({ kind: 'returned', ret: c.op === 'socket' ? 4 : 0 });
      expect(await s.exec(TCP)).toEqual({ kind: 'returned', ret: 5 });
      const b = await s.exec({ op: 'bind', fd: 5, addr: lo(0) });
      expect(b).toMatchObject({ kind: 'returned', ret: 0, bound: { addr: '127.0.0.1' } });
      expect(b.kind === 'returned' && b.bound!.port >= 16000).toBe(true);
      await s.close();
    }
    expect(sandboxes()).toHaveLength(1);
    await a.dispose();
    expect(sandboxes()).toEqual([]);
  }, 120_000);

  it('leaves no runsc process or state when the sandbox is killed, and none after dispose', async () => {
    const a = adapter();
    const s = await a.open({ deadlineMs: 50 });
    const [box] = sandboxes();
    const dir = join(runDir(), box!);
    const pids = pidsWith(dir);
    expect(pids.length).toBeGreaterThanOrEqual(3); // runsc do, its gofer, its sandbox
    const wrapper = Number(readFileSync(join(dir, 'pid'), 'utf8'));
    process.kill(-wrapper, 'SIGKILL'); // what the exec adapter does to a helper that fails
    expect(await until(() => pidsWith(dir).length === 0, 20_000)).toBe(true);
    expect((await s.exec(TCP)).kind).toBe('crashed');
    await s.close();
    await a.dispose();
    expect(existsSync(dir)).toBe(false);
  }, 120_000);

  it('leaves no runsc process, state or namespace after kill -9 of a sockspec run', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'sockspec-gvisor-kill-'));
    chmodSync(tmp, 0o755); // the sandbox's user must reach runsc's state in there
    const before = netns();
    try {
      const child = spawn(process.execPath, ['bin/sockspec.mjs', 'run', '--adapter', 'gvisor', '--runs', '100000', '--seed', '1',
        '--expectations', join(tmp, 'none.json'), '--update-expectations', '--out', join(tmp, 'out'), '--no-color'],
      { cwd: join(import.meta.dirname, '../..'), env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
      const runDirs = (): string[] => readdirSync(tmp).filter((n) => n.startsWith('sockspec-gvisor-'));
      // The run has started (its first session is open, and closed: the sandbox is kept for the next).
      expect(await until(() => err.includes("against 'gvisor'"), 60_000), err).toBe(true);
      expect(pidsWith(tmp).length).toBeGreaterThanOrEqual(4); // sockspec, runsc do, its gofer, its sandbox
      child.kill('SIGKILL');
      expect(await until(() => pidsWith(tmp).length === 0 && runDirs().length === 0, 30_000)).toBe(true);
      expect(netns()).toBe(before);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('README gVisor table', () => {
  it('is_the_table_of_adapters_gvisor_expectations_json', () => {
    const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
    const m = /<!-- gvisor-table:begin -->\n([\s\S]*?)\n<!-- gvisor-table:end -->/.exec(readme);
    expect(m, 'README.md has no gvisor-table markers').not.toBeNull();
    const want = expectationsMarkdown(readExpectations(join(import.meta.dirname, '../../adapters/gvisor/expectations.json')));
    expect(m![1], 'regenerate with: npx sockspec expectations adapters/gvisor/expectations.json').toBe(want);
  });
});
