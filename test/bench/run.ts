/**
 * `npm run bench`: speed and memory, each figure next to a baseline measured in the same
 * run (the machine is shared and noisy: compare the ratios, not the absolute figures).
 *   1. model steps per second (step + match + next over pre-recorded answers), with the
 *      rule count; baseline: the same loop with worlds deep-frozen, as the tests run it;
 *   2. linux-adapter calls per second next to test/bench/cloop.c making the same syscalls,
 *      median of 5 rounds each;
 *   3. end-to-end sequences per second against the kernel (the CLI, up to 30 calls each),
 *      one job and --jobs 2 (the ratio printed); baseline: the model alone on the same
 *      sequences;
 *   4. memory: the model as adapter over 100,000 sequences, heap after GC at 10,000
 *      (the baseline) and at 100,000.
 * Figures are printed, never asserted. `npm run bench -- --model-only` runs 1 alone.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { setAutoFreeze } from 'immer';
import type { Call } from '../../spec/call.js';
import type { Observed } from '../../spec/observed.js';
import { AF_INET, F_GETFL, SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR } from '../../spec/constants.js';
import type { Profile } from '../../spec/profile.js';
import { FREEZE, initialState, RULES, step } from '../../model/index.js';
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
  const once = (freeze: boolean): number => {
    setAutoFreeze(freeze);
    const t0 = performance.now();
    for (const r of recorded) {
      let s = initialState(r.profile);
      for (let i = 0; i < r.calls.length; i++) {
        const m = firstMatch(step(s, r.calls[i]!), r.obs[i]!);
        if (!m) throw new Error('recorded answer no longer matches');
        s = m.next(r.obs[i]!);
      }
    }
    return total / ((performance.now() - t0) / 1000);
  };
  // One warm-up round, then the two in turn, best of 3 each.
  once(false);
  let frozen = 0;
  let fast = 0;
  for (let round = 0; round < 3; round++) {
    frozen = Math.max(frozen, once(true));
    fast = Math.max(fast, once(false));
  }
  setAutoFreeze(FREEZE);
  console.log(`model        ${n0(fast)} steps/s with ${RULES.length} rules (best of 3 over ${total} recorded steps; target >= 300,000)`);
  console.log(`             baseline, worlds deep-frozen as in the tests: ${n0(frozen)} steps/s; ${(fast / frozen).toFixed(2)}x`);
}

const n0 = (x: number): string => Math.round(x).toLocaleString('en');
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

async function adapterVsC(): Promise<void> {
  const n = 2000;
  const rounds = 5;
  const dir = mkdtempSync(join(tmpdir(), 'sockspec-bench-'));
  const cc = spawnSync('cc', ['-O2', '-o', join(dir, 'cloop'), join(import.meta.dirname, 'cloop.c')], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`cc failed: ${cc.stderr}`);
  const out = { ptr: 'ok' as const, lenPtr: 'ok' as const, len: 16 };
  const cRates: number[] = [];
  const aRates: number[] = [];
  // C and adapter in turn, round by round, so that a drift of the machine hits both.
  for (let round = 0; round < rounds; round++) {
    const c = spawnSync(join(dir, 'cloop'), [String(n)], { encoding: 'utf8' });
    const [, cCalls, cSecs] = c.stdout.trim().split(' ').map(Number);
    cRates.push(cCalls! / cSecs!);
    const s = await linuxAdapter.open({ deadlineMs: 50 });
    let calls = 0;
    const t0 = performance.now();
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
    aRates.push(calls / ((performance.now() - t0) / 1000));
    await s.close();
  }
  rmSync(dir, { recursive: true, force: true });
  const ratios = cRates.map((c, i) => c / aRates[i]!);
  console.log(`linux        ${n0(median(aRates))} calls/s through the adapter, ${n0(median(cRates))} calls/s in C: ${median(ratios).toFixed(2)}x (median of ${rounds} rounds, each ${ratios.map((r) => r.toFixed(2)).join(' ')}; target <= 1.5x; same 13-call loop, ${n} iterations)`);
  console.log('             (the adapter also moves new fds into its region, reads getsockname after bind/listen/connect, and probes before accept/connect)');
}

/** One whole `sockspec run` (start-up included); sequences per second of wall time. */
function cliRun(adapter: string, runs: number, jobs: number): { rate: number; calls: number } {
  const dir = mkdtempSync(join(tmpdir(), 'sockspec-bench-'));
  try {
    const json = join(dir, 'run.json');
    const bin = join(import.meta.dirname, '../../bin/sockspec.mjs');
    const args = [bin, 'run', '--adapter', adapter, '--runs', String(runs), '--seed', '11', '--max-length', '30', '--jobs', String(jobs), '--json', json, '--no-color'];
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
    const secs = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`sockspec ${args.slice(1).join(' ')} exited ${r.status}:\n${r.stdout}${r.stderr}`);
    const j = JSON.parse(readFileSync(json, 'utf8')) as { sequences: number; calls: number };
    return { rate: j.sequences / secs, calls: j.calls / j.sequences };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function endToEnd(): Promise<void> {
  const runs = 2000;
  const model = cliRun('model', runs, 1);
  const one = cliRun('linux', runs, 1);
  const two = cliRun('linux', runs, 2);
  console.log(`end-to-end   ${n0(one.rate)} sequences/s on one core, mean length ${one.calls.toFixed(1)} calls (sockspec run --adapter linux --runs ${runs} --seed 11 --max-length 30, whole command; target >= 1,000)`);
  console.log(`             --jobs 2: ${n0(two.rate)} sequences/s, ${(two.rate / one.rate).toFixed(2)}x one job (target >= 1.7x)`);
  console.log(`             baseline, the model alone on the same sequences (--adapter model): ${n0(model.rate)} sequences/s; the kernel run is ${(model.rate / one.rate).toFixed(2)}x slower`);
}

async function memory(): Promise<void> {
  const marks = [10_000, 100_000];
  const heap: number[] = [];
  const rss: number[] = [];
  const t0 = performance.now();
  await check({
    adapter: modelAdapter(), runs: marks[1]!, seed: 13, maxLength: 30, invalid: 0.2, deadlineMs: 50,
    onProgress: (p) => {
      if (p.phase === 'run' && marks.includes(p.sequences)) {
        gc?.();
        heap.push(process.memoryUsage().heapUsed / 2 ** 20);
        rss.push(process.memoryUsage().rss / 2 ** 20);
      }
    },
  });
  const secs = (performance.now() - t0) / 1000;
  const growth = heap.length === 2 ? ` (${heap[1]! >= heap[0]! ? '+' : ''}${((heap[1]! / heap[0]! - 1) * 100).toFixed(1)}%; target within 10%)` : '';
  console.log(`memory       heap after GC at ${marks.map(n0).join(' / ')} sequences of the model: ${heap.map((h) => h.toFixed(1)).join(' / ')} MiB${growth}; rss ${rss.map((h) => h.toFixed(0)).join(' / ')} MiB; ${n0(marks[1]! / secs)} sequences/s${gc ? '' : ' (no --expose-gc: heap not collected first)'}`);
}

console.log(`sockspec bench (node ${process.version}, ${new Date().toISOString()})`);
await modelSteps();
if (process.argv.includes('--model-only')) process.exit(0);
const why = linuxAvailable();
if (why !== undefined) {
  console.log(`linux        skipped: ${why}`);
} else {
  await adapterVsC();
  await endToEnd();
}
await memory();
