/**
 * sockspec in someone else's CI: an exec helper with one deliberate bug (test/fixtures/
 * model-helper.mjs --bug=listen-never-autobinds) and a correct one (the same helper
 * without --bug), run as a CI job would run them. Exit codes, the JSON result, and JUnit XML read by a real JUnit consumer
 * (Debian's python3-junitparser; those checks are skipped, with the reason in the name,
 * where it is not installed).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../harness/results.js';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/sockspec.mjs');
const BUGGY = `exec:${process.execPath} ${join(ROOT, 'test/fixtures/model-helper.mjs')} --bug=listen-never-autobinds`;
const GOOD = `exec:${process.execPath} ${join(ROOT, 'test/fixtures/model-helper.mjs')}`;
const dir = mkdtempSync(join(tmpdir(), 'sockspec-ci-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sockspec = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000, cwd: ROOT });

/** Debian's python (not a pyenv one on PATH) with junitparser, if installed. */
const PY = '/usr/bin/python3';
const junitparser = existsSync(PY) && spawnSync(PY, ['-c', 'import junitparser'], { encoding: 'utf8' }).status === 0;
const withParser = junitparser ? it : it.skip;
const parserName = (s: string): string => (junitparser ? s : `${s} (skipped: python3-junitparser is not installed; apt-get install python3-junitparser)`);

/** What junitparser reads from a JUnit file: suite totals and each case's result. */
function parseJUnit(path: string): { suites: { name: string; tests: number; failures: number; skipped: number }[]; failed: { classname: string; name: string; message: string; text: string }[] } {
  const script = `
import json, sys
from junitparser import JUnitXml, Failure, Skipped
x = JUnitXml.fromfile(sys.argv[1])
suites, failed = [], []
for s in x:
    suites.append({"name": s.name, "tests": s.tests, "failures": s.failures, "skipped": s.skipped})
    for c in s:
        for r in c.result:
            if isinstance(r, Failure):
                failed.append({"classname": c.classname, "name": c.name, "message": r.message, "text": r.text or ""})
print(json.dumps({"suites": suites, "failed": failed}))
`;
  const r = spawnSync(PY, ['-c', script, path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`junitparser could not read ${path}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe('a CI run of an exec helper', () => {
  const json = join(dir, 'buggy.json');
  const junit = join(dir, 'buggy.xml');
  let buggy: ReturnType<typeof sockspec>;

  it('finds_the_one_bug_exits_1_and_writes_its_minimal_trace_to_json', () => {
    buggy = sockspec('run', '--adapter', BUGGY, '--reuse-helper', '--runs', '300', '--seed', '1', '--no-color', '--out', dir, '--json', json, '--junit', junit);
    expect(buggy.status, buggy.stderr).toBe(1);
    const r = JSON.parse(readFileSync(json, 'utf8')) as RunResult;
    expect(r.exit).toBe(1);
    expect(r.divergences).toHaveLength(1);
    const d = r.divergences[0]!;
    expect(d.signature).toBe('listen [listen/autobind] -> EINVAL');
    expect(d.trace.steps.length).toBeLessThanOrEqual(4);
    expect(d.trace.steps.at(-1)!.call.op).toBe('listen');
    expect(d.seed).toBe(1);
    // The file never chooses the helper: the replay command names it.
    expect(d.replay).toBe(`npx sockspec replay ${d.files!.json} --adapter '${BUGGY}'`);
    expect(existsSync(d.files!.c)).toBe(true);
    expect(r.rules['listen/autobind']).toBeDefined();
    expect(r.ops.socket).toBeGreaterThan(0);
    // The people's report has the trace and the summary.
    expect(buggy.stdout).toContain("'exec:");
    expect(buggy.stdout).toMatch(/^divergences\s+1$/m);
  });

  withParser(parserName('its_junit_is_read_by_a_junit_consumer_with_one_failure_at_the_rule'), () => {
    const p = parseJUnit(junit);
    expect(p.suites).toHaveLength(1);
    const r = JSON.parse(readFileSync(json, 'utf8')) as RunResult;
    expect(p.suites[0]!.tests).toBe(Object.keys(r.rules).length);
    expect(p.suites[0]!.failures).toBe(1);
    // Unreached rules are skipped, except the one that failed (the divergence was at its call).
    expect(p.suites[0]!.skipped).toBe(Object.entries(r.rules).filter(([k, n]) => n === 0 && k !== 'listen/autobind').length);
    expect(p.failed).toHaveLength(1);
    expect(p.failed[0]!.name).toBe('listen/autobind');
    expect(p.failed[0]!.classname).toMatch(/^sockspec\.exec_.*\.listen$/);
    expect(p.failed[0]!.message).toContain('listen [listen/autobind] -> EINVAL');
    expect(p.failed[0]!.text).toContain('no allowed outcome matches');
  });

  it('replaying_the_reported_trace_diverges_again_and_exits_1', () => {
    const r = JSON.parse(readFileSync(json, 'utf8')) as RunResult;
    const rep = sockspec('replay', r.divergences[0]!.files!.json, '--adapter', BUGGY, '--no-color');
    expect(rep.status, rep.stderr).toBe(1);
    expect(rep.stdout).toContain('diverges as recorded');
    // On the model (a correct implementation) the same trace agrees.
    const ok = sockspec('replay', r.divergences[0]!.files!.json, '--adapter', 'model', '--no-color');
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
  });

  it('shrink_re_minimises_a_reported_trace_padded_with_noise', () => {
    const r = JSON.parse(readFileSync(json, 'utf8')) as RunResult;
    const t = r.divergences[0]!.trace;
    // A reporter's longer version: unrelated calls before the divergent ones.
    const noise = [
      { call: { op: 'socket', domain: 2, type: 2, protocol: 0 }, observed: { kind: 'returned', ret: 4 }, rule: 'socket/udp' },
      { call: { op: 'fcntl', fd: 4, cmd: 1, arg: 0 }, observed: { kind: 'returned', ret: 0 }, rule: 'fcntl/F_GETFD' },
    ];
    const shift = (fd: number): number => (fd >= 4 ? fd + 1 : fd);
    const steps = [...noise, ...t.steps.map((s) => ({
      ...s,
      call: 'fd' in s.call ? { ...s.call, fd: shift(s.call.fd) } : s.call,
      observed: s.call.op === 'socket' && s.observed.kind === 'returned' && s.observed.ret >= 4 ? { ...s.observed, ret: s.observed.ret + 1 } : s.observed,
    }))];
    const padded = join(dir, 'reported.json');
    writeFileSync(padded, JSON.stringify({ ...t, steps, divergence: { ...t.divergence!, index: steps.length - 1 } }, null, 2));
    const sh = sockspec('shrink', padded, '--adapter', BUGGY, '--out', dir, '--no-color');
    expect(sh.status, sh.stdout + sh.stderr).toBe(0);
    expect(sh.stdout).toContain(`shrunk       ${steps.length} -> ${t.steps.length} calls`);
    const min = JSON.parse(readFileSync(join(dir, 'reported.min.json'), 'utf8')) as { steps: unknown[] };
    expect(min.steps).toHaveLength(t.steps.length);
    expect(existsSync(join(dir, 'reported.min.c'))).toBe(true);
  });

  it('exits_0_when_the_divergence_is_listed_in_an_expectations_file', () => {
    const r = JSON.parse(readFileSync(json, 'utf8')) as RunResult;
    const d = r.divergences[0]!;
    const exp = join(dir, 'expected.json');
    writeFileSync(exp, JSON.stringify({
      version: 1, adapter: 'buggy', expected: [{
        op: d.op, allowed: d.allowed, observed: d.observed, note: 'listen does not autobind', kind: 'bug', world: {}, calls: d.trace.steps.map((s) => s.call),
      }],
    }));
    const again = sockspec('run', '--adapter', BUGGY, '--reuse-helper', '--runs', '300', '--seed', '1', '--no-color', '--out', dir, '--expectations', exp, '--json', join(dir, 'exp.json'));
    expect(again.status, again.stderr).toBe(0);
    const r2 = JSON.parse(readFileSync(join(dir, 'exp.json'), 'utf8')) as RunResult;
    expect(r2.divergences).toHaveLength(0);
    expect(r2.expected!.met[d.signature]).toBeGreaterThan(0);
  });

  it('parallel_jobs_each_find_it_and_the_merged_result_counts_every_sequence', () => {
    const pj = join(dir, 'jobs.json');
    const r = sockspec('run', '--adapter', BUGGY, '--reuse-helper', '--runs', '200', '--seed', '5', '--jobs', '2', '--no-color', '--out', dir, '--json', pj);
    expect(r.status, r.stderr).toBe(1);
    const res = JSON.parse(readFileSync(pj, 'utf8')) as RunResult;
    expect(res.jobs).toBe(2);
    expect(res.divergences.map((d) => d.seed).sort()).toEqual([5, 6]);
    expect(res.divergences.every((d) => d.signature === 'listen [listen/autobind] -> EINVAL')).toBe(true);
  });
});

describe('a conformant helper', () => {
  withParser(parserName('exits_0_and_its_junit_has_no_failure'), () => {
    const xml = join(dir, 'good.xml');
    const r = sockspec('run', '--adapter', GOOD, '--reuse-helper', '--runs', '200', '--seed', '2', '--jobs', '2', '--no-color', '--junit', xml);
    expect(r.status, r.stderr).toBe(0);
    const p = parseJUnit(xml);
    expect(p.suites[0]!.failures).toBe(0);
    expect(p.suites[0]!.tests).toBeGreaterThan(100);
  });

  it('a_time_budget_stops_generation_and_still_reports', () => {
    const t0 = Date.now();
    const r = sockspec('run', '--adapter', 'model', '--runs', '100000000', '--seed', '3', '--time-budget', '2', '--no-color');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^sequences\s+\d+ \(time budget of 2 s spent\)$/m);
    // Generous: start-up plus the budget, far below the hours 10^8 sequences would take.
    expect(Date.now() - t0).toBeLessThan(60_000);
  });

  it('usage_errors_exit_2', () => {
    for (const args of [['--jobs', 'x'], ['--jobs', '2', '--update-expectations'], ['--time-budget', '0'], ['--json']]) {
      const r = sockspec('run', ...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.split('\n')[0]).toMatch(/^sockspec: /);
    }
  });
});
