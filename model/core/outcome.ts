/**
 * The shape of the model's answer: every allowed outcome of a call, each named by a
 * rule, with the observation it expects and how the world moves on if it is observed.
 */
import type { Expected, RuleId } from '../../spec/expected.js';
import type { ErrnoName } from '../../spec/errno.js';
import type { Observed } from '../../spec/observed.js';
import type { State } from './state.js';

export interface Outcome {
  /** Stable public rule name, e.g. `bind/EADDRINUSE`. */
  rule: RuleId;
  /** The observation this rule allows (may contain holes). */
  expect: Expected;
  /** The next world, given the concrete observation that matched `expect`. Never throws. */
  next: (obs: Observed) => State;
}

/** A failing call that changes nothing: returns -1 with `errno`. */
export function fail(s: State, rule: RuleId, errno: ErrnoName): Outcome {
  return { rule, expect: { kind: 'returned', ret: -1, errno }, next: () => s };
}

/** A call that succeeds with `ret` and moves the world to `next`. */
export function ok(rule: RuleId, ret: number, next: (obs: Observed) => State): Outcome {
  return { rule, expect: { kind: 'returned', ret }, next };
}

/** A call that blocks (observed after the deadline); `next` is the world after the interruption. */
export function blocked(rule: RuleId, next: (obs: Observed) => State): Outcome {
  return { rule, expect: { kind: 'blocked' }, next };
}
