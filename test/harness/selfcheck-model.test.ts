/**
 * The harness catches a wrong model and shrinks the trace, with the model itself as the
 * implementation (no kernel needed).
 */
import { describe, expect, it } from 'vitest';
import { check } from '../../harness/check.js';
import { modelAdapter } from '../../adapters/model/index.js';
import { listenNeverAutobinds } from './mutants.js';

describe('self-check against the model adapter', () => {
  it('the_model_agrees_with_itself_over_500_sequences', async () => {
    const r = await check({ adapter: modelAdapter(), runs: 500, seed: 42, maxLength: 30, invalid: 0.2, deadlineMs: 10 });
    expect(r.error).toBeUndefined();
    expect(r.failure).toBeUndefined();
    expect(r.sequences).toBe(500);
  });
  it('a_mutant_listen_rule_is_caught_and_shrunk_to_2_calls', async () => {
    const r = await check({ adapter: modelAdapter(), runs: 500, seed: 42, maxLength: 30, invalid: 0.2, deadlineMs: 10, stepFn: listenNeverAutobinds });
    expect(r.failure).toBeDefined();
    const steps = r.failure!.outcome.steps;
    expect(steps.map((s) => s.call.op)).toEqual(['socket', 'listen']);
    expect(r.failure!.outcome.divergence?.allowed.map((a) => a.rule)).toEqual(['mutant/listen-EINVAL']);
  });
});
