/**
 * Exploring how an implementation differs from Linux: property runs seed after seed, each
 * going on past and around the divergences known so far (harness/expectations.ts follow
 * and steer); each new distinct divergence is shrunk, re-checked (harness/recheck.ts) and
 * only then added to the expectations, so the next seed searches past it. Answers that are
 * not the implementation's (unsupported, crashed) and divergences that do not reproduce
 * (flaky) are reported, never recorded. Changes nothing but `file` (through `save`).
 */
import type { Adapter } from '../spec/adapter.js';
import type { Observed } from '../spec/observed.js';
import { check, type Depth } from './check.js';
import { Coverage } from './coverage.js';
import { keyOf, knownOf, notAnAnswer, signatureOf, type Expectation, type ExpectationFile } from './expectations.js';
import { recheck } from './recheck.js';
import type { RunStep, StepFn } from './runner.js';

export interface ExploreOptions {
  adapter: Adapter;
  /** The expectations to start from (possibly empty); new entries are pushed onto it. */
  file: ExpectationFile;
  /** Called after each new entry, with the whole file (the CLI writes it atomically). */
  save?: (f: ExpectationFile) => void;
  seed: number;
  /** Sequences per seed (each seed's run ends at its first new divergence). */
  runsPerSeed: number;
  maxLength: number;
  invalid: number;
  deadlineMs: number;
  /** Re-runs of a new divergence before it is recorded (at least 3; the last with a 10x deadline). */
  rechecks?: number;
  /** Stop after this many seeds. */
  maxSeeds?: number;
  /** Stop after this many sequences in all (the last seed runs only what is left). */
  maxSequences?: number;
  /** Polled between sequences: once true, exploring ends (time budget, Ctrl-C). */
  shouldStop?: () => boolean;
  onEvent?: (e: ExploreEvent) => void;
  /** The model to check against (tests substitute mutants). */
  stepFn?: StepFn;
  /** Let fast-check shrink each new divergence before it is minimised over calls (default true; see CheckOptions). */
  fastCheckShrink?: boolean;
}

export type ExploreEvent =
  | { kind: 'seed'; seed: number; sequences: number; calls: number }
  | { kind: 'new'; key: string; entry: Expectation; runs: string[] }
  | { kind: 'flaky'; key: string; runs: string[] }
  | { kind: 'not-an-answer'; key: string; why: string }
  | { kind: 'error'; seed: number; error: string };

export interface ExploreReport {
  seeds: number;
  sequences: number;
  calls: number;
  coverage: Coverage;
  depth: Depth;
  added: Expectation[];
  flaky: string[];
  notAnswers: string[];
  errors: string[];
}

/** Minimum re-runs of a new divergence (the "at least 3"). */
export const MIN_RECHECKS = 3;

/** Explores until `maxSeeds` seeds ran or `shouldStop` says so; resolves with what it found. */
export async function explore(o: ExploreOptions): Promise<ExploreReport> {
  const rechecks = Math.max(MIN_RECHECKS, o.rechecks ?? MIN_RECHECKS);
  const coverage = new Coverage();
  const depth: Depth = { endedExpected: 0, followedSequences: 0, followedSteps: 0, steeredSequences: 0, steered: 0, notRunCalls: 0 };
  const out: ExploreReport = { seeds: 0, sequences: 0, calls: 0, coverage, depth, added: [], flaky: [], notAnswers: [], errors: [] };
  let errorsInARow = 0;
  for (let seed = o.seed; ; seed++) {
    if ((o.maxSeeds !== undefined && out.seeds >= o.maxSeeds) || (o.maxSequences !== undefined && out.sequences >= o.maxSequences) || o.shouldStop?.()) break;
    // Flaky ones and answers that are not the implementation's end a sequence (they are
    // known for this exploration) but are never written to the file.
    const known = knownOf(o.file.expected, [...out.flaky, ...out.notAnswers]);
    const r = await check({
      adapter: o.adapter, runs: o.maxSequences !== undefined ? Math.min(o.runsPerSeed, o.maxSequences - out.sequences) : o.runsPerSeed, seed, maxLength: o.maxLength, invalid: o.invalid, deadlineMs: o.deadlineMs, known, fastCheckShrink: o.fastCheckShrink ?? true,
      ...(o.stepFn ? { stepFn: o.stepFn } : {}), ...(o.shouldStop ? { shouldStop: o.shouldStop } : {}),
    });
    out.seeds++;
    out.sequences += r.sequences;
    out.calls += r.calls;
    for (const [rule, n] of r.coverage.counts) for (let i = 0; i < n; i++) coverage.add(rule);
    for (const k of Object.keys(depth) as (keyof Depth)[]) depth[k] += r.depth[k];
    o.onEvent?.({ kind: 'seed', seed, sequences: r.sequences, calls: r.calls });
    const error = r.error ?? r.failure?.outcome.error;
    if (error !== undefined) {
      out.errors.push(`seed ${seed}: ${error}`);
      o.onEvent?.({ kind: 'error', seed, error });
      // The adapter or model cannot go on: a few seeds in a row with errors end the exploration.
      if (++errorsInARow >= 3) break;
      continue;
    }
    errorsInARow = 0;
    const f = r.failure;
    if (f === undefined || !f.outcome.divergence) continue;
    const sig = signatureOf(f.outcome)!;
    const key = keyOf(sig);
    const steps = f.outcome.steps;
    const why = notAnAnswer(steps[f.outcome.divergence.index]!.observed);
    if (why !== undefined) {
      out.notAnswers.push(key);
      o.onEvent?.({ kind: 'not-an-answer', key, why });
      continue;
    }
    const rec = { source: `seed ${seed}`, world: f.case.world, calls: steps.map((s) => s.call), observed: steps.map((s): Observed => s.observed) };
    const rc = f.flaky ? { reproduced: false, runs: ['did not diverge again when re-run at once'] } : await recheck(o.adapter, rec, key, o.deadlineMs, rechecks, knownOf(o.file.expected));
    if (!rc.reproduced) {
      out.flaky.push(key);
      o.onEvent?.({ kind: 'flaky', key, runs: rc.runs });
      continue;
    }
    const entry: Expectation = {
      ...sig, note: 'new: describe what the implementation does instead', kind: 'not analysed', world: f.case.world, calls: steps.map((s: RunStep) => s.call),
      answers: steps.map((s) => s.observed),
    };
    o.file.expected.push(entry);
    out.added.push(entry);
    o.save?.(o.file);
    o.onEvent?.({ kind: 'new', key, entry, runs: rc.runs });
  }
  return out;
}
