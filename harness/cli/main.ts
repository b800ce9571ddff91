/**
 * `sockspec` command line: `run` (cli/run.ts), `explore` (cli/explore.ts), `replay`, `shrink`, `expectations` and
 * help. Returns the exit status; never throws for user errors.
 */
import { checkOutputDir, checkOutputFile, makeDirs, writeFileAtomic } from '../files.js';
import { readExpectations } from '../expectations.js';
import { join } from 'node:path';
import { adapterByName, adapterFromFile, disposeAdapter } from '../adapters.js';
import { parseCorpus, parseExplore, parseReplay, parseRun, USAGE, UsageError, type CorpusArgs, type ReplayArgs } from './args.js';
import { exploreCmd } from './explore.js';
import { checkCorpusTrace, generateCorpus, loadCorpus } from '../corpus.js';
import { readResult } from '../results.js';
import { reportHtml } from '../render/report.js';
import { runCmd } from './run.js';
import { divergenceKey, loadRecorded, replay, shrinkRecorded, type Recorded, type ReplayResult } from '../replay.js';
import { basename } from 'node:path';
import { renderTrace } from '../render/text.js';
import { traceToJson } from '../render/json.js';
import { expectationsMarkdown } from '../render/expectations-md.js';
import { traceToC } from '../render/c.js';
import type { Trace } from '../render/trace.js';
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
      return await runCmd(parseRun(rest));
    }
    if (cmd === 'explore') {
      if (rest.includes('-h') || rest.includes('--help')) { console.log(USAGE); return 0; }
      return await exploreCmd(parseExplore(rest));
    }
    if (cmd === 'expectations') {
      if (rest.length !== 1 || rest[0]!.startsWith('-')) throw new UsageError('expectations needs one expectations file');
      console.log(expectationsMarkdown(readExpectations(rest[0]!)));
      return 0;
    }
    if (cmd === 'report') {
      if (rest.includes('-h') || rest.includes('--help')) { console.log(USAGE); return 0; }
      return reportCmd(rest);
    }
    if (cmd === 'corpus') {
      if (rest.includes('-h') || rest.includes('--help')) { console.log(USAGE); return 0; }
      return await corpusCmd(parseCorpus(rest));
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

/** The trace of a replayed (or shrunk) run, for the renderers. */
function traceOf(adapter: string, res: ReplayResult): Trace {
  const o = res.outcome;
  return {
    version: 1, adapter, profile: res.profile,
    steps: o.steps.map((s) => (s.rule ? { call: s.call, observed: s.observed, rule: s.rule } : { call: s.call, observed: s.observed })),
    ...(o.divergence ? { divergence: o.divergence } : {}),
  };
}

/** The adapter name a recording runs on: --adapter, else the file's own unless it names a program (then an Error). */
function adapterNameFor(a: ReplayArgs, r: Recorded): string {
  return a.adapter ?? (r.adapter !== undefined ? adapterFromFile(r.adapter, r.source) : 'linux');
}

async function adapterFor(a: ReplayArgs, r: Recorded, cache: Map<string, Adapter>): Promise<Adapter> {
  const name = adapterNameFor(a, r);
  let ad = cache.get(name);
  if (ad === undefined) { ad = await adapterByName(name, { reuseHelper: a.reuseHelper }); cache.set(name, ad); }
  return ad;
}

async function replayCmd(a: ReplayArgs): Promise<number> {
  const all = a.paths.flatMap((p) => loadRecorded(p));
  // Every file is checked before anything runs.
  for (const r of all) adapterNameFor(a, r);
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
  checkOutputDir(a.out, '--out');
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
  makeDirs(a.out);
  const base = join(a.out, `${basename(r.source).replace(/\.json$/, '')}.min`);
  const files = { json: `${base}.json`, c: `${base}.c` };
  writeFileAtomic(files.json, traceToJson(trace));
  writeFileAtomic(files.c, traceToC(trace));
  console.log(renderTrace(trace, { color: a.color, files }).split('\n').filter((l) => !l.startsWith('replay:')).join('\n'));
  console.log(`\nshrunk       ${r.calls.length} -> ${res.kept.length} calls in ${res.attempts} attempts`);
  return 0;
}

async function corpusCmd(a: CorpusArgs): Promise<number> {
  if (a.sub === 'generate') checkOutputDir(a.dir, '--out');
  const adapter = await adapterByName(a.adapter);
  try {
    if (a.sub === 'check') {
      const all = loadCorpus(a.dir);
      if (all.length === 0) throw new Error(`${a.dir}: no corpus traces here`);
      let bad = 0;
      let na = 0;
      for (const { file, trace } of all) {
        const r = await checkCorpusTrace(adapter, trace, file, a.deadlineMs);
        if (r.kind === 'failure') { bad++; console.log(`FAIL  ${r.why}`); }
        if (r.kind === 'not-applicable') { na++; console.log(`N/A   ${r.why}`); }
      }
      console.log(`${all.length} traces replayed on '${adapter.name}': ${all.length - bad - na} reach their rule, ${bad} fail, `
        + `${na} not applicable (recorded under kernel variants this kernel does not have)`);
      return bad > 0 ? 1 : 0;
    }
    let stop = false;
    const onInt = (): void => { if (stop) process.exit(130); stop = true; };
    process.on('SIGINT', onInt);
    const tty = process.stderr.isTTY === true;
    let last = 0;
    console.error(`sockspec: corpus of '${adapter.name}' in ${a.dir}, seed ${a.seed}, up to ${a.runs} sequences${a.budgetS !== undefined ? ` or ${a.budgetS} s` : ''}`);
    const r = await generateCorpus({
      adapter, out: a.dir, seed: a.seed, runs: a.runs, maxLength: a.maxLength, invalid: a.invalid, deadlineMs: a.deadlineMs,
      ...(a.budgetS !== undefined ? { budgetS: a.budgetS } : {}),
      shouldStop: () => stop,
      onProgress: (p) => {
        if (p.kept) {
          if (tty) process.stderr.write('\r\x1b[K');
          console.log(`kept  ${p.kept.rule.padEnd(36)} ${p.kept.calls} call${p.kept.calls === 1 ? '' : 's'}`);
        }
        const now = Date.now();
        if (now - last < (tty ? 100 : 5000)) return;
        last = now;
        const line = `  ${p.sequences} sequences, ${p.covered}/${p.total} rules kept`;
        if (tty) process.stderr.write(`\r${line}\x1b[K`); else process.stderr.write(`${line}\n`);
      },
    });
    process.off('SIGINT', onInt);
    if (tty) process.stderr.write('\r\x1b[K');
    const all = loadCorpus(a.dir);
    const lens = all.map((c) => c.trace.steps.length).sort((x, y) => x - y);
    const median = lens.length === 0 ? 0 : lens.length % 2 ? lens[(lens.length - 1) / 2]! : (lens[lens.length / 2 - 1]! + lens[lens.length / 2]!) / 2;
    const total = r.covered.length + r.unreached.length;
    console.log([
      '',
      `corpus       ${a.dir}: ${all.length} traces (${r.added.length} added by this run)`,
      `rules        ${r.covered.length}/${total} reached (${((100 * r.covered.length) / total).toFixed(1)}%)`,
      `trace length median ${median}, max ${lens.at(-1) ?? 0} calls`,
      `sequences    ${r.sequences} (stopped: ${r.stoppedBy === 'coverage' ? 'every rule reached' : r.stoppedBy === 'runs' ? '--runs reached' : r.stoppedBy === 'budget' ? '--budget spent' : 'interrupted'})`,
      ...(r.divergences > 0 ? [`divergences  ${r.divergences} met (used only up to the divergence; run 'sockspec run' to see them)`] : []),
      ...(r.unreached.length > 0 ? [`unreached    ${r.unreached.join(' ')}`] : []),
    ].join('\n'));
    return r.stoppedBy === 'interrupted' ? 130 : 0;
  } finally {
    await disposeAdapter(adapter);
  }
}

function reportCmd(argv: string[]): number {
  const files: string[] = [];
  let out = 'report.html';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--out') { const v = argv[++i]; if (!v) throw new UsageError('--out needs a file'); out = v; }
    else if (a.startsWith('--out=')) out = a.slice('--out='.length);
    else if (a.startsWith('-')) throw new UsageError(`unknown option '${a}'`);
    else files.push(a);
  }
  if (files.length === 0) throw new UsageError('report needs at least one result file (written by sockspec run --json)');
  checkOutputFile(out, '--out');
  const results = files.map((f) => readResult(f));
  writeFileAtomic(out, reportHtml(results, files));
  console.log(`wrote ${out} (${results.length} run${results.length === 1 ? '' : 's'}, ${results.reduce((n, r) => n + r.divergences.length, 0)} divergences)`);
  return 0;
}
