/** Test helpers: build calls tersely and run them through the model adapter. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSequence } from '../../harness/runner.js';
import { traceToC } from '../../harness/render/c.js';
import { linuxAdapter } from '../../adapters/linux/index.js';
import type { AddrIn, AddrOut, Call, OptOut, Ptr } from '../../spec/call.js';
import type { Observed } from '../../spec/observed.js';
import { AF_INET, SOCK_DGRAM, SOCK_STREAM, SOL_SOCKET } from '../../spec/constants.js';
import { DEFAULT_PROFILE, type Profile } from '../../spec/profile.js';
import { initialState, step, type State } from '../../model/index.js';
import { modelAdapter } from '../../adapters/model/index.js';

export const inet = (addr: string, port: number, len = 16): Extract<AddrIn, { ptr: 'ok' }> => ({ ptr: 'ok', len, family: AF_INET, addr, port });
export const buf16: AddrOut = { ptr: 'ok', lenPtr: 'ok', len: 16 };
export const tcp = (flags = 0): Call => ({ op: 'socket', domain: AF_INET, type: SOCK_STREAM | flags, protocol: 0 });
export const udp = (flags = 0): Call => ({ op: 'socket', domain: AF_INET, type: SOCK_DGRAM | flags, protocol: 0 });
export const bind = (fd: number, addr: AddrIn): Call => ({ op: 'bind', fd, addr });
export const listen = (fd: number, backlog = 0): Call => ({ op: 'listen', fd, backlog });
export const connect = (fd: number, addr: AddrIn): Call => ({ op: 'connect', fd, addr });
export const accept = (fd: number, out: AddrOut = buf16): Call => ({ op: 'accept', fd, out });
export const close = (fd: number): Call => ({ op: 'close', fd });
export const getsockname = (fd: number, out: AddrOut = buf16): Call => ({ op: 'getsockname', fd, out });
export const getpeername = (fd: number, out: AddrOut = buf16): Call => ({ op: 'getpeername', fd, out });
export const shutdown = (fd: number, how: number): Call => ({ op: 'shutdown', fd, how });
/** setsockopt(fd, level (SOL_SOCKET), name, [value], optlen (4)) with the option pointer `ptr` (valid). */
export const setsockopt = (fd: number, name: number, value = 1, o: { level?: number; optlen?: number; ptr?: Ptr } = {}): Call => {
  const c: Call = { op: 'setsockopt', fd, level: o.level ?? SOL_SOCKET, name, value, optlen: o.optlen ?? 4 };
  if (o.ptr !== undefined) c.ptr = o.ptr;
  return c;
};
export const int4: OptOut = { ptr: 'ok', lenPtr: 'ok', len: 4 };
/** getsockopt(fd, level (SOL_SOCKET), name, &val[4], &len). */
export const getsockopt = (fd: number, name: number, o: { level?: number; opt?: OptOut } = {}): Call => ({ op: 'getsockopt', fd, level: o.level ?? SOL_SOCKET, name, opt: o.opt ?? int4 });

/** Runs `calls` on the model (as a system under test) and returns each step's rule and answer. */
export async function runModel(calls: Call[], profile: Profile = DEFAULT_PROFILE): Promise<{ rule: string; obs: Observed; state: State }[]> {
  const out: { rule: string; obs: Observed; state: State }[] = [];
  const session = await modelAdapter(profile).open({ deadlineMs: 10 });
  let state = initialState(profile);
  for (const c of calls) {
    const outcomes = step(state, c);
    const obs = await session.exec(c);
    const o = outcomes[0]!;
    state = o.next(obs);
    out.push({ rule: o.rule, obs, state });
  }
  return out;
}

/** The last step of `runModel`. */
export async function last(calls: Call[], profile?: Profile): Promise<{ rule: string; obs: Observed; state: State }> {
  const r = await runModel(calls, profile);
  return r[r.length - 1]!;
}

/** The sockaddr_in hex the kernel writes for addr:port. */
export function sin(addr: string, port: number): string {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(AF_INET, 0);
  b.writeUInt16BE(port, 2);
  addr.split('.').forEach((o, i) => { b[4 + i] = Number(o); });
  return b.toString('hex');
}

/** Why the C reproducer cannot be built and run here (no cc, not root), or undefined. */
export const reproSkip: string | undefined = spawnSync('cc', ['--version']).status !== 0 ? 'cc is missing' : process.getuid?.() !== 0 ? 'not root' : undefined;

/**
 * Builds the C reproducer of `calls` (each recorded as returning 0) with -Werror, runs it, and
 * returns its result lines (comments dropped); the compiler must print nothing.
 */
export function runRepro(calls: Call[], prefix: string): string[] {
  const t = { version: 1 as const, adapter: 'linux', profile: DEFAULT_PROFILE, steps: calls.map((call) => ({ call, observed: { kind: 'returned' as const, ret: 0 } })) };
  const dir = mkdtempSync(join(tmpdir(), `sockspec-${prefix}-`));
  try {
    writeFileSync(join(dir, 'repro.c'), traceToC(t));
    const cc = spawnSync('cc', ['-Wall', '-Wextra', '-Werror', 'repro.c', '-o', 'repro'], { cwd: dir, encoding: 'utf8' });
    if (cc.stderr !== '') throw new Error(`cc: ${cc.stderr}`);
    const run = spawnSync('./repro', [], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
    return run.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs each case on a fresh kernel session and returns what went wrong: a divergence, a
 * harness error, or last rules other than `rules` (the model's names for the case's last calls).
 */
export async function kernelDisagreements(cases: Record<string, { calls: Call[]; rules: string[] }>): Promise<string[]> {
  const bad: string[] = [];
  for (const [name, c] of Object.entries(cases)) {
    const session = await linuxAdapter.open({ deadlineMs: 50 });
    try {
      const r = await runSequence(session, c.calls);
      const rules = r.steps.slice(-c.rules.length).map((st) => st.rule);
      if (r.divergence || r.error || JSON.stringify(rules) !== JSON.stringify(c.rules)) bad.push(`${name}: ${JSON.stringify(r.steps.at(-1))} ${r.error ?? ''} ${rules.join(' ')}`);
    } finally {
      await session.close();
    }
  }
  return bad;
}
