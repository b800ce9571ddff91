/**
 * Steps the model and one adapter session side by side over a sequence. The first
 * observation that no allowed outcome matches is a divergence; the world after each
 * matched step is computed from what was observed.
 */
import type { Session } from '../spec/adapter.js';
import type { Call } from '../spec/call.js';
import type { Expected } from '../spec/expected.js';
import type { Observed } from '../spec/observed.js';
import { initialState, step, type Outcome, type State } from '../model/index.js';
import { firstMatch } from './match.js';
import { resolve, type Template } from './template.js';

export type StepFn = (s: State, c: Call) => Outcome[];

export interface RunStep {
  call: Call;
  observed: Observed;
  rule?: string;
}

export interface RunOutcome {
  steps: RunStep[];
  /** Set when the last step diverged: what the model allowed there. */
  divergence?: { index: number; allowed: { rule: string; expect: Expected }[] };
  /** A harness-level failure (model refused the call, adapter unusable): not a divergence. */
  error?: string;
}

/** Runs `seq` (templates, resolved against the model's world, or concrete calls) on `session`. */
export async function runSequence(session: Session, seq: readonly (Template | Call)[], stepFn: StepFn = step): Promise<RunOutcome> {
  let state = initialState(session.profile);
  const steps: RunStep[] = [];
  for (const t of seq) {
    const call = isTemplate(t) ? resolve(state, t) : t;
    let outcomes: Outcome[];
    try {
      outcomes = stepFn(state, call);
    } catch (e) {
      return { steps, error: `model cannot answer ${call.op}: ${(e as Error).message}` };
    }
    let observed: Observed;
    try {
      observed = await session.exec(call);
    } catch (e) {
      return { steps, error: `adapter failed on ${call.op}: ${(e as Error).message}` };
    }
    const m = firstMatch(outcomes, observed);
    if (m === undefined) {
      steps.push({ call, observed });
      return { steps, divergence: { index: steps.length - 1, allowed: outcomes.map((o) => ({ rule: o.rule, expect: o.expect })) } };
    }
    steps.push({ call, observed, rule: m.rule });
    state = m.next(observed);
  }
  return { steps };
}

function isTemplate(t: Template | Call): t is Template {
  if (t.op === 'socket') return false;
  return typeof t.fd === 'object' || ('addr' in t && t.addr.ptr === 'ok' && (typeof t.addr.addr === 'object' || typeof t.addr.port === 'object'));
}
