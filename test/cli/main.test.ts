/**
 * The command line as a user meets it: exit codes, one-line errors with the usage, a
 * summary, and trace files on a divergence.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '../../bin/sockspec.mjs');
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });

describe('sockspec run', () => {
  it('bad_flag_exits_2_with_a_one_line_error_and_the_usage', () => {
    const r = run('run', '--runs', 'many');
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe("sockspec: --runs needs an integer, got 'many'");
    expect(r.stderr).toContain('usage: sockspec run');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
  it('unknown_adapter_exits_2', () => {
    const r = run('run', '--adapter', 'nope');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown adapter 'nope'");
  });
  it('model_adapter_run_exits_0_with_a_summary', () => {
    const r = run('run', '--adapter', 'model', '--runs', '50', '--seed', '5', '--no-color');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^sequences\s+50$/m);
    expect(r.stdout).toMatch(/^divergences\s+0$/m);
    expect(r.stdout).toMatch(/^rules\s+\d+\/\d+ covered/m);
    // Families in scope that the run does not cover are named, with what the adapter answers.
    expect(r.stdout).toMatch(/^families\s+AF_INET, AF_INET6, AF_UNIX, AF_VSOCK modelled and generated \(AF_INET6: not yet: .*; AF_UNIX: not yet: socket\(AF_UNIX\) itself, .*; AF_VSOCK: here .*unbound sockets only: .*accept EAGAIN.*\)$/m);
  });
  it('help_exits_0', () => {
    const r = run('run', '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('exit status: 0 no divergence (or only expected ones), 1 divergence found');
  });
});
