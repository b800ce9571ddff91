/**
 * A recorded call sequence: what the text report, the JSON file and the C reproducer
 * are made from. Types only.
 */
import type { Call } from '../../spec/call.js';
import type { Expected } from '../../spec/expected.js';
import type { Observed } from '../../spec/observed.js';
import type { Profile } from '../../spec/profile.js';

/** One executed call, what the implementation answered, and the model rule it matched (absent at a divergence). */
export interface TraceStep {
  call: Call;
  observed: Observed;
  rule?: string;
  /** A listed divergence the run followed past at this step (its signature key): not agreement. */
  expected?: string;
}

/** What the model allowed at the divergent step. */
export interface Divergence {
  /** Index into `steps` of the divergent step (the last one). */
  index: number;
  allowed: { rule: string; expect: Expected }[];
}

/**
 * A sequence as run on one adapter. For a divergent trace the last step is the divergent
 * one and `divergence` says what the model allowed there.
 */
export interface Trace {
  version: 1;
  /** The adapter's name, e.g. `linux`. */
  adapter: string;
  /** fast-check seed and counterexample path, for `sockspec run --seed --path`. */
  seed?: number;
  path?: string;
  /** The generator options of the run (the same seed and path give the same sequence only with these). */
  generator?: { maxLength: number; invalid: number };
  profile: Profile;
  steps: TraceStep[];
  divergence?: Divergence;
  /** In a corpus: the model rule this trace was kept for (it reaches it). */
  keptFor?: string;
}
