/**
 * Replaying and re-shrinking recorded traces.
 *
 * A recorded trace holds concrete calls: the fds and ephemeral ports of the run that made
 * it. Another run (another adapter, or the kernel again) may hand out other fds and draw
 * other ports, so calls are first made symbolic: an fd that an earlier step returned
 * becomes "the fd step j returned", a port an earlier step was given becomes "the port
 * step j was bound to". Each call is made concrete again just before it runs, from what
 * this run observed. A trace without recorded answers (an expectations entry) is replayed
 * as it is.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readInputFile } from './files.js';
import { join } from 'node:path';
import type { Adapter, World } from '../spec/adapter.js';
import type { AddrIn, Call } from '../spec/call.js';
import { F_DUPFD } from '../spec/constants.js';
import type { Observed } from '../spec/observed.js';
import type { Profile } from '../spec/profile.js';
import { DEFAULT_PROFILE } from '../spec/profile.js';
import { keyOf, knownOf, readExpectations, signatureOf, type Expectation, type Known } from './expectations.js';
import { traceFromJson } from './render/json.js';
import type { Trace } from './render/trace.js';
import { runSequence, type RunOutcome, type RunStep, type StepFn } from './runner.js';

const F_DUPFD_CLOEXEC = 1030;

/** A sequence to replay, wherever it was read from. */
export interface Recorded {
  /** `file` or `file#index` (expectations entries), for messages. */
  source: string;
  /** The adapter it was recorded on, if known. */
  adapter?: string;
  world: World;
  calls: Call[];
  /** What the recording run observed at each call (absent for expectations entries). */
  observed?: Observed[];
  /** The signature key of the recorded divergence, if it diverged. */
  signature?: string;
  /** An expectations entry: the file's other entries, followed on the way as the run that found it followed them. */
  known?: Known;
}

/** The world a trace ran in, from its profile. */
export function worldOf(p: Profile): World {
  const w: World = { nofile: p.nofile, capNetBindService: p.capNetBindService };
  if (p.file !== undefined) w.file = true;
  return w;
}

/** The recorded sequence of a trace. */
export function recordedOfTrace(t: Trace, source: string): Recorded {
  const r: Recorded = { source, adapter: t.adapter, world: worldOf(t.profile), calls: t.steps.map((s) => s.call), observed: t.steps.map((s) => s.observed) };
  if (t.divergence) {
    const sig = signatureOf({ steps: t.steps, divergence: t.divergence });
    if (sig) r.signature = keyOf(sig);
  }
  return r;
}

/** The recorded sequence of an expectations entry (with its answers, when it has them, so fds and ports carry over). */
export function recordedOfExpectation(e: Expectation, source: string, adapter?: string): Recorded {
  return { source, ...(adapter !== undefined ? { adapter } : {}), world: e.world, calls: e.calls, ...(e.answers ? { observed: e.answers } : {}), signature: keyOf(e) };
}

/**
 * Whether the divergence an expectations entry lists still happens on `adapter`: its
 * calls, replayed on a fresh session (fds and drawn ports carried over when it recorded
 * its answers), diverge with the same signature; `known`: the other listed divergences,
 * followed on the way as the run that found it followed them. Never changes the entry.
 */
export async function stillDiverges(adapter: Adapter, e: Expectation, deadlineMs: number, known?: Known): Promise<boolean> {
  const res = await replay(adapter, recordedOfExpectation(e, '(expectation)'), deadlineMs, undefined, undefined, known);
  return divergenceKey(res.outcome) === keyOf(e);
}

/**
 * Everything replayable under `path`: a trace file, an expectations file (each entry), or
 * a directory of them (its *.json files, sorted by name, not recursing). Throws an Error
 * naming the file (and field) on anything unreadable.
 */
export function loadRecorded(path: string): Recorded[] {
  if (!existsSync(path)) throw new Error(`${path}: no such file or directory`);
  if (statSync(path).isDirectory()) {
    const files = readdirSync(path).filter((f) => f.endsWith('.json')).sort();
    if (files.length === 0) throw new Error(`${path}: no .json traces in this directory`);
    return files.flatMap((f) => loadRecorded(join(path, f)));
  }
  const text = readInputFile(path);
  let v: unknown;
  try { v = JSON.parse(text); } catch (e) { throw new Error(`${path}: not valid JSON: ${(e as Error).message}`); }
  if (typeof v === 'object' && v !== null && 'expected' in v) {
    const f = readExpectations(path);
    return f.expected.map((e, i) => ({ ...recordedOfExpectation(e, `${path}#${i}`, f.adapter), known: knownOf(f.expected.filter((x) => x !== e)) }));
  }
  return [recordedOfTrace(traceFromJson(text, path), path)];
}

/** A call whose fd and port may name the result of an earlier step. */
interface Sym {
  call: Call;
  /** The fd is the one step `fdFrom` returned (for a socketpair: stored in sv[`fdSlot`]). */
  fdFrom?: number;
  fdSlot?: 0 | 1;
  /** sendfile's in_fd is the one step `inFdFrom` returned. */
  inFdFrom?: number;
  /** The address's port is the one step `portFrom` was bound to. */
  portFrom?: number;
}

/** The call that acts: socketcall's carried call, or the call itself. */
function acting(c: Call): Call {
  return c.op === 'socketcall' && c.call !== undefined ? c.call : c;
}

/** `outer` with its acting call replaced by `c`. */
function withActing(outer: Call, c: Call): Call {
  return outer.op === 'socketcall' && outer.call !== undefined ? { ...outer, call: c as typeof outer.call } : c;
}

/**
 * The address a call sends to or binds/connects to, when it names a port: bind's and
 * connect's address, sendto's, and sendmsg's msg_name.
 */
function portAddr(c: Call): Extract<AddrIn, { ptr: 'ok' }> | undefined {
  const a = c.op === 'bind' || c.op === 'connect' || c.op === 'sendto' ? c.addr : c.op === 'sendmsg' && c.msg.ptr === 'ok' ? c.msg.name : undefined;
  return a !== undefined && a.ptr === 'ok' ? a : undefined;
}

/** `c` with the port of its address (see portAddr) replaced. */
function withPort(c: Call, port: number): Call {
  const a = portAddr(c);
  if (a === undefined) return c;
  const addr = { ...a, port };
  if (c.op === 'bind' || c.op === 'connect' || c.op === 'sendto') return { ...c, addr };
  if (c.op === 'sendmsg' && c.msg.ptr === 'ok') return { ...c, msg: { ...c.msg, name: addr } };
  return c;
}

function createsFd(outer: Call): boolean {
  const c = acting(outer);
  return c.op === 'socket' || c.op === 'accept' || c.op === 'accept4' || (c.op === 'fcntl' && (c.cmd === F_DUPFD || c.cmd === F_DUPFD_CLOEXEC));
}

function boundPort(o: Observed | undefined): number | undefined {
  if (o === undefined) return undefined;
  return o.kind === 'returned' || o.kind === 'blocked' ? o.bound?.port : undefined;
}

/** Makes the calls symbolic, using what the recording run observed. */
export function symbolize(calls: readonly Call[], observed: readonly Observed[] | undefined): Sym[] {
  return calls.map((outer, i) => {
    const s: Sym = { call: outer };
    const call = acting(outer);
    // poll and select name several fds: they are replayed with the recorded numbers.
    if (observed === undefined || call.op === 'socketcall' || call.op === 'poll' || call.op === 'select') return s;
    const from = (fd: number): { j: number; slot?: 0 | 1 } | undefined => {
      for (let j = i - 1; j >= 0; j--) {
        const o = observed[j];
        if (createsFd(calls[j]!) && o?.kind === 'returned' && o.ret === fd) return { j };
        // socketpair's fds are the two stored in sv.
        const slot = acting(calls[j]!).op === 'socketpair' && o?.kind === 'returned' && o.sv ? o.sv.indexOf(fd) : -1;
        if (slot === 0 || slot === 1) return { j, slot };
      }
      return undefined;
    };
    if (call.op !== 'socket' && call.op !== 'socketpair') {
      const f = from(call.fd);
      if (f !== undefined) {
        s.fdFrom = f.j;
        if (f.slot !== undefined) s.fdSlot = f.slot;
      }
    }
    // (an in_fd made by socketpair keeps its recorded number: fds are the lowest free in every adapter here)
    if (call.op === 'sendfile') {
      const f = from(call.inFd);
      if (f !== undefined && f.slot === undefined) s.inFdFrom = f.j;
    }
    const addr = portAddr(call);
    if (addr !== undefined && addr.port !== 0) {
      const port = addr.port;
      // The first step that was bound to this port: if its call asked for the port by
      // number, the number is literal; otherwise the port was drawn there.
      const j = observed.findIndex((o, k) => k < i && boundPort(o) === port);
      const cj = j >= 0 ? acting(calls[j]!) : undefined;
      const asked = cj !== undefined && cj.op === 'bind' && portAddr(cj)?.port === port;
      if (j >= 0 && !asked) s.portFrom = j;
    }
    return s;
  });
}

/**
 * The concrete call for `s`, given the steps of this run so far; `index` maps a recorded
 * step number to its position in this run (shrinking drops steps).
 */
function materialize(s: Sym, done: readonly RunStep[], index: (j: number) => number | undefined): Call {
  let call = acting(s.call);
  if (s.fdFrom !== undefined && call.op !== 'socket' && call.op !== 'socketpair' && call.op !== 'socketcall' && call.op !== 'poll' && call.op !== 'select') {
    const k = index(s.fdFrom);
    const o = k === undefined ? undefined : done[k]?.observed;
    if (o?.kind === 'returned' && s.fdSlot !== undefined) { if (o.sv) call = { ...call, fd: o.sv[s.fdSlot] }; }
    else if (o?.kind === 'returned' && o.ret >= 0) call = { ...call, fd: o.ret };
  }
  if (s.inFdFrom !== undefined && call.op === 'sendfile') {
    const k = index(s.inFdFrom);
    const o = k === undefined ? undefined : done[k]?.observed;
    if (o?.kind === 'returned' && o.ret >= 0) call = { ...call, inFd: o.ret };
  }
  if (s.portFrom !== undefined && portAddr(call) !== undefined) {
    const k = index(s.portFrom);
    const p = k === undefined ? undefined : boundPort(done[k]?.observed);
    if (p !== undefined && p !== 0) call = withPort(call, p);
  }
  return withActing(s.call, call);
}

export interface ReplayResult {
  outcome: RunOutcome;
  profile: Profile;
}

/**
 * Runs the recorded steps `keep` (indices into r.calls, ascending; default all) on a fresh
 * session; `known` lets the run follow listed divergences (a trace recorded past one).
 */
export async function replay(adapter: Adapter, r: Recorded, deadlineMs: number, keep?: readonly number[], stepFn?: StepFn, known?: Known): Promise<ReplayResult> {
  const syms = symbolize(r.calls, r.observed);
  const order = keep ?? syms.map((_, i) => i);
  const pos = new Map(order.map((j, k) => [j, k]));
  let session;
  try {
    session = await adapter.open({ deadlineMs, world: r.world });
  } catch (e) {
    return { outcome: { steps: [], error: `cannot open a session: ${(e as Error).message}` }, profile: DEFAULT_PROFILE };
  }
  try {
    const calls = order.map((j) => syms[j]!.call);
    // Position k of this run is recorded step order[k].
    const outcome = await runSequence(session, calls, stepFn, (_c, done) => materialize(syms[order[done.length]!]!, done, (j) => pos.get(j)), known ?? r.known);
    return { outcome, profile: session.profile };
  } finally {
    await session.close();
  }
}

/** The signature key of a run's divergence, or undefined when it agrees. */
export function divergenceKey(o: RunOutcome): string | undefined {
  const s = signatureOf(o);
  return s ? keyOf(s) : undefined;
}

export interface ShrinkResult extends ReplayResult {
  /** The recorded steps kept, in order. */
  kept: number[];
  attempts: number;
}

/**
 * Delta debugging over recorded steps: drops chunks (halves, quarters, ... single steps,
 * repeated until nothing more can go) of `start` as long as the rest, replayed on a fresh
 * session, still satisfies `holds`. Resolves with the smallest sequence found, re-run
 * once more.
 */
export async function minimize(
  adapter: Adapter, r: Recorded, deadlineMs: number, start: number[], holds: (o: RunOutcome) => boolean,
  onAttempt?: (n: number, len: number) => void, stepFn?: StepFn, known?: Known,
): Promise<ShrinkResult> {
  let kept = start;
  let attempts = 0;
  const still = async (cand: number[]): Promise<boolean> => {
    attempts++;
    onAttempt?.(attempts, cand.length);
    const res = await replay(adapter, r, deadlineMs, cand, stepFn, known);
    return res.outcome.error === undefined && holds(res.outcome);
  };
  for (let chunk = Math.max(1, Math.floor(kept.length / 2)); chunk >= 1; chunk = Math.floor(chunk / 2)) {
    let progress = true;
    while (progress) {
      progress = false;
      for (let at = 0; at + chunk <= kept.length; at += chunk) {
        const cand = [...kept.slice(0, at), ...kept.slice(at + chunk)];
        if (cand.length > 0 && await still(cand)) { kept = cand; progress = true; break; }
      }
    }
  }
  const last = await replay(adapter, r, deadlineMs, kept, stepFn, known);
  return { ...last, kept, attempts };
}

/**
 * Re-minimises a divergent recording: the smallest sequence that still diverges with the
 * same signature at its last call; undefined if the recording does not diverge now.
 */
export async function shrinkRecorded(
  adapter: Adapter, r: Recorded, deadlineMs: number, onAttempt?: (n: number, len: number) => void, stepFn?: StepFn,
): Promise<ShrinkResult | undefined> {
  const first = await replay(adapter, r, deadlineMs, undefined, stepFn);
  const target = divergenceKey(first.outcome);
  if (first.outcome.error !== undefined || target === undefined) return undefined;
  // Only what ran up to the divergence matters.
  const start = first.outcome.steps.map((_, i) => i);
  return minimize(adapter, r, deadlineMs, start, (o) => divergenceKey(o) === target, onAttempt, stepFn);
}
