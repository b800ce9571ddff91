/**
 * Regression corpora: sets of short traces that together reach the model's rules.
 *
 * Generation runs random sequences on an adapter next to the model and keeps a trace only
 * when one of its calls reaches a rule no kept trace reaches yet; the kept trace is then
 * shrunk (harness/replay.ts minimize) to the shortest sequence that still reaches that
 * rule with no divergence on the way, and ends at the call that reaches it. One trace per
 * rule, one JSON file per trace, named after the rule (`bind--EADDRINUSE.json`), in the
 * stable format of harness/render/json.ts with `keptFor` set.
 */
import { notApplicable, traceNeeds } from './variants.js';
import fc from 'fast-check';
import { existsSync, readdirSync } from 'node:fs';
import { makeDirs, readInputFile, writeFileAtomic } from './files.js';
import { join } from 'node:path';
import type { Adapter } from '../spec/adapter.js';
import { RULES } from '../model/index.js';
import { caseArb } from './generate.js';
import { traceFromJson, traceToJson } from './render/json.js';
import type { Trace } from './render/trace.js';
import { minimize, recordedOfTrace, replay } from './replay.js';
import { letEventsIn } from './yield.js';
import { runSequence, type RunOutcome, type RunStep } from './runner.js';

/** The file name of the trace kept for `rule`. */
export function corpusFileName(rule: string): string {
  return `${rule.replace(/\//g, '--').replace(/[^A-Za-z0-9._-]/g, '_')}.json`;
}

/** Whether step `s` reaches `rule` (the rule it matched, or a transition the kernel made before it). */
function reaches(s: RunStep, rule: string): boolean {
  return s.rule === rule || (s.internal ?? []).includes(rule);
}

/** Index of the first step that reaches `rule` with no divergence before it, or -1. */
export function reachIndex(o: RunOutcome, rule: string): number {
  const end = o.divergence ? o.divergence.index : o.steps.length;
  for (let i = 0; i < end; i++) if (reaches(o.steps[i]!, rule)) return i;
  return -1;
}

/** Reads a corpus directory: every *.json file must be a trace with `keptFor`. Errors name the file and field. */
export function loadCorpus(dir: string): { file: string; trace: Trace }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => {
    const file = join(dir, f);
    const trace = traceFromJson(readInputFile(file), file);
    if (trace.keptFor === undefined) throw new Error(`${file}: keptFor: missing (not a corpus trace: which rule is it kept for?)`);
    if (!RULES.includes(trace.keptFor)) throw new Error(`${file}: keptFor: '${trace.keptFor}' is not a rule of the model (renamed or removed?)`);
    return { file, trace };
  });
}

export interface CorpusOptions {
  adapter: Adapter;
  out: string;
  seed: number;
  /** Stop after this many random sequences... */
  runs: number;
  /** ... or this many seconds, whichever comes first. */
  budgetS?: number;
  maxLength: number;
  invalid: number;
  deadlineMs: number;
  onProgress?: (p: { sequences: number; covered: number; total: number; kept?: { rule: string; calls: number } }) => void;
  shouldStop?: () => boolean;
}

export interface CorpusReport {
  sequences: number;
  /** Rules kept in this run, with their trace lengths. */
  added: { rule: string; calls: number; file: string }[];
  covered: string[];
  unreached: string[];
  /** Divergences met while generating (their sequences were used only up to the divergence). */
  divergences: number;
  stoppedBy: 'coverage' | 'runs' | 'budget' | 'interrupted';
}

function traceOf(adapter: string, o: RunOutcome, profile: Trace['profile'], keptFor?: string): Trace {
  return {
    version: 1, adapter, profile,
    steps: o.steps.map((s) => (s.rule ? { call: s.call, observed: s.observed, rule: s.rule } : { call: s.call, observed: s.observed })),
    ...(keptFor !== undefined ? { keptFor } : {}),
  };
}

/** Generates (or extends) a corpus in `o.out`. */
export async function generateCorpus(o: CorpusOptions): Promise<CorpusReport> {
  makeDirs(o.out);
  const covered = new Set(loadCorpus(o.out).map((c) => c.trace.keptFor!));
  const report: CorpusReport = { sequences: 0, added: [], covered: [], unreached: [], divergences: 0, stoppedBy: 'runs' };
  const t0 = Date.now();
  const arb = caseArb({ maxLength: o.maxLength, invalid: o.invalid });
  const BATCH = 200;
  outer: for (let batch = 0; report.sequences < o.runs; batch++) {
    for (const c of fc.sample(arb, { seed: o.seed + batch, numRuns: BATCH })) {
      if (covered.size === RULES.length) { report.stoppedBy = 'coverage'; break outer; }
      if (report.sequences >= o.runs) break outer;
      if (o.budgetS !== undefined && Date.now() - t0 >= o.budgetS * 1000) { report.stoppedBy = 'budget'; break outer; }
      await letEventsIn(); // (lets a Ctrl-C handler run)
      if (o.shouldStop?.()) { report.stoppedBy = 'interrupted'; break outer; }
      report.sequences++;
      const s = await o.adapter.open({ deadlineMs: o.deadlineMs, world: c.world });
      let out: RunOutcome;
      let profile;
      try { out = await runSequence(s, c.calls); profile = s.profile; } finally { await s.close(); }
      if (out.error !== undefined) throw new Error(out.error);
      if (out.divergence) report.divergences++;
      const fresh = new Set<string>();
      const end = out.divergence ? out.divergence.index : out.steps.length;
      // Rules for transitions the kernel makes on its own (internal/*) are never kept: a
      // trace cannot force them, so it would not reach them again on every adapter.
      for (const st of out.steps.slice(0, end)) if (st.rule !== undefined && !covered.has(st.rule)) fresh.add(st.rule);
      for (const rule of fresh) {
        if (covered.has(rule)) continue;
        // The sequence up to the call that reaches the rule, shrunk while it still does.
        const upTo = reachIndex(out, rule);
        const rec = recordedOfTrace(traceOf(o.adapter.name, { steps: out.steps.slice(0, upTo + 1) }, profile), `(sequence ${report.sequences})`);
        const min = await minimize(o.adapter, rec, o.deadlineMs, rec.calls.map((_, i) => i), (res) => reachIndex(res, rule) >= 0);
        const at = reachIndex(min.outcome, rule);
        if (at < 0) continue; // did not reach it again (timing): leave it for a later sequence
        const kept: RunOutcome = { steps: min.outcome.steps.slice(0, at + 1) };
        const trace = traceOf(o.adapter.name, kept, min.profile, rule);
        const file = join(o.out, corpusFileName(rule));
        writeFileAtomic(file, traceToJson(trace));
        // A kept trace may reach other new rules on the way; each still gets its own shortest trace.
        covered.add(rule);
        report.added.push({ rule, calls: kept.steps.length, file });
        o.onProgress?.({ sequences: report.sequences, covered: covered.size, total: RULES.length, kept: { rule, calls: kept.steps.length } });
      }
      o.onProgress?.({ sequences: report.sequences, covered: covered.size, total: RULES.length });
    }
  }
  if (covered.size === RULES.length) report.stoppedBy = 'coverage';
  report.covered = RULES.filter((r) => covered.has(r));
  report.unreached = RULES.filter((r) => !covered.has(r));
  return report;
}

/** Replays a corpus trace and says whether it still reaches its rule with no divergence before it. */
export async function checkCorpusTrace(adapter: Adapter, t: Trace, file: string, deadlineMs = 50): Promise<CorpusCheck> {
  const res = await replay(adapter, recordedOfTrace(t, file), deadlineMs);
  // A trace recorded under kernel variants this kernel does not have is not applicable here,
  // whatever the replay gave (harness/variants.ts).
  const na = notApplicable(await traceNeeds(t), res.profile.variants);
  if (na !== undefined) return { kind: 'not-applicable', why: `${file}: ${na}` };
  const failure = (why: string): CorpusCheck => ({ kind: 'failure', why: `${file}: ${why}` });
  if (res.outcome.error !== undefined) return failure(res.outcome.error);
  if (res.outcome.divergence) {
    const d = res.outcome.divergence;
    const st = res.outcome.steps[d.index]!;
    return failure(`diverges at call ${d.index + 1} (${st.call.op}): model allows ${d.allowed.map((a) => a.rule).join(', ') || 'nothing'}`);
  }
  if (reachIndex(res.outcome, t.keptFor!) < 0) return failure(`no longer reaches ${t.keptFor} (rules: ${res.outcome.steps.map((s) => s.rule).join(' ')})`);
  return { kind: 'ok' };
}

/** What replaying a corpus trace found: it still reaches its rule, it does not, or it does not apply to this kernel. */
export type CorpusCheck = { kind: 'ok' } | { kind: 'failure' | 'not-applicable'; why: string };
