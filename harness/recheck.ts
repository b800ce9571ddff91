/**
 * Re-checking a divergence before it is recorded as expected: its minimal trace is
 * re-run on fresh sessions, the last time with ten times the deadline, so that an answer
 * that came from a deadline under load (a `blocked` connect that only took long) or from
 * a race is not kept. Never changes the expectations file itself.
 */
import type { Adapter } from '../spec/adapter.js';
import type { Known } from './expectations.js';
import { divergenceKey, replay, type Recorded } from './replay.js';

/** The deadline of the last re-run, as a multiple of the run's deadline. */
export const LAST_RERUN_FACTOR = 10;

export interface Recheck {
  /** Every re-run diverged with the same signature. */
  reproduced: boolean;
  /** What each re-run gave: the signature key, `agrees`, or `error: ...`. */
  runs: string[];
}

/**
 * Re-runs `r` `times` times (at least 1; the last with LAST_RERUN_FACTOR x `deadlineMs`)
 * and says whether each diverged with signature `key`. `known` is what the run followed
 * on the way (its own entry must not be in it).
 */
export async function recheck(adapter: Adapter, r: Recorded, key: string, deadlineMs: number, times: number, known?: Known): Promise<Recheck> {
  const runs: string[] = [];
  const n = Math.max(1, times);
  for (let i = 0; i < n; i++) {
    const res = await replay(adapter, r, i === n - 1 ? deadlineMs * LAST_RERUN_FACTOR : deadlineMs, undefined, undefined, known);
    runs.push(res.outcome.error !== undefined ? `error: ${res.outcome.error}` : divergenceKey(res.outcome) ?? 'agrees');
  }
  return { reproduced: runs.every((k) => k === key), runs };
}
