/**
 * sockspec as a library, for implementations written in JavaScript or TypeScript (a
 * runtime's socket shim, an emulator, a user-space stack): implement `Adapter` in
 * process and run the same property as `sockspec run`, from your own test suite.
 *
 *   import { assertConformance, type Adapter } from 'sockspec';
 *   it('behaves like Linux', () => assertConformance({ adapter: myAdapter, runs: 500, seed: 1 }), 60_000);
 *
 * `conformance` resolves with the result (never rejects for a divergence);
 * `assertConformance` rejects with the minimal trace rendered as text, ready for a test
 * report. Both compare against the model of Linux (model/).
 */
import type { Adapter } from '../spec/adapter.js';
import { check } from './check.js';
import { keyOf, knownOf, readExpectations, signatureOf } from './expectations.js';
import { traceToC } from './render/c.js';
import { renderTrace } from './render/text.js';
import type { Trace } from './render/trace.js';

export type { Adapter, Session, SessionOptions, World } from '../spec/adapter.js';
export type { AddrIn, AddrOut, Call, Op, Ptr } from '../spec/call.js';
export type { Observed, Bound } from '../spec/observed.js';
export type { Profile } from '../spec/profile.js';
export type { Trace } from './render/trace.js';
export { DEFAULT_PROFILE } from '../spec/profile.js';
export { OPS } from '../spec/call.js';
export { modelAdapter } from '../adapters/model/index.js';
export { execAdapter } from '../adapters/exec/index.js';
export { serve } from '../adapters/exec/serve.js';

export interface ConformanceOptions {
  adapter: Adapter;
  /** Random sequences (default 200). */
  runs?: number;
  /** fast-check seed (default: random; the result says which). */
  seed?: number;
  /** Longest sequence (default 30). */
  maxLength?: number;
  /** Share of invalid argument draws, 0..1 (default 0.2). */
  invalid?: number;
  /** A call taking longer than this is `blocked` (ms, default 50). */
  deadlineMs?: number;
  /** An expectations file (see README): divergences listed there do not fail. */
  expectations?: string;
}

export interface ConformanceResult {
  /** No divergence other than expected ones. */
  ok: boolean;
  seed: number;
  sequences: number;
  calls: number;
  rules: { covered: number; total: number; unreached: string[] };
  /** The minimal divergent trace: as data, as text, and as a C program that replays it on Linux. */
  divergence?: { signature: string; trace: Trace; text: string; c: string };
  /** A harness error (e.g. the adapter could not open a session): not a divergence. */
  error?: string;
}

export async function conformance(o: ConformanceOptions): Promise<ConformanceResult> {
  const seed = o.seed ?? Math.floor(Math.random() * 2 ** 31);
  const opts = { runs: o.runs ?? 200, seed, maxLength: o.maxLength ?? 30, invalid: o.invalid ?? 0.2, deadlineMs: o.deadlineMs ?? 50 };
  // (their follow and steer too: a run goes on past and around the listed ones)
  const known = o.expectations !== undefined ? knownOf(readExpectations(o.expectations).expected) : undefined;
  // Calls the implementation says it cannot make are not generated.
  const probe = await o.adapter.open({ deadlineMs: opts.deadlineMs });
  await probe.close();
  const skip = new Set(o.adapter.unsupported?.().keys() ?? []);
  const r = await check({ adapter: o.adapter, ...opts, ...(known ? { known } : {}), ...(skip.size > 0 ? { skip } : {}) });
  const [covered, total] = r.coverage.ratio();
  const out: ConformanceResult = {
    ok: r.failure === undefined && r.error === undefined, seed, sequences: r.sequences, calls: r.calls,
    rules: { covered, total, unreached: r.coverage.unreached() },
  };
  if (r.error !== undefined) out.error = r.error;
  const f = r.failure;
  if (f?.outcome.divergence) {
    const trace: Trace = {
      version: 1, adapter: o.adapter.name, seed, path: f.path, generator: { maxLength: opts.maxLength, invalid: opts.invalid }, profile: f.profile,
      steps: f.outcome.steps.map((s) => (s.rule ? { call: s.call, observed: s.observed, rule: s.rule } : { call: s.call, observed: s.observed })),
      divergence: f.outcome.divergence,
    };
    out.divergence = { signature: keyOf(signatureOf(f.outcome)!), trace, text: renderTrace(trace, { color: false }), c: traceToC(trace) };
  } else if (f?.outcome.error !== undefined) {
    out.error = f.outcome.error;
    out.ok = false;
  }
  return out;
}

/** Like `conformance`, but rejects with the minimal trace (or the harness error) as the message. */
export async function assertConformance(o: ConformanceOptions): Promise<ConformanceResult> {
  const r = await conformance(o);
  if (r.error !== undefined) throw new Error(`sockspec: ${r.error}`);
  if (r.divergence) throw new Error(`${r.divergence.text}\n`);
  return r;
}
