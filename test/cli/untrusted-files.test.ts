/**
 * Files never choose what runs: a trace or expectations file someone sent names its
 * adapter only as data. An `exec:` adapter named by a file is refused unless --adapter
 * gives it on the command line; built-in adapters named by a file are used.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/sockspec.mjs');
const dir = mkdtempSync(join(tmpdir(), 'sockspec-untrusted-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sockspec = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000, cwd: ROOT });

const PROFILE = { kernel: 'x', somaxconn: 4096, portRange: [32768, 60999], unprivilegedPortStart: 1024, nofile: 1024, capNetBindService: true };
const STEP = { call: { op: 'socket', domain: 2, type: 1, protocol: 0 }, observed: { kind: 'returned', ret: 3 }, rule: 'socket/tcp' };

/** A trace whose adapter field is a shell command that would create `marker`. */
function hostile(name: string, marker: string): { file: string; command: string } {
  const command = `/bin/sh -c 'id > ${marker}' replay`;
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify({ version: 1, adapter: `exec:${command}`, profile: PROFILE, steps: [STEP] }));
  return { file, command };
}

describe('a file naming an exec: adapter', () => {
  it('replay_without_adapter_refuses_and_runs_nothing', () => {
    const marker = join(dir, 'pwned-replay');
    const { file, command } = hostile('replay.json', marker);
    const r = sockspec('replay', file, '--no-color');
    expect(r.status).toBe(2);
    expect(existsSync(marker)).toBe(false);
    const first = r.stderr.split('\n')[0]!;
    expect(first).toContain(file);
    expect(first).toContain(command);
    expect(first).toContain('--adapter');
    expect(r.stderr).not.toContain('usage:');
  });

  it('shrink_without_adapter_refuses_and_runs_nothing', () => {
    const marker = join(dir, 'pwned-shrink');
    const { file } = hostile('shrink.json', marker);
    const r = sockspec('shrink', file, '--out', dir, '--no-color');
    expect(r.status).toBe(2);
    expect(existsSync(marker)).toBe(false);
    expect(r.stderr.split('\n')[0]).toContain('pass --adapter');
  });

  it('expectations_file_replayed_without_adapter_refuses_and_runs_nothing', () => {
    const marker = join(dir, 'pwned-exp');
    const file = join(dir, 'exp.json');
    writeFileSync(file, JSON.stringify({
      version: 1, adapter: `exec:/bin/sh -c 'id > ${marker}' x`,
      expected: [{ op: 'socket', allowed: ['socket/tcp'], observed: 'EINVAL', note: 'n', world: {}, calls: [STEP.call] }],
    }));
    const r = sockspec('replay', file, '--no-color');
    expect(r.status).toBe(2);
    expect(existsSync(marker)).toBe(false);
    expect(r.stderr.split('\n')[0]).toContain('pass --adapter');
  });

  it('a_directory_with_one_hostile_trace_runs_none_of_them', () => {
    const sub = join(dir, 'mixed');
    spawnSync('mkdir', [sub]);
    writeFileSync(join(sub, 'a-good.json'), JSON.stringify({ version: 1, adapter: 'model', profile: PROFILE, steps: [STEP] }));
    const marker = join(dir, 'pwned-dir');
    writeFileSync(join(sub, 'b-bad.json'), JSON.stringify({ version: 1, adapter: `exec:/bin/sh -c 'id > ${marker}' x`, profile: PROFILE, steps: [STEP] }));
    const r = sockspec('replay', sub, '--no-color');
    expect(r.status).toBe(2);
    expect(r.stdout).not.toContain('agrees');
    expect(existsSync(marker)).toBe(false);
  });

  it('replay_with_adapter_on_the_command_line_runs_that_adapter', () => {
    const marker = join(dir, 'pwned-explicit');
    const { file } = hostile('explicit.json', marker);
    const r = sockspec('replay', file, '--adapter', 'model', '--no-color');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("on 'model'");
    expect(existsSync(marker)).toBe(false);
  });
});

describe('a file naming a built-in adapter', () => {
  it('replay_without_adapter_uses_it', () => {
    const file = join(dir, 'model.json');
    writeFileSync(file, JSON.stringify({ version: 1, adapter: 'model', profile: PROFILE, steps: [STEP] }));
    const r = sockspec('replay', file, '--no-color');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("on 'model'");
  });
});
