/**
 * `explore` on an exec helper with two deliberate bugs (test/fixtures/model-helper.mjs
 * --bug=two-bugs): socket() with SOCK_CLOEXEC fails with EINVAL (shallow, listed with
 * `follow: unchanged`), and only after such a call does listen() fail with EOPNOTSUPP.
 * Exploring from the file that lists the first finds the second, re-checked, with a trace
 * that passes the first; with the first listed without `follow`, the second stays
 * unreachable. Seeds and run counts are fixed; nothing depends on timing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execAdapter } from '../../adapters/exec/index.js';
import { SOCK_CLOEXEC } from '../../spec/constants.js';
import { explore } from '../../harness/explore.js';
import { readExpectations, writeExpectations, type Expectation, type ExpectationFile } from '../../harness/expectations.js';

const ROOT = join(import.meta.dirname, '../..');
const HELPER = [process.execPath, join(ROOT, 'test/fixtures/model-helper.mjs'), '--bug=two-bugs'];
const dir = mkdtempSync(join(tmpdir(), 'sockspec-explore-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The shallow bug as listed: socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, 0) = EINVAL. */
function listed(follow: boolean): ExpectationFile {
  const entry = (rule: string, type: number): Expectation => ({
    op: 'socket', allowed: [rule], observed: 'EINVAL', note: 'refuses SOCK_CLOEXEC', kind: 'bug', world: {},
    calls: [{ op: 'socket', domain: 2, type, protocol: 0 }], ...(follow ? { follow: 'unchanged' as const } : {}),
  });
  return { version: 1, adapter: 'buggy-helper', expected: [entry('socket/tcp', 1 | SOCK_CLOEXEC), entry('socket/udp', 2 | SOCK_CLOEXEC)] };
}

async function exploreFrom(file: ExpectationFile, path: string) {
  const adapter = execAdapter(HELPER, { reuse: true, name: 'buggy-helper' });
  try {
    return await explore({
      adapter, file, save: (f) => writeExpectations(path, f), seed: 11, runsPerSeed: 100, maxSeeds: 3, maxLength: 20, invalid: 0, deadlineMs: 5000,
    });
  } finally {
    await adapter.dispose();
  }
}

describe('explore', () => {
  it('finds the bug reachable only past a listed one it follows, and records it re-checked', async () => {
    const path = join(dir, 'follow.json');
    const r = await exploreFrom(listed(true), path);
    const keys = r.added.map((e) => `${e.op} -> ${e.observed}`);
    expect(keys).toContain('listen -> EOPNOTSUPP');
    const found = r.added.find((e) => e.op === 'listen')!;
    // Its minimal trace makes the refused socket() on the way, and nothing it does not need.
    expect(found.calls.some((c) => c.op === 'socket' && (c.type & SOCK_CLOEXEC) !== 0)).toBe(true);
    expect(found.calls.length).toBeLessThanOrEqual(3);
    expect(r.flaky).toEqual([]);
    expect(readExpectations(path).expected.map((e) => e.op)).toContain('listen');
  }, 300_000);

  it('cannot reach it while the listed one ends every sequence that meets it', async () => {
    const r = await exploreFrom(listed(false), join(dir, 'end.json'));
    expect(r.added.filter((e) => e.op === 'listen')).toEqual([]);
    expect(r.depth.endedExpected).toBeGreaterThan(0);
  }, 300_000);
});
