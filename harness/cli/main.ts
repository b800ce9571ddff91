/**
 * `sockspec` command line: `run` (random sequences against an adapter, shrinking, trace
 * files) and help. Returns the exit status; never throws for user errors.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { keyOf, readExpectations, signatureOf, writeExpectations } from '../expectations.js';
import { runSequence } from '../runner.js';
import { join } from 'node:path';
import { check, type CheckReport, type Progress } from '../check.js';
import { adapterByName, disposeAdapter } from '../adapters.js';
import { parseReplay, parseRun, USAGE, UsageError, type ReplayArgs, type RunArgs } from './args.js';
import { divergenceKey, loadRecorded, replay, shrinkRecorded, type Recorded, type ReplayResult } from '../replay.js';
import { basename } from 'node:path';
import { renderTrace } from '../render/text.js';
import { traceToJson } from '../render/json.js';
import { expectationsMarkdown } from '../render/expectations-md.js';
import { traceToC } from '../render/c.js';
import type { Trace } from '../render/trace.js';
import type { Profile } from '../../spec/profile.js';
import type { Adapter } from '../../spec/adapter.js';

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '-h' || cmd === '--help' || cmd === 'help') {
    console.log(USAGE);
    return cmd === undefined ? 2 : 0;
  }
  try {
    if (cmd === 'run') {
      if (rest.includes('-h') || rest.includes('--help')) { console.log(USAGE); return 0; }
      return await run(parseRun(rest));
    }
    if (cmd === 'expectations') {
      if (rest.length !== 1 || rest[0]!.startsWith('-')) throw new UsageError('expectations needs one expectations file');
      console.log(expectationsMarkdown(readExpectations(rest[0]!)));
      return 0;
    }
    if (cmd === 'replay' || cmd === 'shrink') {
      if (rest.includes('-h') || rest.includes('--help')) { console.log(USAGE); return 0; }
      const a = parseReplay(rest, cmd === 'shrink');
      return cmd === 'replay' ? await replayCmd(a) : await shrinkCmd(a);
    }
    throw new UsageError(`unknown command '${cmd}'`);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`sockspec: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    console.error(`sockspec: ${(e as Error).message}`);
    return 2;
  }
}

async function run(a: RunArgs): Promise<number> {
  const adapter = await adapterByName(a.adapter, { reuseHelper: a.reuseHelper });
  try {
    return await runWith(adapter, a);
  } finally {
    await disposeAdapter(adapter);
  }
}

async function runWith(adapter: Adapter, a: RunArgs): Promise<number> {
  const progress = progressPrinter(a.runs);
  let profile: Profile | undefined;
  const probe = await adapter.open({ deadlineMs: a.deadlineMs });
  profile = probe.profile;
  await probe.close();
  console.error(`sockspec: ${a.runs} sequences (length <= ${a.maxLength}) against '${adapter.name}', seed ${a.seed}${a.path ? `, path ${a.path}` : ''}; kernel ${profile.kernel}`);
  let stop = false;
  const onInt = (): void => {
    if (stop) process.exit(130);
    stop = true;
    process.stderr.write('\nsockspec: interrupted; finishing the current sequence (Ctrl-C again to quit at once)\n');
  };
  process.on('SIGINT', onInt);
  const expPath = a.expectations ?? (existsSync(`adapters/${adapter.name}/expectations.json`) ? `adapters/${adapter.name}/expectations.json` : undefined);
  const exp = expPath !== undefined && existsSync(expPath) ? readExpectations(expPath) : expPath !== undefined && a.updateExpectations ? { version: 1 as const, adapter: adapter.name, expected: [] } : undefined;
  if (expPath !== undefined && exp === undefined) throw new Error(`${expPath}: no such file (use --update-expectations to start one)`);
  const report = await check({
    ...(exp ? { expected: new Set(exp.expected.map(keyOf)) } : {}),
    shouldStop: () => stop,
    adapter, runs: a.runs, seed: a.seed, maxLength: a.maxLength, invalid: a.invalid, deadlineMs: a.deadlineMs,
    ...(a.path !== undefined ? { path: a.path } : {}),
    onProgress: progress.update,
  });
  progress.done();
  process.off('SIGINT', onInt);
  let files: { json: string; c: string } | undefined;
  if (report.failure) {
    const f = report.failure;
    const trace: Trace = {
      version: 1, adapter: adapter.name, seed: a.seed, path: f.path, generator: { maxLength: a.maxLength, invalid: a.invalid }, profile: f.profile,
      steps: f.outcome.steps.map((s) => (s.rule ? { call: s.call, observed: s.observed, rule: s.rule } : { call: s.call, observed: s.observed })),
      ...(f.outcome.divergence ? { divergence: f.outcome.divergence } : {}),
    };
    mkdirSync(a.out, { recursive: true });
    // Adapter names such as `exec:./my shim --x` are not file names.
    const safe = adapter.name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60);
    const base = join(a.out, `divergence-${safe}-seed${a.seed}`);
    files = { json: `${base}.json`, c: `${base}.c` };
    writeFileSync(files.json, traceToJson(trace));
    writeFileSync(files.c, traceToC(trace));
    console.log(renderTrace(trace, { color: a.color, files }));
    if (f.flaky) console.log('note: this divergence did not happen again when its sequence was re-run: the answer depends on something the model does not fix (timing?); the trace above is the run that diverged.');
    if (f.outcome.error) console.log(`note: ${f.outcome.error}`);
  }
  if (exp) {
    console.log(`\nexpected divergences (${expPath}): ${report.expectedMet.size} of ${exp.expected.length} met in this run`);
    for (const [k, n] of [...report.expectedMet].sort()) console.log(`  ${String(n).padStart(6)}x  ${k}`);
    // A listed divergence not met by chance is replayed: one that no longer diverges is fixed.
    for (const e of exp.expected) {
      if (report.expectedMet.has(keyOf(e))) continue;
      const s = await adapter.open({ deadlineMs: a.deadlineMs, world: e.world });
      let r;
      try { r = await runSequence(s, e.calls); } finally { await s.close(); }
      const sig = signatureOf(r);
      if (!sig || keyOf(sig) !== keyOf(e)) console.log(`  FIXED?  ${keyOf(e)} no longer reproduces (its trace now ${sig ? `diverges as ${keyOf(sig)}` : 'agrees with the model'})`);
    }
    if (report.failure?.outcome.divergence && a.updateExpectations && expPath !== undefined) {
      const sig = signatureOf(report.failure.outcome)!;
      exp.expected.push({ ...sig, note: 'new: describe what the implementation does instead', kind: 'not analysed', world: report.failure.case.world, calls: report.failure.outcome.steps.map((st) => st.call) });
      writeExpectations(expPath, exp);
      console.log(`  added   ${keyOf(sig)} to ${expPath}`);
    }
  }
  console.log(summary(report, a));
  if (report.error) { console.error(`sockspec: ${report.error}`); return 2; }
  if (report.failure) return 1;
  return report.interrupted ? 130 : 0;
}

function summary(r: CheckReport, a: RunArgs): string {
  const [covered, total] = r.coverage.ratio();
  const secs = r.elapsedMs / 1000;
  const lines = [
    '',
    `adapter      ${r.adapter}`,
    `seed         ${r.seed}`,
    `sequences    ${r.sequences}${r.failure ? ` (stopped at the first divergence; ${r.failure.shrinks} shrink steps)` : r.interrupted ? ' (interrupted)' : ''}`,
    `calls        ${r.calls}`,
    `divergences  ${r.failure ? 1 : 0}`,
    `rules        ${covered}/${total} covered (${((100 * covered) / total).toFixed(1)}%)`,
    `speed        ${(r.sequences / secs).toFixed(1)} sequences/s, ${(r.calls / secs).toFixed(0)} calls/s, ${secs.toFixed(1)} s`,
  ];
  const un = r.coverage.unreached();
  if (un.length > 0 && un.length <= 40) lines.push(`unreached    ${un.join(' ')}`);
  if (!a.seedGiven) lines.push(`replay with  --seed ${r.seed}`);
  return lines.join('\n');
}

function progressPrinter(total: number): { update: (p: Progress) => void; done: () => void } {
  const tty = process.stderr.isTTY === true;
  const t0 = Date.now();
  let last = 0;
  let lastLine = '';
  return {
    update(p) {
      const now = Date.now();
      if (now - last < (tty ? 100 : 5000)) return;
      last = now;
      const rate = p.sequences / Math.max(0.001, (now - t0) / 1000);
      lastLine = p.phase === 'run'
        ? `  ${p.sequences}/${total} sequences, ${p.calls} calls, ${rate.toFixed(0)} seq/s`
        : `  divergence found after ${p.sequences} sequences; shrinking (${p.shrinks} attempts)`;
      if (tty) process.stderr.write(`\r${lastLine}\x1b[K`);
      else process.stderr.write(`${lastLine}\n`);
    },
    done() {
      if (tty && lastLine) process.stderr.write('\r\x1b[K');
    },
  };
}

/** The trace of a replayed (or shrunk) run, for the renderers. */
function traceOf(adapter: string, res: ReplayResult): Trace {
  const o = res.outcome;
  return {
    version: 1, adapter, profile: res.profile,
    steps: o.steps.map((s) => (s.rule ? { call: s.call, observed: s.observed, rule: s.rule } : { call: s.call, observed: s.observed })),
    ...(o.divergence ? { divergence: o.divergence } : {}),
  };
}

async function adapterFor(a: ReplayArgs, r: Recorded, cache: Map<string, Adapter>): Promise<Adapter> {
  const name = a.adapter ?? r.adapter ?? 'linux';
  let ad = cache.get(name);
  if (ad === undefined) { ad = await adapterByName(name, { reuseHelper: a.reuseHelper }); cache.set(name, ad); }
  return ad;
}

async function replayCmd(a: ReplayArgs): Promise<number> {
  const all = a.paths.flatMap((p) => loadRecorded(p));
  const cache = new Map<string, Adapter>();
  try {
    return await replayAll(a, all, cache);
  } finally {
    for (const ad of cache.values()) await disposeAdapter(ad);
  }
}

async function replayAll(a: ReplayArgs, all: Recorded[], cache: Map<string, Adapter>): Promise<number> {
  let agree = 0;
  let diverge = 0;
  let same = 0;
  for (const r of all) {
    const adapter = await adapterFor(a, r, cache);
    const res = await replay(adapter, r, a.deadlineMs);
    if (res.outcome.error !== undefined) throw new Error(`${r.source}: ${res.outcome.error}`);
    const key = divergenceKey(res.outcome);
    if (key === undefined) {
      agree++;
      console.log(`agrees    ${r.source} (${res.outcome.steps.length} calls on '${adapter.name}')${r.signature ? `; it was recorded diverging: ${r.signature}` : ''}`);
      continue;
    }
    diverge++;
    if (key === r.signature) same++;
    console.log(`\n${r.source}: ${key === r.signature ? 'diverges as recorded' : r.signature ? `diverges differently (recorded: ${r.signature})` : 'diverges'}`);
    console.log(renderTrace(traceOf(adapter.name, res), { color: a.color }).split('\n').filter((l) => !l.startsWith('replay:')).join('\n'));
  }
  console.log(`\nreplayed     ${all.length} trace${all.length === 1 ? '' : 's'}: ${agree} agree with the model, ${diverge} diverge (${same} as recorded)`);
  return diverge > 0 ? 1 : 0;
}

async function shrinkCmd(a: ReplayArgs): Promise<number> {
  const all = loadRecorded(a.paths[0]!);
  if (all.length !== 1) throw new Error(`${a.paths[0]}: shrink takes one trace, this holds ${all.length}`);
  const r = all[0]!;
  const cache = new Map<string, Adapter>();
  const adapter = await adapterFor(a, r, cache);
  try {
    return await shrinkWith(a, r, adapter);
  } finally {
    await disposeAdapter(adapter);
  }
}

async function shrinkWith(a: ReplayArgs, r: Recorded, adapter: Adapter): Promise<number> {
  const tty = process.stderr.isTTY === true;
  const res = await shrinkRecorded(adapter, r, a.deadlineMs, (n, len) => {
    if (tty) process.stderr.write(`\r  attempt ${n}, trying ${len} calls\x1b[K`);
  });
  if (tty) process.stderr.write('\r\x1b[K');
  if (res === undefined) {
    console.log(`${r.source}: does not diverge on '${adapter.name}' now; nothing to shrink`);
    return 1;
  }
  const trace = traceOf(adapter.name, res);
  mkdirSync(a.out, { recursive: true });
  const base = join(a.out, `${basename(r.source).replace(/\.json$/, '')}.min`);
  const files = { json: `${base}.json`, c: `${base}.c` };
  writeFileSync(files.json, traceToJson(trace));
  writeFileSync(files.c, traceToC(trace));
  console.log(renderTrace(trace, { color: a.color, files }).split('\n').filter((l) => !l.startsWith('replay:')).join('\n'));
  console.log(`\nshrunk       ${r.calls.length} -> ${res.kept.length} calls in ${res.attempts} attempts`);
  return 0;
}
