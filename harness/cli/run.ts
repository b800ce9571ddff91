/**
 * `sockspec run`: random sequences against an adapter next to the model, in one process
 * or in parallel jobs (child processes of this command, job i with seed + i), then one
 * report: minimal traces, expected divergences, a summary, and optionally the result as
 * JSON (--json) and JUnit XML (--junit). Exit status: 0 conformant (or only expected
 * divergences), 1 a new divergence, 2 usage or set-up error, 130 interrupted.
 */
import { variantsText } from '../../spec/variants.js';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { checkOutputDir, checkOutputFile, makeDirs, writeFileAtomic } from '../files.js';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Adapter } from '../../spec/adapter.js';
import type { Op } from '../../spec/call.js';
import { adapterByName, disposeAdapter, namesAProgram } from '../adapters.js';
import { check, type Progress } from '../check.js';
import { checkRewritable, keyOf, knownOf, notAnAnswer, readExpectations, signatureOf, writeExpectations, type ExpectationFile } from '../expectations.js';
import { recheck } from '../recheck.js';
import { traceToC } from '../render/c.js';
import { traceToJson } from '../render/json.js';
import { renderTrace, shellWord } from '../render/text.js';
import type { Trace } from '../render/trace.js';
import { depthOf, mergeResults, resultFromJson, ruleCounts, toJUnit, type DivergenceResult, type RunResult } from '../results.js';
import { recordedOfTrace, stillDiverges } from '../replay.js';
import { RULES } from '../../model/index.js';
import { familiesLine, probeFamilies } from '../families.js';
import type { RunArgs } from './args.js';

const BIN = join(import.meta.dirname, '../../bin/sockspec.mjs');
/** Child jobs report progress on stderr in lines starting with this. */
const PROGRESS = '@@sockspec-progress ';
/** A child job hands its result to the parent on stdout, in one line starting with this. */
const RESULT = '@@sockspec-result ';

export async function runCmd(a: RunArgs): Promise<number> {
  checkPaths(a);
  if (a.jobs > 1) return runParallel(a);
  if (a.child) listenToParent();
  const adapter = await adapterByName(a.adapter, { reuseHelper: a.reuseHelper });
  let result: RunResult;
  try {
    result = await runJob(adapter, a);
  } finally {
    await disposeAdapter(adapter);
  }
  return finish(result, a);
}

/**
 * The files a run writes and the expectations file it reads, checked before any work
 * starts (after a long run is too late to learn that --json cannot be written): throws
 * a one-line Error naming the option. Creates nothing.
 */
function checkPaths(a: RunArgs): void {
  checkOutputDir(a.out, '--out');
  if (a.json !== undefined) checkOutputFile(a.json, '--json');
  if (a.junit !== undefined) checkOutputFile(a.junit, '--junit');
  if (a.expectations === undefined) return;
  if (existsSync(a.expectations)) {
    readExpectations(a.expectations);
    if (a.updateExpectations) checkRewritable(a.expectations);
  }
  if (a.updateExpectations) checkOutputFile(a.expectations, '--expectations');
}

function expectationsFor(a: RunArgs, adapter: string): { path?: string; file?: ExpectationFile } {
  const path = a.expectations ?? (existsSync(`adapters/${adapter}/expectations.json`) ? `adapters/${adapter}/expectations.json` : undefined);
  if (path === undefined) return {};
  if (existsSync(path)) {
    if (a.updateExpectations) checkRewritable(path);
    return { path, file: readExpectations(path) };
  }
  if (a.updateExpectations) return { path, file: { version: 1, adapter, expected: [] } };
  throw new Error(`${path}: no such file (use --update-expectations to start one)`);
}

/** Set in a parallel job once it is asked to stop (listenToParent). */
let jobStopped = false;

/**
 * How a parallel job is stopped. A job runs in a process group of its own (the terminal's
 * Ctrl-C does not reach it: a signal arriving while it still loads would kill it with no
 * result), and its parent writes on its stdin: `stop` (stop after this sequence, report)
 * or `quit` (exit at once; the 'exit' hooks still release helpers). Its stdin closing
 * means the parent is gone (killed): it stops too rather than run on orphaned. A SIGINT
 * or SIGTERM sent to the job itself means `stop`.
 */
function listenToParent(): void {
  const stop = (): void => { jobStopped = true; };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line === 'quit') process.exit(130);
    if (line === 'stop') stop();
  }).on('close', stop);
  // (stdin does not keep the job alive once its work is done)
  (process.stdin as { unref?: () => void }).unref?.();
}

/** How often a listed divergence not met in a run is replayed before it is reported as fixed. */
const REPLAYS_BEFORE_FIXED = 4;

/** One job: the property run, its minimal trace written out, expected ones counted. */
async function runJob(adapter: Adapter, a: RunArgs): Promise<RunResult> {
  const probe = await adapter.open({ deadlineMs: a.deadlineMs });
  const kernel = probe.profile.kernel;
  const variants = variantsText(probe.profile.variants);
  let families: Record<string, string>;
  try { families = await probeFamilies(probe); } finally { await probe.close(); }
  const notRun = adapter.unsupported?.() ?? new Map<Op, string>();
  const exp = expectationsFor(a, adapter.name);
  let stop: RunResult['stopped'];
  const onInt = (): void => {
    if (stop === 'interrupted') process.exit(130);
    stop = 'interrupted';
    process.stderr.write('\nsockspec: interrupted; finishing the current sequence (Ctrl-C again to quit at once)\n');
  };
  // (a parallel job's signals are handled by listenToParent)
  if (!a.child) {
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onInt);
  }
  // (printed once the handlers are in place: a Ctrl-C right after it must not kill this process)
  if (!a.child) {
    console.error(`sockspec: ${a.runs} sequences (length <= ${a.maxLength}) against '${adapter.name}', seed ${a.seed}${a.path ? `, path ${a.path}` : ''}` +
      `${a.timeBudgetS !== undefined ? `, time budget ${a.timeBudgetS} s` : ''}; kernel ${kernel}, variants ${variants}`);
    for (const line of notRunLines(Object.fromEntries(notRun))) console.error(`sockspec: not run here: ${line}`);
  }
  const t0 = Date.now();
  const progress = a.child ? childProgress() : progressBar(a.runs, 1);
  const report = await check({
    ...(exp.file ? { known: knownOf(exp.file.expected) } : {}),
    shouldStop: () => {
      if (jobStopped) stop ??= 'interrupted';
      if (stop === undefined && a.timeBudgetS !== undefined && Date.now() - t0 >= a.timeBudgetS * 1000) stop = 'time-budget';
      return stop !== undefined;
    },
    adapter, runs: a.runs, seed: a.seed, maxLength: a.maxLength, invalid: a.invalid, deadlineMs: a.deadlineMs,
    ...(a.path !== undefined ? { path: a.path } : {}),
    skip: new Set(notRun.keys()),
    onProgress: (p) => progress.update([p]),
  });
  progress.done();
  process.off('SIGINT', onInt);
  process.off('SIGTERM', onInt);

  const result: RunResult = {
    version: 1, tool: 'sockspec', adapter: adapter.name, kernel, variants, seed: a.seed, jobs: 1,
    generator: { maxLength: a.maxLength, invalid: a.invalid }, sequences: report.sequences, calls: report.calls,
    elapsedMs: report.elapsedMs, rules: ruleCounts(report), ops: Object.fromEntries(report.opCalls), divergences: [], exit: 0,
  };
  result.depth = depthOf(result.rules, report.sequences, report.depth);
  if (stop !== undefined) result.stopped = stop;
  if (notRun.size > 0) result.notRun = Object.fromEntries(notRun);
  result.families = families;
  if (report.error !== undefined) result.error = report.error;
  const f = report.failure;
  if (f?.outcome.divergence) {
    const trace: Trace = {
      version: 1, adapter: adapter.name, seed: a.seed, path: f.path, generator: { maxLength: a.maxLength, invalid: a.invalid }, profile: f.profile,
      steps: f.outcome.steps.map((s) => (s.rule ? { call: s.call, observed: s.observed, rule: s.rule } : s.expected ? { call: s.call, observed: s.observed, expected: s.expected } : { call: s.call, observed: s.observed })),
      divergence: f.outcome.divergence,
    };
    makeDirs(a.out);
    // Adapter names such as `exec:./my shim --x` are not file names.
    const safe = adapter.name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60);
    const base = join(a.out, `divergence-${safe}-seed${a.seed}`);
    const files = { json: `${base}.json`, c: `${base}.c` };
    writeFileAtomic(files.json, traceToJson(trace));
    writeFileAtomic(files.c, traceToC(trace));
    const sig = signatureOf(f.outcome)!;
    result.divergences.push({
      signature: keyOf(sig), op: sig.op, allowed: sig.allowed, observed: sig.observed, seed: a.seed, path: f.path, flaky: f.flaky, trace, files,
      // (a trace never chooses a program to run: an exec: adapter is named on the command line)
      replay: `npx sockspec replay ${files.json}${namesAProgram(adapter.name) ? ` --adapter ${shellWord(adapter.name)}` : ''}`,
    });
  } else if (f?.outcome.error !== undefined) {
    result.error = f.outcome.error;
  }
  if (exp.file && exp.path !== undefined) {
    result.expected = { file: exp.path, met: Object.fromEntries(report.expectedMet), fixed: [] };
    // A listed divergence not met by chance is replayed: one that no longer diverges is fixed.
    // It is replayed up to REPLAYS_BEFORE_FIXED times: where the implementation draws an
    // answer the model constrains (gVisor picks an ephemeral port at random, Linux an odd
    // one for bind), a listed trace diverges on some runs only.
    // (In parallel runs job 0 does this for all.)
    if (!a.child || a.jobIndex === 0) {
      for (const e of exp.file.expected) {
        if (report.expectedMet.has(keyOf(e))) continue;
        // Replayed a few times: a stack that draws ephemeral ports at random (gVisor) meets a listed trace only now and then.
        // (the others followed on the way, as the run that found it did; itself not)
        const others = knownOf(exp.file.expected.filter((x) => keyOf(x) !== keyOf(e)));
        let again = false;
        for (let i = 0; i < REPLAYS_BEFORE_FIXED && !again; i++) again = await stillDiverges(adapter, e, a.deadlineMs, others);
        if (!again) result.expected.fixed.push(keyOf(e));
      }
    }
    if (f?.outcome.divergence && a.updateExpectations) {
      const sig = signatureOf(f.outcome)!;
      const why = notAnAnswer(f.outcome.steps[f.outcome.divergence.index]!.observed);
      if (why !== undefined) console.log(`not added to ${exp.path}: ${keyOf(sig)} is a harness error, not the implementation's answer (${why})`);
      else if (f.flaky) console.log(`not added to ${exp.path}: ${keyOf(sig)} did not happen again when its sequence was re-run (flaky)`);
      else {
        // Re-checked before it is kept, the last time with a 10x deadline (a blocked answer may be a deadline under load).
        const rc = await recheck(adapter, recordedOfTrace(result.divergences[0]!.trace, 'new divergence'), keyOf(sig), a.deadlineMs, 2, knownOf(exp.file.expected));
        if (!rc.reproduced) console.log(`not added to ${exp.path}: ${keyOf(sig)} did not reproduce on every re-run (${rc.runs.join('; ')}): flaky`);
        else {
          exp.file.expected.push({
            ...sig, note: 'new: describe what the implementation does instead', kind: 'not analysed', world: f.case.world,
            calls: f.outcome.steps.map((st) => st.call), answers: f.outcome.steps.map((st) => st.observed),
          });
          try {
            writeExpectations(exp.path, exp.file);
            console.log(`added ${keyOf(sig)} to ${exp.path}`);
          } catch (e) {
            result.error = (e as Error).message;
          }
        }
      }
    }
  }
  result.exit = result.error !== undefined ? 2 : result.divergences.length > 0 ? 1 : stop === 'interrupted' ? 130 : 0;
  return result;
}

/** Prints the report, writes --json and --junit; returns the exit status. */
function finish(r: RunResult, a: RunArgs): number {
  if (a.child) {
    process.stdout.write(`${RESULT}${JSON.stringify(r)}\n`);
    return r.exit;
  }
  for (const d of r.divergences) printDivergence(d, a);
  if (r.expected) {
    console.log(`\nexpected divergences (${r.expected.file}): ${Object.keys(r.expected.met).length} met in this run`);
    for (const [k, n] of Object.entries(r.expected.met).sort()) console.log(`  ${String(n).padStart(6)}x  ${k}`);
    for (const k of r.expected.fixed) console.log(`  FIXED?  ${k} no longer reproduces (re-running its trace no longer diverges this way)`);
  }
  console.log(summary(r, a));
  if (a.json !== undefined) writeOut(a.json, `${JSON.stringify(r, null, 2)}\n`);
  if (a.junit !== undefined) writeOut(a.junit, toJUnit(r));
  if (r.error !== undefined) console.error(`sockspec: ${r.error}`);
  if (a.minCoverage !== undefined && r.exit === 0) {
    const total = Object.keys(r.rules).length;
    const pct = (100 * Object.values(r.rules).filter((n) => n > 0).length) / Math.max(1, total);
    if (pct < a.minCoverage) {
      console.error(`sockspec: rule coverage ${pct.toFixed(1)}% is below --min-coverage ${a.minCoverage}%`);
      return 1;
    }
  }
  return r.exit;
}

function writeOut(path: string, text: string): void {
  writeFileAtomic(path, text);
}

function printDivergence(d: DivergenceResult, a: RunArgs): void {
  console.log(renderTrace(d.trace, { color: a.color, ...(d.files ? { files: d.files } : {}) }));
  if (d.flaky) console.log('note: this divergence did not happen again when its sequence was re-run: the answer depends on something the model does not fix (timing?); the trace above is the run that diverged.');
  console.log('');
}

function summary(r: RunResult, a: RunArgs): string {
  const total = Object.keys(r.rules).length;
  const covered = Object.values(r.rules).filter((n) => n > 0).length;
  const secs = r.elapsedMs / 1000;
  const why = r.stopped === 'interrupted' ? ' (interrupted)' : r.stopped === 'time-budget' ? ` (time budget of ${a.timeBudgetS} s spent)` : '';
  const lines = [
    '',
    `adapter      ${r.adapter}`,
    `seed         ${r.seed}${r.jobs > 1 ? ` (jobs ${r.jobs}: seeds ${r.seed}..${r.seed + r.jobs - 1})` : ''}`,
    `sequences    ${r.sequences}${why}${r.divergences.length > 0 ? ' (each job stops at its first divergence)' : ''}`,
    `calls        ${r.calls}`,
    `divergences  ${r.divergences.length}`,
    `rules        ${covered}/${total} covered (${((100 * covered) / Math.max(1, total)).toFixed(1)}%)`,
    ...(r.depth ? [depthLine(r)] : []),
    `speed        ${(r.sequences / Math.max(secs, 0.001)).toFixed(1)} sequences/s, ${(r.calls / Math.max(secs, 0.001)).toFixed(0)} calls/s, ${secs.toFixed(1)} s`,
  ];
  const un = Object.entries(r.rules).filter(([, n]) => n === 0).map(([k]) => k);
  if (un.length > 0 && un.length <= 40) lines.push(`unreached    ${un.join(' ')}`);
  for (const line of notRunLines(r.notRun ?? {})) lines.push(`not run      ${line}`);
  lines.push(`families     ${familiesLine(r.families)}`);
  if (!a.seedGiven) lines.push(`replay with  --seed ${r.seed}${r.jobs > 1 ? ` --jobs ${r.jobs}` : ''}`);
  return lines.join('\n');
}

/** The depth line: sequences ended at an expected divergence, and those that went past or around one. */
function depthLine(r: RunResult): string {
  const d = r.depth!;
  return `depth        ${d.rulesReached} rules reached; ${d.endedExpected}/${r.sequences} sequences (${(100 * d.endedExpectedShare).toFixed(1)}%) ended at an expected divergence; `
    + `${d.followedSequences} went on past one (${d.followedSteps} steps followed), ${d.steeredSequences} were steered around one (${d.steered} calls)`
    + `${d.notRunCalls > 0 ? `; ${d.notRunCalls} calls not run (unsupported)` : ''}`;
}

/** Calls not run, grouped by reason: `send, recv: the helper (lwip) does not list it in its hello`. */
function notRunLines(notRun: Record<string, string>): string[] {
  const byWhy = new Map<string, string[]>();
  for (const [op, why] of Object.entries(notRun)) byWhy.set(why, [...(byWhy.get(why) ?? []), op]);
  return [...byWhy].map(([why, ops]) => `${ops.join(', ')}: ${why}`);
}

interface JobProgress { sequences: number; calls: number; phase: 'run' | 'shrink' }

/** A child job's progress, as lines on stderr for its parent. */
function childProgress(): { update: (ps: JobProgress[]) => void; done: () => void } {
  let last = 0;
  return {
    update([p]) {
      const now = Date.now();
      if (now - last < 200 && p!.phase === 'run') return;
      last = now;
      process.stderr.write(`${PROGRESS}${JSON.stringify({ sequences: p!.sequences, calls: p!.calls, phase: p!.phase })}\n`);
    },
    done() {},
  };
}

/** The progress bar: sequences done, rate, divergences so far (a job that is shrinking has one). */
function progressBar(total: number, jobs: number): { update: (ps: readonly (JobProgress | Progress)[]) => void; done: () => void } {
  const tty = process.stderr.isTTY === true;
  const t0 = Date.now();
  let last = 0;
  let lastLine = '';
  return {
    update(ps) {
      const now = Date.now();
      if (now - last < (tty ? 100 : 5000)) return;
      last = now;
      const seqs = ps.reduce((s, p) => s + p.sequences, 0);
      const calls = ps.reduce((s, p) => s + p.calls, 0);
      const divs = ps.filter((p) => p.phase === 'shrink').length;
      const rate = seqs / Math.max(0.001, (now - t0) / 1000);
      const width = 24;
      const done = Math.min(width, Math.round((width * seqs) / Math.max(1, total)));
      const bar = `[${'#'.repeat(done)}${'-'.repeat(width - done)}]`;
      lastLine = `  ${bar} ${seqs}/${total} sequences, ${calls} calls, ${rate.toFixed(0)} seq/s, divergences ${divs}${divs > 0 ? ' (shrinking)' : ''}${jobs > 1 ? `, ${jobs} jobs` : ''}`;
      if (tty) process.stderr.write(`\r${lastLine}\x1b[K`);
      else process.stderr.write(`${lastLine}\n`);
    },
    done() {
      if (tty && lastLine) process.stderr.write('\r\x1b[K');
    },
  };
}

/** The number of jobs `--jobs 0` means: one per core. */
export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

/**
 * Parallel jobs: child processes of this command (so that real adapters, which block
 * their thread in system calls, run on all cores), job i with seed + i and its share of
 * the runs. A Ctrl-C or SIGTERM that reaches this process is passed on (listenToParent):
 * each job finishes its sequence and hands over its result, and the merged report
 * follows. A second one stops the jobs at once, with no report.
 */
async function runParallel(a: RunArgs): Promise<number> {
  // Fail fast, in this process, on what every child would fail on.
  const adapter = await adapterByName(a.adapter, { reuseHelper: a.reuseHelper });
  const probe = await adapter.open({ deadlineMs: a.deadlineMs });
  const kernel = probe.profile.kernel;
  const variants = variantsText(probe.profile.variants);
  await probe.close();
  await disposeAdapter(adapter);
  expectationsFor(a, adapter.name);
  const t0 = Date.now();
  const bar = progressBar(a.runs, a.jobs);
  const progress: JobProgress[] = [];
  const children: ReturnType<typeof spawn>[] = [];
  let signals = 0;
  const onInt = (): void => {
    signals++;
    const live = children.filter((c) => c.exitCode === null && c.signalCode === null);
    if (signals === 1) {
      process.stderr.write('\nsockspec: interrupted; each job finishes its current sequence (Ctrl-C again to stop them at once)\n');
      for (const c of live) c.stdin!.write('stop\n');
    } else if (signals === 2) {
      process.stderr.write('\nsockspec: stopping every job at once\n');
      // A job quits through process.exit, which still releases its helpers (adapters/exec/reaper.ts).
      for (const c of live) c.stdin!.write('quit\n');
      setTimeout(() => { for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL'); }, 5000).unref();
    }
  };
  process.on('SIGINT', onInt);
  // Terminated (a CI timeout): the jobs are asked to stop as for Ctrl-C, and this process
  // waits for them and reports as usual.
  process.on('SIGTERM', onInt);
  // (printed once the handlers are in place: a Ctrl-C right after it must not kill this process)
  console.error(`sockspec: ${a.runs} sequences (length <= ${a.maxLength}) against '${adapter.name}' in ${a.jobs} jobs, seeds ${a.seed}..${a.seed + a.jobs - 1}` +
    `${a.timeBudgetS !== undefined ? `, time budget ${a.timeBudgetS} s` : ''}; kernel ${kernel}, variants ${variants}`);
  try {
    const jobs = Array.from({ length: a.jobs }, (_, i) => {
      const runs = Math.floor(a.runs / a.jobs) + (i < a.runs % a.jobs ? 1 : 0);
      const args = [
        BIN, 'run', '--adapter', a.adapter, '--runs', String(Math.max(1, runs)), '--seed', String(a.seed + i),
        '--max-length', String(a.maxLength), '--invalid', String(a.invalid), '--deadline', String(a.deadlineMs), '--out', a.out,
        '--child', String(i),
        ...(a.timeBudgetS !== undefined ? ['--time-budget', String(a.timeBudgetS)] : []),
        ...(a.expectations !== undefined ? ['--expectations', a.expectations] : []),
        ...(a.reuseHelper ? ['--reuse-helper'] : []),
      ];
      // (--min-coverage is the parent's: it applies to the merged result.)
      progress.push({ sequences: 0, calls: 0, phase: 'run' });
      // stdin: 'stop' and 'quit' from onInt, and EOF if this process dies; a group of its own (listenToParent).
      const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      child.stdin!.on('error', () => { /* the job is gone: nothing to tell it */ });
      children.push(child);
      let reported: string | undefined;
      const stderr: string[] = [];
      const stdout: string[] = [];
      createInterface({ input: child.stderr! }).on('line', (line) => {
        if (line.startsWith(PROGRESS)) {
          try { progress[i] = JSON.parse(line.slice(PROGRESS.length)) as JobProgress; } catch { /* a torn line: skip it */ }
          bar.update(progress);
        } else stderr.push(line);
      });
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (line.startsWith(RESULT)) reported = line.slice(RESULT.length);
        else stdout.push(line);
      });
      return new Promise<RunResult>((resolve) => {
        child.on('close', (code, signal) => {
          try {
            if (reported === undefined) throw new Error('no result');
            resolve(resultFromJson(reported, `job ${i}'s result`));
          } catch (e) {
            const why = reported !== undefined ? (e as Error).message : signal ? `killed by ${signal}` : `exit status ${code}`;
            const empty = {
              version: 1, tool: 'sockspec', adapter: a.adapter, kernel, variants, seed: a.seed + i, jobs: 1, generator: { maxLength: a.maxLength, invalid: a.invalid },
              sequences: progress[i]!.sequences, calls: progress[i]!.calls, elapsedMs: 0, rules: {}, ops: {}, divergences: [] as DivergenceResult[],
            } as const;
            // A Ctrl-C to the whole group in the instant between fork and the job's own
            // process group kills it before it ran anything: interrupted, not an error.
            if (reported === undefined && signals > 0 && (signal === 'SIGINT' || signal === 'SIGTERM') && progress[i]!.sequences === 0) {
              resolve({ ...empty, stopped: 'interrupted', exit: 130 });
              return;
            }
            resolve({
              ...empty,
              error: `job ${i} (seed ${a.seed + i}) ended without a result (${why})${stderr.length ? `: ${stderr.slice(-5).join(' | ')}` : ''}${stdout.length ? ` ${stdout.slice(-3).join(' | ')}` : ''}`,
              exit: 2,
            });
          }
        });
      });
    });
    const results = await Promise.all(jobs);
    bar.done();
    if (signals >= 2) {
      console.error('sockspec: stopped at once (no report)');
      return 130;
    }
    const merged = mergeResults(results);
    merged.elapsedMs = Date.now() - t0;
    // Rules no job reached are still listed.
    const full = results.find((r) => Object.keys(r.rules).length > 0)?.rules ?? Object.fromEntries(RULES.map((k) => [k, 0]));
    merged.rules = { ...Object.fromEntries(Object.keys(full).map((k) => [k, 0])), ...merged.rules };
    if (merged.depth) merged.depth = depthOf(merged.rules, merged.sequences, merged.depth);
    return finish(merged, a);
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onInt);
  }
}
