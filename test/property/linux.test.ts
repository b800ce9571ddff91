/**
 * The model against the real kernel: a pinned-seed random run that must find no
 * divergence, and the self-check that a deliberately wrong model is caught, shrunk to at
 * most 4 calls, and that the C reproducer prints the kernel's side of that trace.
 * Skipped, with the reason in the test name, where the linux adapter cannot run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check } from '../../harness/check.js';
import { traceToC } from '../../harness/render/c.js';
import { renderCall, renderObserved } from '../../harness/render/text.js';
import type { Trace } from '../../harness/render/trace.js';
import { linuxAdapter, linuxAvailable } from '../../adapters/linux/index.js';
import { listenNeverAutobinds } from '../harness/mutants.js';
import { runSequence } from '../../harness/runner.js';
import { socketcallUnavailable } from '../../adapters/linux/session.js';
import type { Call } from '../../spec/call.js';
import { execAdapter } from '../../adapters/exec/index.js';

/** Pinned seed; a failure prints it with the replay path. */
const SEED = 20261121;
const why = linuxAvailable();
const suite = why === undefined ? describe : describe.skip;
const name = (s: string): string => (why === undefined ? s : `${s} (skipped: ${why})`);

/** Ephemeral ports differ from run to run; everything else must be equal. */
const maskPorts = (line: string): string => line.replace(/:(3[2-9]\d{3}|[4-5]\d{4}|60\d{3})\b/g, ':EPH');

/**
 * Compiles the trace's C program with -Wall -Werror, runs it (in its own namespace), and
 * checks that it prints, call for call, what the trace recorded (ports masked).
 */
function expectReproPrintsTheTrace(trace: Trace): void {
  const dir = mkdtempSync(join(tmpdir(), 'sockspec-repro-'));
  try {
    writeFileSync(join(dir, 'repro.c'), traceToC(trace));
    const cc = spawnSync('cc', ['-Wall', '-Werror', 'repro.c', '-o', 'repro'], { cwd: dir, encoding: 'utf8' });
    expect(cc.status, cc.stderr).toBe(0);
    const run = spawnSync('./repro', [], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
    expect(run.status, run.stderr).toBe(0);
    const printed = run.stdout.split('\n').filter((l) => /^\d+: /.test(l)).map(maskPorts);
    expect(printed.length).toBeGreaterThan(0);
    expect(printed).toEqual(trace.steps.map((x, i) => maskPorts(`${i + 1}: ${renderCall(x.call)} ${renderObserved(x.observed, x.call)}`)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

suite(name('model vs linux'), () => {
  it('pinned_seed_400_sequences_find_no_divergence', async () => {
    // The first 400 sequences of `npm run conformance`'s first job (same seed, same generator options).
    const r = await check({ adapter: linuxAdapter, runs: 400, seed: SEED, maxLength: 60, invalid: 0.2, deadlineMs: 50 });
    expect(r.error).toBeUndefined();
    const f = r.failure;
    expect(f, f && `divergence (seed ${SEED}, path ${f.path}): ${JSON.stringify(f.outcome.steps.slice(-3))}`).toBeUndefined();
    expect(r.sequences).toBe(400);
  });

  it('a_mutant_rule_is_caught_shrunk_to_at_most_4_calls_and_the_C_reproducer_prints_the_kernel_side', async () => {
    const r = await check({ adapter: linuxAdapter, runs: 300, seed: SEED, maxLength: 30, invalid: 0.2, deadlineMs: 50, stepFn: listenNeverAutobinds });
    const f = r.failure;
    expect(f).toBeDefined();
    const steps = f!.outcome.steps;
    expect(steps.length).toBeLessThanOrEqual(4);
    expect(f!.outcome.divergence?.allowed.map((a) => a.rule)).toEqual(['mutant/listen-EINVAL']);
    const trace: Trace = {
      version: 1, adapter: 'linux', seed: SEED, path: f!.path, profile: f!.profile,
      steps: steps.map((s) => (s.rule ? { call: s.call, observed: s.observed, rule: s.rule } : { call: s.call, observed: s.observed })),
      divergence: f!.outcome.divergence!,
    };
    expectReproPrintsTheTrace(trace);
  });

  it('the_reference_wire_helper_agrees_with_the_in_process_linux_adapter_on_the_same_seed', async () => {
    const helper = execAdapter([process.execPath, join(import.meta.dirname, '../../adapters/linux/helper.mjs'), `--marker=sockspec-linux-helper-${process.pid}`], { reuse: true });
    try {
      const opts = { runs: 150, seed: SEED + 1, maxLength: 30, invalid: 0.2, deadlineMs: 50 };
      const viaWire = await check({ ...opts, adapter: helper });
      const inProcess = await check({ ...opts, adapter: linuxAdapter });
      for (const r of [viaWire, inProcess]) {
        expect(r.error).toBeUndefined();
        expect(r.failure?.outcome.steps.slice(-2)).toBeUndefined();
      }
      // Same sequences, same rules reached, as often.
      expect(viaWire.calls).toBe(inProcess.calls);
      expect(Object.fromEntries(viaWire.coverage.counts)).toEqual(Object.fromEntries(inProcess.coverage.counts));
    } finally {
      await helper.dispose();
    }
    // The helper (and its namespaces) are gone.
    const left = spawnSync('pgrep', ['-f', `sockspec-linux-helper-${process.pid}`], { encoding: 'utf8' });
    expect(left.stdout.trim()).toBe('');
  });

  const noSc = why === undefined ? socketcallUnavailable() : why;
  (noSc === undefined ? it : it.skip)(`a_socketcall_and_mmap_trace_s_C_program_makes_the_calls_through_the_32_bit_entry_and_prints_the_kernel_side${noSc === undefined ? '' : ` (skipped: ${noSc})`}`, async () => {
    const inet = (port: number) => ({ ptr: 'ok' as const, len: 16, family: 2, addr: '127.0.0.1', port });
    const buf = { ptr: 'ok' as const, lenPtr: 'ok' as const, len: 16 };
    const calls: Call[] = [
      { op: 'socketcall', num: 1, args: 'ok', call: { op: 'socket', domain: 2, type: 1, protocol: 0 } },
      { op: 'socketcall', num: 2, args: 'ok', call: { op: 'bind', fd: 4, addr: inet(5000) } },
      { op: 'socketcall', num: 4, args: 'ok', call: { op: 'listen', fd: 4, backlog: 1 } },
      { op: 'socket', domain: 2, type: 1, protocol: 0 },
      { op: 'socketcall', num: 3, args: 'ok', call: { op: 'connect', fd: 5, addr: inet(5000) } },
      { op: 'socketcall', num: 5, args: 'ok', call: { op: 'accept', fd: 4, out: buf } },
      { op: 'socketcall', num: 7, args: 'ok', call: { op: 'getpeername', fd: 6, out: buf } },
      { op: 'socketcall', num: 0, args: 'ok' },
      { op: 'socketcall', num: 4, args: 'bad' },
      { op: 'socketcall', num: 2, args: 'ok', readable: 2, call: { op: 'bind', fd: 5, addr: inet(0) } },
      { op: 'socketcall', num: 14, args: 'ok', call: { op: 'setsockopt', fd: 4, level: 1, name: 2, value: 1, optlen: 4 } },
      { op: 'socketcall', num: 18, args: 'ok', readable: 3, call: { op: 'accept4', fd: 4, out: buf, flags: 0 } },
      { op: 'socketcall', num: 13, args: 'ok', call: { op: 'shutdown', fd: 5, how: 1 } },
      { op: 'socketcall', num: 15, args: 'ok', call: { op: 'getsockopt', fd: 4, level: 1, name: 3, opt: { ptr: 'ok', lenPtr: 'ok', len: 4 } } },
      // mmap of a TCP socket (tcp_mmap), a UDP one (sock_no_mmap), a file, with each kind of refusal.
      { op: 'mmap', fd: 4, len: 4096, prot: 1, flags: 1, offset: 0 },
      { op: 'mmap', fd: 4, len: 4096, prot: 2, flags: 2, offset: 0 },
      { op: 'socket', domain: 2, type: 2, protocol: 0 },
      { op: 'mmap', fd: 7, len: 4096, prot: 1, flags: 1, offset: 0 },
      { op: 'mmap', fd: 3, len: 4096, prot: 3, flags: 1, offset: 0 },
      { op: 'mmap', fd: 4, len: 4096, prot: 1, flags: 0x80003, offset: 0 },
    ];
    const session = await linuxAdapter.open({ deadlineMs: 50 });
    let r;
    try { r = await runSequence(session, calls); } finally { await session.close(); }
    expect(r.divergence, JSON.stringify(r.steps.at(-1))).toBeUndefined();
    const trace: Trace = { version: 1, adapter: 'linux', profile: session.profile, steps: r.steps.map((x) => ({ call: x.call, observed: x.observed })) };
    expectReproPrintsTheTrace(trace);
  });
});
