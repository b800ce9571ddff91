/**
 * `sockspec explore`: harness/explore.ts on an adapter by name, for a time budget or a
 * number of seeds, writing the expectations file (atomically) after each new entry and
 * showing new divergences as they come. Exit status: 0 done, 2 set-up error or the
 * exploration ended on harness errors, 130 interrupted.
 */
import { existsSync } from 'node:fs';
import { adapterByName, disposeAdapter } from '../adapters.js';
import { explore } from '../explore.js';
import { readExpectations, writeExpectations, type ExpectationFile } from '../expectations.js';
import type { ExploreArgs } from './args.js';

export async function exploreCmd(a: ExploreArgs): Promise<number> {
  const adapter = await adapterByName(a.adapter, { reuseHelper: a.reuseHelper });
  const path = a.expectations ?? `adapters/${adapter.name}/expectations.json`;
  const file: ExpectationFile = existsSync(path) ? readExpectations(path) : { version: 1, adapter: adapter.name, expected: [] };
  const before = file.expected.length;
  const t0 = Date.now();
  let interrupted = false;
  const onInt = (): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write('\nsockspec: interrupted; finishing the current sequence (Ctrl-C again to quit at once)\n');
  };
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onInt);
  console.error(`sockspec: exploring '${adapter.name}' from ${path} (${before} known), seed ${a.seed}, ${a.runsPerSeed} sequences per seed, `
    + `${a.seeds !== undefined ? `${a.seeds} seeds or ` : ''}${a.sequences !== undefined ? `${a.sequences} sequences or ` : ''}${a.budgetS} s`);
  let r;
  try {
    r = await explore({
      adapter, file, save: (f) => writeExpectations(path, f), seed: a.seed, runsPerSeed: a.runsPerSeed, maxLength: a.maxLength, invalid: a.invalid,
      deadlineMs: a.deadlineMs, rechecks: a.rechecks, fastCheckShrink: !a.quickShrink, ...(a.seeds !== undefined ? { maxSeeds: a.seeds } : {}),
      ...(a.sequences !== undefined ? { maxSequences: a.sequences } : {}),
      shouldStop: () => interrupted || Date.now() - t0 >= a.budgetS * 1000,
      onEvent: (e) => {
        const at = `${((Date.now() - t0) / 1000).toFixed(0).padStart(5)} s`;
        if (e.kind === 'new') console.log(`${at}  new      ${e.key}  (${e.entry.calls.length} calls; reproduced ${e.runs.length}/${e.runs.length})`);
        if (e.kind === 'flaky') console.log(`${at}  flaky    ${e.key}  not recorded: re-runs gave ${e.runs.join('; ')}`);
        if (e.kind === 'not-an-answer') console.log(`${at}  harness  ${e.key}  not recorded: ${e.why}`);
        if (e.kind === 'error') console.log(`${at}  error    seed ${e.seed}: ${e.error}`);
      },
    });
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onInt);
    await disposeAdapter(adapter);
  }
  const [covered, total] = r.coverage.ratio();
  const d = r.depth;
  console.log([
    '',
    `explored     ${r.seeds} seeds (${a.seed}..${a.seed + r.seeds - 1}), ${r.sequences} sequences, ${r.calls} calls, ${((Date.now() - t0) / 1000).toFixed(0)} s`,
    `recorded     ${r.added.length} new divergences in ${path} (${file.expected.length} listed)`,
    `flaky        ${r.flaky.length}${r.flaky.length > 0 ? `: ${r.flaky.join(', ')}` : ''}`,
    `harness      ${r.notAnswers.length} answers not the implementation's${r.notAnswers.length > 0 ? `: ${r.notAnswers.join(', ')}` : ''}; ${r.errors.length} harness errors`,
    `rules        ${covered}/${total} reached`,
    `depth        ${d.endedExpected}/${r.sequences} sequences (${(100 * d.endedExpected / Math.max(1, r.sequences)).toFixed(1)}%) ended at an expected divergence; `
      + `${d.followedSequences} went on past one, ${d.steeredSequences} were steered around one`,
  ].join('\n'));
  if (interrupted) return 130;
  return r.errors.length >= 3 && r.added.length === 0 ? 2 : 0;
}
