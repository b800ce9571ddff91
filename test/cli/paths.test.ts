/**
 * Paths on the command line: output paths are checked before any work starts (a path that
 * cannot be written is refused at once, never after the run, never by hanging), inputs
 * must be regular files (a FIFO is refused, not blocked on), --path is bounded.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/sockspec.mjs');
const dir = mkdtempSync(join(tmpdir(), 'sockspec-paths-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** sockspec, killed after 20 s (a hang shows as status null). */
const sockspec = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 20_000, killSignal: 'SIGKILL', cwd: dir });

const PROFILE = { kernel: 'x', somaxconn: 4096, portRange: [32768, 60999], unprivilegedPortStart: 1024, nofile: 1024, capNetBindService: true };
const TRACE = JSON.stringify({ version: 1, adapter: 'model', profile: PROFILE, steps: [{ call: { op: 'socket', domain: 2, type: 1, protocol: 0 }, observed: { kind: 'returned', ret: 3 } }] });

/** Exit 2 with a one-line error naming `what`, before any sequence ran. */
function refusedUpFront(r: ReturnType<typeof sockspec>, what: string): void {
  expect(r.status, `${r.stdout}${r.stderr}`).toBe(2);
  expect(r.stderr.split('\n').find((l) => l.startsWith('sockspec: '))).toContain(what);
  expect(r.stdout).not.toMatch(/^sequences/m);
  expect(r.stderr).not.toMatch(/sequences \(length/);
}

const MODEL = ['run', '--adapter', 'model', '--runs', '5', '--seed', '1', '--no-color'];

describe('output paths', () => {
  it('json_under_proc_is_refused_before_the_run', () => refusedUpFront(sockspec(...MODEL, '--json', '/proc/nonexistent/x.json'), '--json /proc/nonexistent/x.json'));
  it('junit_under_proc_is_refused_before_the_run', () => refusedUpFront(sockspec(...MODEL, '--junit', '/proc/x/y.xml'), '--junit /proc/x/y.xml'));
  it('out_under_proc_is_refused_before_the_run', () => refusedUpFront(sockspec(...MODEL, '--out', '/proc/x'), '--out /proc/x'));
  it('out_dev_null_is_refused_before_the_run', () => refusedUpFront(sockspec(...MODEL, '--out', '/dev/null'), '--out /dev/null: a character device, not a directory'));
  it('json_naming_a_directory_is_refused_before_the_run', () => refusedUpFront(sockspec(...MODEL, '--json', dir), `--json ${dir}: a directory`));
  it('corpus_generate_out_under_proc_is_refused_at_once', () => {
    refusedUpFront(sockspec('corpus', 'generate', '--adapter', 'model', '--runs', '5', '--out', '/proc/nope'), '--out /proc/nope');
  });
  it('shrink_out_under_proc_is_refused_before_replaying', () => {
    const t = join(dir, 'shrink-me.json');
    writeFileSync(t, TRACE);
    refusedUpFront(sockspec('shrink', t, '--adapter', 'model', '--out', '/proc/x'), '--out /proc/x');
  });
  it('report_out_under_proc_is_refused', () => {
    const res = join(dir, 'res.json');
    const r0 = sockspec(...MODEL, '--json', res);
    expect(r0.status, r0.stderr).toBe(0);
    refusedUpFront(sockspec('report', res, '--out', '/proc/x/report.html'), '--out /proc/x/report.html');
  });
  it('a_missing_output_directory_is_still_created', () => {
    const out = join(dir, 'a/b/c');
    const r = sockspec(...MODEL, '--json', join(out, 'r.json'));
    expect(r.status, r.stderr).toBe(0);
  });
});

describe('inputs', () => {
  const fifo = join(dir, 'fifo.json');
  expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
  it('expectations_fifo_is_refused_not_blocked_on', () => refusedUpFront(sockspec(...MODEL, '--expectations', fifo), `${fifo}: a FIFO`));
  it('replay_fifo_is_refused_not_blocked_on', () => refusedUpFront(sockspec('replay', fifo, '--adapter', 'model'), `${fifo}: a FIFO`));
  it('report_fifo_is_refused_not_blocked_on', () => refusedUpFront(sockspec('report', fifo, '--out', join(dir, 'r.html')), `${fifo}: a FIFO`));
  it('corpus_check_of_a_directory_holding_a_fifo_is_refused_not_blocked_on', () => {
    const c = join(dir, 'corpus');
    mkdirSync(c);
    expect(spawnSync('mkfifo', [join(c, 'bind--EINVAL.json')]).status).toBe(0);
    refusedUpFront(sockspec('corpus', 'check', c, '--adapter', 'model'), 'a FIFO');
  });
  it('replay_of_a_directory_holding_a_fifo_is_refused_not_blocked_on', () => {
    const c = join(dir, 'traces');
    mkdirSync(c);
    writeFileSync(join(c, 'a.json'), TRACE);
    expect(spawnSync('mkfifo', [join(c, 'b.json')]).status).toBe(0);
    refusedUpFront(sockspec('replay', c, '--adapter', 'model'), 'a FIFO');
  });
});

describe('--path', () => {
  it('a_path_index_beyond_any_run_is_a_usage_error', () => {
    const r = sockspec(...MODEL, '--path', '99999999999999999999');
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(/^sockspec: --path /);
  });
  it('a_shrink_step_beyond_any_sequence_is_a_usage_error', () => {
    const r = sockspec(...MODEL, '--path', `3:${'9'.repeat(30)}`);
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(/^sockspec: --path /);
  });
});
