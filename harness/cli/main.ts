/**
 * `sockspec` command line: `run` (cli/run.ts), `replay`, `shrink`, `expectations` and
 * help. Returns the exit status; never throws for user errors.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { readExpectations } from '../expectations.js';
import { join } from 'node:path';
import { adapterByName, disposeAdapter } from '../adapters.js';
import { parseReplay, parseRun, USAGE, UsageError, type ReplayArgs } from './args.js';
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
