/**
 * Stopping a run: Ctrl-C (SIGINT to the terminal's process group, as a terminal sends it)
 * and SIGTERM stop generation, and the run still reports what it did; with --jobs every
 * job's result is merged. A second Ctrl-C exits at once.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/sockspec.mjs');

interface Ended { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; afterSignalMs: number }

/**
 * Runs sockspec in a process group of its own and, once `ready` matches its stderr, sends
 * `signals` to the whole group (as a terminal's Ctrl-C reaches every process in its
 * foreground group), `gapMs` apart. Kills the group if it has not ended 20 s later.
 */
function interrupted(args: string[], signals: NodeJS.Signals[], ready: RegExp, gapMs = 200): Promise<Ended> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sentAt = 0;
    let sent = false;
    c.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    c.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!sent && ready.test(stderr)) {
        sent = true;
        signals.forEach((s, i) => setTimeout(() => {
          if (i === 0) sentAt = Date.now();
          try { process.kill(-c.pid!, s); } catch { /* already gone */ }
        }, i * gapMs));
      }
    });
    const guard = setTimeout(() => { try { process.kill(-c.pid!, 'SIGKILL'); } catch { /* gone */ } }, 60_000);
    c.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stdout, stderr, afterSignalMs: sentAt ? Date.now() - sentAt : -1 });
    });
  });
}

/** The progress line a run prints once sequences are under way. */
const RUNNING = /\] [1-9]\d* ?\/\d+ sequences/;
const MODEL_RUN = ['run', '--adapter', 'model', '--runs', '100000', '--seed', '4', '--no-color'];

describe('sockspec run --adapter model (no real adapter to wait on)', () => {
  it('sigint_stops_it_and_prints_the_summary', async () => {
    const r = await interrupted(MODEL_RUN, ['SIGINT'], RUNNING);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stdout).toMatch(/^sequences\s+[1-9]\d* \(interrupted\)$/m);
    expect(r.afterSignalMs).toBeLessThan(10_000);
  }, 70_000);

  it('sigterm_stops_it_and_prints_the_summary', async () => {
    const r = await interrupted(MODEL_RUN, ['SIGTERM'], RUNNING);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stdout).toMatch(/^sequences\s+[1-9]\d* \(interrupted\)$/m);
  }, 70_000);
});

describe('sockspec run --jobs 2', () => {
  const JOBS = [...MODEL_RUN, '--jobs', '2'];
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    it(`one_${sig.toLowerCase()}_to_the_group_stops_every_job_and_merges_their_results`, async () => {
      const r = await interrupted(JOBS, [sig], RUNNING);
      expect(r.code, r.stderr).toBe(130);
      expect(r.stderr).not.toContain('ended without a result');
      expect(r.stdout).not.toContain('NaN');
      expect(r.stdout).toMatch(/^sequences\s+[1-9]\d* \(interrupted\)$/m);
      expect(r.stdout).toMatch(/^rules\s+[1-9]\d*\/[1-9]\d* covered/m);
      expect(r.stdout).toMatch(/^seed\s+4 \(jobs 2: seeds 4\.\.5\)$/m);
    }, 70_000);
  }

  it('sigint_while_the_jobs_still_start_stops_them_with_their_results', async () => {
    const r = await interrupted(JOBS, ['SIGINT'], /in 2 jobs/);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).not.toContain('ended without a result');
    expect(r.stdout).not.toContain('NaN');
    expect(r.stdout).toMatch(/^sequences\s+\d+ \(interrupted\)$/m);
  }, 70_000);

  it('a_second_sigint_exits_at_once_with_130', async () => {
    const r = await interrupted(JOBS, ['SIGINT', 'SIGINT'], RUNNING);
    expect(r.code, r.stderr).toBe(130);
    expect(r.signal).toBe(null);
    expect(r.stderr).not.toContain('ended without a result');
    expect(r.afterSignalMs).toBeLessThan(10_000);
  }, 70_000);
});

/** Pids of live processes whose command line contains `marker`. */
function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'latin1');
      const state = readFileSync(`/proc/${d}/stat`, 'latin1').split(') ')[1]?.[0];
      if (cmd.includes(marker) && state !== 'Z') pids.push(Number(d));
    } catch { /* gone */ }
  }
  return pids;
}

describe('sockspec run --jobs 2 killed with SIGKILL', () => {
  it('leaves_nothing_in_tmpdir_and_its_jobs_stop_by_themselves', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'sockspec-kill9-'));
    const out = join(tmp, 'out-marker');
    try {
      const c = spawn(process.execPath, [BIN, ...MODEL_RUN, '--jobs', '2', '--out', out], { cwd: ROOT, env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      await new Promise<void>((resolve) => c.stderr.on('data', (d: Buffer) => { stderr += d.toString(); if (RUNNING.test(stderr)) resolve(); }));
      expect(processesWith(out).length).toBe(3); // this run and its two jobs
      c.kill('SIGKILL');
      await new Promise((resolve) => c.on('close', resolve));
      const t0 = Date.now();
      while (processesWith(out).length > 0 && Date.now() - t0 < 15_000) await new Promise((r) => setTimeout(r, 100));
      expect(processesWith(out)).toEqual([]);
      expect(readdirSync(tmp).filter((f) => f.startsWith('sockspec-jobs-'))).toEqual([]);
    } finally {
      for (const pid of processesWith(out)) process.kill(pid, 'SIGKILL');
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 70_000);
});
