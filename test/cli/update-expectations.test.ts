/**
 * `run --update-expectations` rewrites the user's expectations file: never half-written
 * (a full disk leaves it as it was), and refused before the run when it could not be
 * written back with its values as they are.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/sockspec.mjs');
const BUGGY = `exec:${process.execPath} ${join(ROOT, 'test/fixtures/model-helper.mjs')} --bug=listen-never-autobinds`;
const dir = mkdtempSync(join(tmpdir(), 'sockspec-updexp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sockspec = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000, cwd: ROOT });

/** An expectations file of one (unrelated) entry whose note pads it to about `bytes`. */
function expectationsText(bytes: number, extra = ''): string {
  const entry = { op: 'bind', allowed: ['bind/EINVAL'], observed: 'ok', note: 'x'.repeat(Math.max(0, bytes - 400)), kind: 'bug', world: {}, calls: [{ op: 'socket', domain: 2, type: 1, protocol: 0 }] };
  return `{\n  "version": 1,\n  "adapter": "buggy",${extra}\n  "expected": ${JSON.stringify([entry], null, 2)}\n}\n`;
}

describe('--update-expectations', () => {
  const cases: [string, string][] = [
    ['a_number_json_cannot_hold', '\n  "meta": { "build": 12345678901234567890 },'],
    ['a_number_too_big_for_a_double', '\n  "meta": { "limit": 1e400 },'],
    ['a_key_given_twice', '\n  "meta": { "owner": "a", "owner": "b" },'],
  ];
  for (const [what, extra] of cases) {
    it(`on_a_file_with_${what}_refuses_before_the_run_and_leaves_it_alone`, () => {
      const file = join(dir, `${what}.json`);
      const text = expectationsText(1000, extra);
      writeFileSync(file, text);
      const r = sockspec('run', '--adapter', 'model', '--runs', '5', '--seed', '1', '--no-color', '--out', dir, '--expectations', file, '--update-expectations');
      expect(r.status, r.stdout).toBe(2);
      const first = r.stderr.split('\n').find((l) => l.startsWith('sockspec: '))!;
      expect(first).toContain(file);
      expect(first).toContain('meta.');
      expect(r.stdout).not.toMatch(/^sequences/m);
      expect(readFileSync(file, 'utf8')).toBe(text);
    });
  }

  it('on_a_file_it_can_write_back_runs_as_before', () => {
    const file = join(dir, 'plain.json');
    writeFileSync(file, expectationsText(1000, '\n  "meta": { "n": 1.0, "m": 1e3 },'));
    const r = sockspec('run', '--adapter', 'model', '--runs', '5', '--seed', '1', '--no-color', '--out', dir, '--expectations', file, '--update-expectations');
    expect(r.status, r.stderr).toBe(0);
  });

  // A tmpfs of 32 KiB in a mount namespace of this test's own: the file nearly fills it.
  const unshare = spawnSync('unshare', ['-m', 'sh', '-c', `mount -t tmpfs -o size=32k tmpfs ${dir}`], { encoding: 'utf8' }).status === 0;
  (unshare ? it : it.skip)(unshare ? 'on_a_full_disk_leaves_the_file_as_it_was_and_says_so'
    : 'on_a_full_disk_leaves_the_file_as_it_was_and_says_so (skipped: cannot mount a tmpfs in a new mount namespace here)', () => {
    const disk = join(dir, 'disk');
    mkdirSync(disk);
    const text = expectationsText(26_000);
    const src = join(dir, 'full.json');
    writeFileSync(src, text);
    const out = join(dir, 'out');
    const script = `mount -t tmpfs -o size=32k tmpfs ${disk} && cp ${src} ${disk}/exp.json && ` +
      `"$0" "$@"; rc=$?; cp ${disk}/exp.json ${dir}/after.json; exit $rc`;
    const r = spawnSync('unshare', ['-m', 'sh', '-c', script, process.execPath, BIN, 'run', '--adapter', BUGGY, '--reuse-helper', '--runs', '300', '--seed', '1',
      '--no-color', '--out', out, '--expectations', join(disk, 'exp.json'), '--update-expectations'], { encoding: 'utf8', timeout: 120_000, cwd: ROOT });
    expect(r.status, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toMatch(/exp\.json: not written \(left as it was\): ENOSPC/);
    // The divergence is still reported.
    expect(r.stdout).toContain('listen');
    expect(readFileSync(join(dir, 'after.json'), 'utf8')).toBe(text);
  });
});
