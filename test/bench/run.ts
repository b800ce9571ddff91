/**
 * `npm run bench`: speed and memory, each against a baseline measured in the same run.
 *   1. model steps per second (step + match + next over pre-recorded answers);
 *   2. linux-adapter calls per second next to test/bench/cloop.c making the same syscalls;
 *   3. end-to-end sequences per second (model vs linux, up to 30 calls each);
 *   4. memory over 10,000 sequences (heap after GC at 1k, 5k and 10k sequences).
 * Figures are printed, never asserted: the machine is shared and noisy.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { Call } from '../../spec/call.js';
import type { Observed } from '../../spec/observed.js';
import { AF_INET, F_GETFL, SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR } from '../../spec/constants.js';
import type { Profile } from '../../spec/profile.js';
import { initialState, step } from '../../model/index.js';
import { caseArb } from '../../harness/generate.js';
import { firstMatch } from '../../harness/match.js';
import { runSequence } from '../../harness/runner.js';
import { check } from '../../harness/check.js';
import { modelAdapter } from '../../adapters/model/index.js';
import { linuxAdapter, linuxAvailable } from '../../adapters/linux/index.js';

const gc = (globalThis as { gc?: () => void }).gc;

async function modelSteps(): Promise<void> {
  const cases = fc.sample(caseArb({ maxLength: 30, invalid: 0.2 }), { numRuns: 4000, seed: 7 });
  const recorded: { profile: Profile; calls: Call[]; obs: Observed[] }[] = [];
  for (const c of cases) {
    const s = await modelAdapter().open({ deadlineMs: 1, world: c.world });
    const r = await runSequence(s, c.calls);
    recorded.push({ profile: s.profile, calls: r.steps.map((x) => x.call), obs: r.steps.map((x) => x.observed) });
  }
  const total = recorded.reduce((n, r) => n + r.calls.length, 0);
  let best = 0;
  for (let round = 0; round < 3; round++) {
    const t0 = performance.now();
    for (const r of recorded) {
      let s = initialState(r.profile);
      for (let i = 0; i < r.calls.length; i++) {
        const m = firstMatch(step(s, r.calls[i]!), r.obs[i]!);
        if (!m) throw new Error('recorded answer no longer matches');
        s = m.next(r.obs[i]!);
      }
    }
    best = Math.max(best, total / ((performance.now() - t0) / 1000));
  }
  console.log(`model        ${Math.round(best).toLocaleString('en')} steps/s (best of 3 over ${total} recorded steps; target >= 200,000)`);
}

async function adapterVsC(): Promise<void> {
  const n = 2000;
  const dir = mkdtempSync(join(tmpdir(), 'sockspec-bench-'));
  const cc = spawnSync('cc', ['-O2', '-o', join(dir, 'cloop'), join(import.meta.dirname, 'cloop.c')], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`cc failed: ${cc.stderr}`);
  const c = spawnSync(join(dir, 'cloop'), [String(n)], { encoding: 'utf8' });
  const [, cCalls, cSecs] = c.stdout.trim().split(' ').map(Number);
  const cRate = cCalls! / cSecs!;
  const s = await linuxAdapter.open({ deadlineMs: 50 });
  let calls = 0;
  const t0 = performance.now();
  const out = { ptr: 'ok' as const, lenPtr: 'ok' as const, len: 16 };
  for (let i = 0; i < n; i++) {
    await s.exec({ op: 'socket', domain: AF_INET, type: SOCK_STREAM, protocol: 0 });
    await s.exec({ op: 'setsockopt', fd: 4, level: SOL_SOCKET, name: SO_REUSEADDR, value: 1, optlen: 4 });
    await s.exec({ op: 'bind', fd: 4, addr: { ptr: 'ok', len: 16, family: AF_INET, addr: '127.0.0.1', port: 0 } });
    const l = await s.exec({ op: 'listen', fd: 4, backlog: 4 });
    const port = l.kind === 'returned' && l.bound ? l.bound.port : 0;
    await s.exec({ op: 'getsockname', fd: 4, out });
    await s.exec({ op: 'socket', domain: AF_INET, type: SOCK_STREAM, protocol: 0 });
    await s.exec({ op: 'connect', fd: 5, addr: { ptr: 'ok', len: 16, family: AF_INET, addr: '127.0.0.1', port } });
    await s.exec({ op: 'accept', fd: 4, out });
    await s.exec({ op: 'fcntl', fd: 6, cmd: F_GETFL, arg: 0 });
    await s.exec({ op: 'getpeername', fd: 6, out });
    await s.exec({ op: 'close', fd: 5 });
    await s.exec({ op: 'close', fd: 6 });
    await s.exec({ op: 'close', fd: 4 });
    calls += 13;
  }
  const aRate = calls / ((performance.now() - t0) / 1000);
  await s.close();
  console.log(`linux        ${Math.round(aRate).toLocaleString('en')} calls/s through the adapter, ${Math.round(cRate).toLocaleString('en')} calls/s in C: ${(cRate / aRate).toFixed(2)}x (target <= 2x; same 13-call loop, ${n} iterations)`);
  console.log('             (the adapter also moves new fds into its region, reads getsockname after bind/listen/connect, and probes before accept/connect)');
}

async function endToEnd(): Promise<void> {
  const r = await check({ adapter: linuxAdapter, runs: 2000, seed: 11, maxLength: 30, invalid: 0.2, deadlineMs: 50 });
  if (r.failure || r.error) throw new Error('the end-to-end run diverged; run npx sockspec run --seed 11 --runs 2000');
  console.log(`end-to-end   ${(r.sequences / (r.elapsedMs / 1000)).toFixed(0)} sequences/s, mean length ${(r.calls / r.sequences).toFixed(1)} calls (model vs linux, max length 30, 2000 sequences; target >= 500)`);
}

async function memory(): Promise<void> {
  const marks = [1000, 5000, 10000];
  const heap: number[] = [];
  const rss: number[] = [];
  await check({
    adapter: linuxAdapter, runs: 10000, seed: 13, maxLength: 30, invalid: 0.2, deadlineMs: 50,
    onProgress: (p) => {
      if (p.phase === 'run' && marks.includes(p.sequences)) {
        gc?.();
        heap.push(process.memoryUsage().heapUsed / 2 ** 20);
        rss.push(process.memoryUsage().rss / 2 ** 20);
      }
    },
  });
  console.log(`memory       heap after GC at ${marks.join('/')} sequences: ${heap.map((h) => h.toFixed(1)).join(' / ')} MiB; rss ${rss.map((h) => h.toFixed(0)).join(' / ')} MiB${gc ? '' : ' (no --expose-gc: heap not collected first)'}`);
}

console.log(`sockspec bench (node ${process.version}, ${new Date().toISOString()})`);
await modelSteps();
const why = linuxAvailable();
if (why !== undefined) {
  console.log(`linux        skipped: ${why}`);
} else {
  await adapterVsC();
  await endToEnd();
  await memory();
}
