/**
 * Steps the model and one adapter session side by side over a sequence. The first
 * observation that no allowed outcome matches is a divergence; the world after each
 * matched step is computed from what was observed.
 *
 * A divergence listed in the known ones (harness/expectations.ts) with a `follow` does not
 * end the run: the step is recorded as an expected divergence and the run goes on from
 * the world the entry names. A generated call whose predicted rules and shape match a
 * listed `steer` is steered (harness/steer.ts). An `unsupported` answer (the adapter could
 * not make the call) is neither agreement nor divergence: the call was not made, the
 * worlds stay as they were.
 *
 * The runner keeps the set of worlds consistent with everything observed so far
 * (usually one). Before each call it adds the worlds the kernel may have reached on its
 * own (model/ipv4/tcp_timer.ts), so an answer that depends on a timer is accepted either way
 * and the observation decides which world is real.
 */
import type { Session } from '../spec/adapter.js';
import type { Call } from '../spec/call.js';
import type { Expected } from '../spec/expected.js';
import type { Observed } from '../spec/observed.js';
import { focusOf, hasInternal, initialState, internal, sameState, step, type Outcome, type State } from '../model/index.js';
import { matches } from './match.js';
import { keyOf, stepSignature, type Known } from './expectations.js';
import { steer } from './steer.js';
import { resolve, type Template } from './template.js';

export type StepFn = (s: State, c: Call) => Outcome[];

export interface RunStep {
  call: Call;
  observed: Observed;
  /** The rule that matched (absent on the divergent step). */
  rule?: string;
  /** Transitions the kernel made on its own before this call, in the matching world. */
  internal?: string[];
  /** A listed divergence the run followed past (its signature key): not agreement. */
  expected?: string;
}

export interface RunOutcome {
  steps: RunStep[];
  /** Set when the last step diverged: what the model allowed there. */
  divergence?: { index: number; allowed: { rule: string; expect: Expected }[] };
  /** A harness-level failure (model refused the call, adapter unusable): not a divergence. */
  error?: string;
  /** Signature keys of the listed divergences generation was steered around, once per steering. */
  steered?: string[];
}


interface World {
  state: State;
  via: string[];
}

/**
 * Most worlds kept at once; more would mean the model is far too loose. Held TCP sends
 * multiply worlds (every prefix of each direction's held sends may have arrived): the
 * generator keeps at most 5 held per socket (harness/template.ts, tcpSendable), 36 per
 * connection.
 */
const MAX_WORLDS = 256;

/**
 * The worlds reachable from `worlds` by the internal transitions that may matter to
 * `call` (model/ipv4/tcp_timer.ts: focusOf), each once (two held sends released in either order
 * reach the same world), breadth first.
 */
function closure(worlds: State[], call: Call): World[] {
  const out: World[] = worlds.map((state) => ({ state, via: [] }));
  if (!worlds.some(hasInternal)) return out;
  for (let i = 0; i < out.length; i++) {
    const w = out[i]!;
    for (const t of internal(w.state, focusOf(w.state, call))) {
      if (out.some((o) => sameState(o.state, t.next))) continue;
      // Dropping worlds could turn a kernel answer the model allows into a divergence.
      if (out.length >= MAX_WORLDS) throw new Error(`more than ${MAX_WORLDS} worlds are consistent with what was observed`);
      out.push({ state: t.next, via: [...w.via, t.rule] });
    }
  }
  return out;
}

/**
 * Rewrites a concrete call just before it runs, knowing the steps run so far (replay
 * uses it to carry recorded fds and ephemeral ports over to the ones this run got).
 */
export type Rewrite = (call: Call, done: readonly RunStep[]) => Call;

/**
 * Runs `seq` (templates, resolved against the model's world, or concrete calls) on
 * `session`. `known` lets it go on past listed divergences (follow), and with `generated`
 * (the sequence was drawn by the generator, not recorded) also around them (steer).
 */
export async function runSequence(
  session: Session, seq: readonly (Template | Call)[], stepFn: StepFn = step, rewrite?: Rewrite, known?: Known, generated = false,
): Promise<RunOutcome> {
  let worlds: State[] = [initialState(session.profile)];
  const steps: RunStep[] = [];
  const steered: string[] = [];
  const end = (o: RunOutcome): RunOutcome => (steered.length > 0 ? { ...o, steered } : o);
  for (const t of seq) {
    const queue: Call[] = [isTemplate(t) ? resolve(worlds[0]!, t) : rewrite ? rewrite(t, steps) : t];
    let then: ((o: Observed) => Call[]) | undefined;
    for (let q = 0; q < queue.length; q++) {
      let call = queue[q]!;
      let candidates: { world: World; outcome: Outcome }[];
      try {
        candidates = predict(worlds, call, stepFn);
      } catch (e) {
        return end({ steps, error: `model cannot answer ${call.op}: ${(e as Error).message}` });
      }
      if (generated && q === 0) {
        const st = steer(worlds[0]!, call, candidates.map((c) => c.outcome.rule), known);
        if (st.kind === 'skip') { steered.push(st.key); continue; }
        if (st.kind === 'replace') {
          steered.push(st.key);
          call = st.call;
          then = st.then;
          try {
            candidates = predict(worlds, call, stepFn);
          } catch (e) {
            return end({ steps, error: `model cannot answer ${call.op}: ${(e as Error).message}` });
          }
        }
      }
      let observed: Observed;
      try {
        observed = await session.exec(call);
        // Linux on loopback finishes handshakes and FINs inside the call; a stack with its
        // own thread (lwIP) is given the chance to catch up before the next call.
        await session.settle();
      } catch (e) {
        return end({ steps, error: `adapter failed on ${call.op}: ${(e as Error).message}` });
      }
      if (q === 0 && then !== undefined) queue.push(...then(observed));
      // The adapter could not make the call: nothing happened, nothing to compare.
      if (observed.kind === 'unsupported') { steps.push({ call, observed }); continue; }
      const hits = candidates.filter((c) => matches(c.outcome.expect, observed));
      const first = hits[0];
      if (first === undefined) {
        const allowed = distinct(candidates.map((c) => ({ rule: c.outcome.rule, expect: c.outcome.expect })));
        const key = keyOf(stepSignature(call, observed, allowed.map((a) => a.rule)));
        const follow = known?.follow.get(key);
        const next = follow === undefined ? undefined
          : follow === 'unchanged' ? worlds
            : dedupe(candidates.filter((c) => c.outcome.rule === follow.rule).map((c) => c.outcome.next(observed)));
        if (next === undefined || next.length === 0) {
          steps.push({ call, observed });
          return end({ steps, divergence: { index: steps.length - 1, allowed } });
        }
        steps.push({ call, observed, expected: key });
        worlds = next;
        continue;
      }
      const st: RunStep = { call, observed, rule: first.outcome.rule };
      if (first.world.via.length > 0) st.internal = first.world.via;
      steps.push(st);
      worlds = hits.length === 1 ? [first.outcome.next(observed)] : dedupe(hits.map((h) => h.outcome.next(observed)));
    }
  }
  return end({ steps });
}

/** Every (world, outcome) the model allows for `call` from any of `worlds` (throws when the model refuses it). */
function predict(worlds: State[], call: Call, stepFn: StepFn): { world: World; outcome: Outcome }[] {
  const candidates: { world: World; outcome: Outcome }[] = [];
  for (const world of closure(worlds, call)) for (const outcome of stepFn(world.state, call)) candidates.push({ world, outcome });
  return candidates;
}

function distinct<T>(xs: T[]): T[] {
  const seen = new Set<string>();
  return xs.filter((x) => { const k = JSON.stringify(x); if (seen.has(k)) return false; seen.add(k); return true; });
}

/** `states` without repeats, first kept (sameState compares shared objects by reference). */
function dedupe(states: State[]): State[] {
  const out: State[] = [];
  for (const s of states) if (!out.some((o) => sameState(o, s))) out.push(s);
  return out;
}

function isTemplate(t: Template | Call): t is Template {
  if (t.op === 'socketcall') return t.call !== undefined && isTemplate(t.call);
  if (t.op === 'socket' || t.op === 'socketpair') return false;
  // A poll or select template may leave nfds out (resolve counts it); a call never does.
  if (t.op === 'poll' || t.op === 'select') return t.nfds === undefined || (t.op === 'poll' ? t.entries.some((e) => typeof e.fd === 'object') : [t.read, t.write, t.except].some((x) => x.ptr === 'ok' && x.fds.some((fd) => typeof fd === 'object')));
  if (t.op === 'sendfile') return typeof t.fd === 'object' || typeof t.inFd === 'object';
  return typeof t.fd === 'object' || ('addr' in t && t.addr.ptr === 'ok' && (typeof t.addr.addr === 'object' || typeof t.addr.port === 'object'));
}
