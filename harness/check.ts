/**
 * The property run: fast-check generates sequences, each runs in a fresh session of the
 * adapter next to the model, and a divergence is shrunk to a minimal sequence.
 */
import fc from 'fast-check';
import type { Adapter } from '../spec/adapter.js';
import type { Op } from '../spec/call.js';
import { inet6Unusable } from './families.js';
import { Coverage } from './coverage.js';
import { caseArb, type Case } from './generate.js';
import { keyOf, knownOf, signatureOf, type Known } from './expectations.js';
import { runSequence, type RunOutcome, type StepFn } from './runner.js';
import { divergenceKey, minimize } from './replay.js';
import { letEventsIn } from './yield.js';
import { DEFAULT_PROFILE, type Profile } from '../spec/profile.js';

export interface CheckOptions {
  adapter: Adapter;
  runs: number;
  seed: number;
  maxLength: number;
  /** Share of invalid argument draws (0..1). */
  invalid: number;
  deadlineMs: number;
  /** Replay one counterexample path of a previous run (fast-check's `path`). */
  path?: string;
  /** The model to check against (tests substitute mutants). */
  stepFn?: StepFn;
  /** Signature keys (harness/expectations.ts keyOf) of known divergences: met ones are counted, not failures. */
  expected?: ReadonlySet<string>;
  /**
   * Known divergences with how to go on past them (follow) or around them (steer); its
   * keys count as `expected` too. Built from an expectations file by knownOf.
   */
  known?: Known;
  /** Calls not to generate (the adapter cannot make them here). */
  skip?: ReadonlySet<Op>;
  /**
   * Whether to generate AF_INET6 sockets; absent: when the adapter makes one
   * (inet6Runnable). Every sequence then has the same families.
   */
  inet6?: boolean;
  /**
   * Whether fast-check shrinks a failing case (default true). Without, the failing case is
   * only minimised over its concrete calls (replay.ts minimize): fewer runs on an adapter
   * whose sessions are slow to open (explore).
   */
  fastCheckShrink?: boolean;
  /** Polled before each sequence: once true, no further sequence runs (Ctrl-C). */
  shouldStop?: () => boolean;
  /** Called after each sequence of the random phase and each shrink attempt. */
  onProgress?: (p: Progress) => void;
}

export interface Progress {
  phase: 'run' | 'shrink';
  sequences: number;
  calls: number;
  shrinks: number;
}

export interface CheckReport {
  adapter: string;
  seed: number;
  sequences: number;
  calls: number;
  coverage: Coverage;
  elapsedMs: number;
  /** The minimal failing sequence, re-run once more to record its trace. */
  failure?: {
    outcome: RunOutcome; path: string; shrinks: number; case: Case; profile: Profile;
    /** The divergence did not happen again when the shrunk case was re-run: `outcome` is the run that diverged. */
    flaky: boolean;
  };
  /** A harness error (not a divergence): the model or adapter could not go on. */
  error?: string;
  /** The run was stopped early through `shouldStop`. */
  interrupted: boolean;
  /** Known divergences met during the random phase, by signature key, with counts. */
  expectedMet: Map<string, number>;
  /** Calls run in the random phase, by syscall. */
  opCalls: Map<string, number>;
  /** How deep the random phase got past known divergences (see Depth). */
  depth: Depth;
}

/**
 * Depth of a run on a divergent implementation, over the random phase's sequences:
 * how many ended at a listed divergence (the search stopped there), how many went on past
 * one (followed) or around one (steered), and calls the adapter could not make.
 */
export interface Depth {
  endedExpected: number;
  followedSequences: number;
  followedSteps: number;
  steeredSequences: number;
  steered: number;
  notRunCalls: number;
}

/**
 * Thrown inside the property once `shouldStop` says so: fast-check then ends the run
 * (after a few cheap shrink steps of a value that is never run) instead of generating
 * every remaining sequence only to skip it.
 */
class StopSignal extends Error {}

/**
 * The calls `adapter` cannot make here, for a caller that did not say (`skip` absent): an
 * adapter that can tell is asked after one probe session, as `sockspec run` does, so that
 * worlds and calls it cannot provide (the regular file without sendfile) are not drawn.
 */
async function probeSkip(adapter: Adapter, deadlineMs: number): Promise<ReadonlySet<Op> | undefined> {
  if (adapter.unsupported === undefined) return undefined;
  try {
    const probe = await adapter.open({ deadlineMs });
    await probe.close();
  } catch {
    return undefined; // the run's own first open reports why
  }
  const m = adapter.unsupported();
  return m.size > 0 ? new Set(m.keys()) : undefined;
}

/** Runs the property; resolves with a report (never rejects for a divergence). */
export async function check(o: CheckOptions): Promise<CheckReport> {
  if (o.skip === undefined) {
    const skip = await probeSkip(o.adapter, o.deadlineMs);
    if (skip !== undefined) o = { ...o, skip };
  }
  const t0 = performance.now();
  const coverage = new Coverage();
  const progress: Progress = { phase: 'run', sequences: 0, calls: 0, shrinks: 0 };
  let harnessError: string | undefined;
  const runOneWithProfile = async (c: Case): Promise<{ outcome: RunOutcome; profile: Profile }> => {
    let session;
    try {
      session = await o.adapter.open({ deadlineMs: o.deadlineMs, world: c.world });
    } catch (e) {
      return { outcome: { steps: [], error: `cannot open a session: ${(e as Error).message}` }, profile: DEFAULT_PROFILE };
    }
    try {
      return { outcome: await runSequence(session, c.calls, o.stepFn, undefined, known, true), profile: session.profile };
    } finally {
      await session.close();
    }
  };
  // The last divergent run as it happened, in case re-running it does not diverge again.
  let lastDivergent: { outcome: RunOutcome; profile: Profile; case: Case } | undefined;
  const expectedMet = new Map<string, number>();
  const opCalls = new Map<string, number>();
  const depth: Depth = { endedExpected: 0, followedSequences: 0, followedSteps: 0, steeredSequences: 0, steered: 0, notRunCalls: 0 };
  const known = o.known !== undefined ? { ...o.known, keys: new Set([...o.known.keys, ...(o.expected ?? [])]) } : o.expected !== undefined ? knownOf([], o.expected) : undefined;
  let stopped = false;
  const inet6 = o.inet6 ?? await inet6Runnable(o.adapter, o.deadlineMs);
  const prop = fc.asyncProperty(caseArb({ maxLength: o.maxLength, invalid: o.invalid, inet6, ...(o.skip ? { skip: o.skip } : {}) }), async (seq) => {
    // After a harness error the remaining runs are not generated at all (fast-check would
    // otherwise draw every one of --runs cases only to skip it).
    if (harnessError !== undefined) { stopped = true; throw new StopSignal('harness error'); }
    await letEventsIn(); // (a signal handler must get to run before shouldStop is asked)
    if (stopped || (progress.phase === 'run' && o.shouldStop?.())) { stopped = true; throw new StopSignal('stopped'); }
    const { outcome: r, profile } = await runOneWithProfile(seq);
    if (progress.phase === 'run') {
      progress.sequences++;
      progress.calls += r.steps.length;
      const met = (k: string): void => { expectedMet.set(k, (expectedMet.get(k) ?? 0) + 1); };
      let followed = 0;
      for (const st of r.steps) {
        opCalls.set(st.call.op, (opCalls.get(st.call.op) ?? 0) + 1);
        if (st.rule) coverage.add(st.rule);
        for (const i of st.internal ?? []) coverage.add(i);
        if (st.expected !== undefined) { followed++; met(st.expected); }
        if (st.observed.kind === 'unsupported') depth.notRunCalls++;
      }
      depth.followedSteps += followed;
      if (followed > 0) depth.followedSequences++;
      if (r.steered !== undefined) { depth.steeredSequences++; depth.steered += r.steered.length; }
      const sig = known && signatureOf(r);
      if (sig && known!.keys.has(keyOf(sig))) { depth.endedExpected++; met(keyOf(sig)); }
    } else progress.shrinks++;
    o.onProgress?.(progress);
    if (r.error !== undefined) { harnessError = r.error; return true; }
    const sig = known && signatureOf(r);
    if (sig && known!.keys.has(keyOf(sig))) return true;
    if (r.divergence) {
      progress.phase = 'shrink';
      lastDivergent = { outcome: r, profile, case: seq };
      return false;
    }
    return true;
  });
  const params: fc.Parameters<[Case]> = { numRuns: o.runs, seed: o.seed, endOnFailure: o.fastCheckShrink === false };
  if (o.path !== undefined) params.path = o.path;
  const details = await fc.check(prop, params);
  const report: CheckReport = {
    adapter: o.adapter.name, seed: o.seed, sequences: progress.sequences, calls: progress.calls,
    coverage, elapsedMs: performance.now() - t0, interrupted: o.shouldStop?.() === true, expectedMet, opCalls, depth,
  };
  if (harnessError !== undefined) report.error = harnessError;
  if (stopped && details.errorInstance instanceof StopSignal) {
    if (harnessError === undefined) report.interrupted = true;
  } else if (details.failed && details.counterexample) {
    const [c] = details.counterexample;
    const again = await runOneWithProfile(c);
    const path = details.counterexamplePath ?? '';
    if (again.outcome.divergence || lastDivergent === undefined) {
      report.failure = { outcome: again.outcome, path, shrinks: details.numShrinks, case: c, profile: again.profile, flaky: false };
      const key = divergenceKey(again.outcome);
      // fast-check shrinks templates, whose targets are positions among live sockets, and
      // keeps the sockets a case starts with: drop every concrete call not needed too.
      if (key !== undefined && again.outcome.steps.length > 1) {
        const steps = again.outcome.steps;
        const rec = { source: 'counterexample', world: c.world, calls: steps.map((s) => s.call), observed: steps.map((s) => s.observed) };
        const m = await minimize(o.adapter, rec, o.deadlineMs, steps.map((_, i) => i), (r) => divergenceKey(r) === key, undefined, o.stepFn, known);
        if (divergenceKey(m.outcome) === key && m.outcome.steps.length < steps.length) {
          report.failure = { ...report.failure, outcome: m.outcome, shrinks: details.numShrinks + m.attempts, profile: m.profile };
        }
      }
    } else {
      // Not reproduced: report the divergence as it was observed, and say so.
      report.failure = { ...lastDivergent, path, shrinks: details.numShrinks, flaky: true };
    }
  } else if (details.failed) {
    report.error = `property failed without a counterexample: ${String(details.errorInstance)}`;
  }
  return report;
}

/**
 * Whether `adapter` runs AF_INET6 sequences in a fresh session (families.ts inet6Unusable:
 * a kernel without IPv6, or a stack built without it, does not; the run then generates no
 * AF_INET6 socket, and its summary names the family as not runnable).
 */
export async function inet6Runnable(adapter: Adapter, deadlineMs: number): Promise<boolean> {
  let session;
  try {
    session = await adapter.open({ deadlineMs });
  } catch {
    return false;
  }
  try {
    return (await inet6Unusable(session)) === undefined;
  } finally {
    await session.close();
  }
}
