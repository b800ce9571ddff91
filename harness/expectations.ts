/**
 * Known divergences of a third-party implementation ("expectations"): a run treats a
 * divergence whose signature is listed as expected (counted, not a failure), and a run
 * can check whether each listed one still reproduces. File format (JSON):
 *   { "version": 1, "adapter": "lwip", "expected": [ Expectation, ... ] }
 */
import { readInputFile, writeFileAtomic } from './files.js';
import { unfaithfulJson } from './jsonfaithful.js';
import type { World } from '../spec/adapter.js';
import type { Call } from '../spec/call.js';
import type { Observed } from '../spec/observed.js';
import type { RunOutcome } from './runner.js';
import { ExpectationsSchema } from '../spec/schema/files.js';
import { Problem, read } from '../spec/schema/read.js';

/** What makes two divergences the same: the call, the rules the model allowed, the answer's kind. */
export interface Signature {
  op: string;
  allowed: string[];
  observed: string;
}

/**
 * How a run goes on after a listed divergence (absent: the sequence ends there).
 * `unchanged`: the call failed and changed nothing, so the run continues from the worlds
 * before it. `{ rule }`: the call did what that allowed rule does (its next world is
 * computed from the observed answer), only the answer differs (a source address, a
 * length). Either way the step is reported as an expected divergence, never as agreement.
 */
export type Follow = 'unchanged' | { rule: string };

/**
 * How the generator goes around a listed divergence, before the call is made (the entry's
 * call, or the call `shape.op` names: one that leads to it): the call's
 * predicted rules must all be among `rules` (default: the entry's `allowed`) and the
 * concrete call must fit `shape` (each field equal; a number field given as
 * `{ "anyBits": n }` fits when any of those bits is set). `instead` (harness/steer.ts):
 * `skip` (the call is not made); `flags-by-fcntl` (a socket() whose SOCK_NONBLOCK/
 * SOCK_CLOEXEC the implementation refuses is made without them, then fcntl(F_SETFL,
 * O_NONBLOCK) and fcntl(F_SETFD, FD_CLOEXEC) set them); `bind-first` (a connect of an
 * unbound AF_INET socket to a 127/8 address is preceded by bind(127.0.0.1:0), so the
 * source address is the caller's choice, not the implementation's).
 */
export interface Steer {
  shape: Record<string, unknown>;
  rules?: string[];
  instead: 'skip' | 'flags-by-fcntl' | 'bind-first';
}

/** The ways generation can go around a divergence (Steer.instead). */
export const STEER_INSTEAD = ['skip', 'flags-by-fcntl', 'bind-first'] as const;

/** What a known divergence is, as far as it was analysed. */
export const KINDS = ['bug', 'simplification', 'model question', 'harness', 'not analysed'] as const;
export type Kind = (typeof KINDS)[number];

export interface Expectation extends Signature {
  /** What the implementation does instead, in a sentence or two, and why. */
  note: string;
  /**
   * bug: contradicts POSIX or loses state; simplification: a deliberate shortcut; model
   * question: Linux is not the only reasonable answer; harness: caused by the helper.
   */
  kind?: Kind;
  /** A minimal sequence that shows it (the world and the concrete calls). */
  world: World;
  calls: Call[];
  /** How a run goes on after it (absent: the sequence ends at it). */
  follow?: Follow;
  /** How generation goes around it (absent: it is not avoided). */
  steer?: Steer;
  /**
   * What the run that found it observed at each call (written by --update-expectations):
   * re-checking carries its fds and drawn ports over to the ones this run gets, as
   * replay does. Absent (hand-written entries): the calls run as they are.
   */
  answers?: Observed[];
}

export interface ExpectationFile {
  version: 1;
  adapter: string;
  expected: Expectation[];
}

/** The signature of a divergent run; undefined if the run did not diverge. */
export function signatureOf(r: RunOutcome): Signature | undefined {
  if (!r.divergence) return undefined;
  const step = r.steps[r.divergence.index]!;
  return stepSignature(step.call, step.observed, r.divergence.allowed.map((a) => a.rule));
}

/** The signature of one divergent step: its call, the rules the model allowed there, the answer. */
export function stepSignature(call: Call, o: Observed, allowed: readonly string[]): Signature {
  const observed = o.kind === 'returned' ? (o.ret < 0 ? String(o.errno ?? 'E?') : 'ok') : o.kind;
  return { op: call.op, allowed: [...new Set(allowed)].sort(), observed };
}

/**
 * Known divergences as a run uses them: every listed signature key, how to go on after
 * the ones that say (`follow`), and the ones generation goes around (`steer`).
 */
export interface Known {
  keys: ReadonlySet<string>;
  follow: ReadonlyMap<string, Follow>;
  steer: readonly { key: string; op: string; rules: ReadonlySet<string>; steer: Steer }[];
}

/** The Known of some expectations entries (plus bare keys that only end a sequence). */
export function knownOf(entries: readonly Expectation[], extraKeys: Iterable<string> = []): Known {
  const keys = new Set([...entries.map(keyOf), ...extraKeys]);
  const follow = new Map(entries.flatMap((e) => (e.follow !== undefined ? [[keyOf(e), e.follow] as const] : [])));
  // (a steer whose shape names another call avoids the call that leads to the divergence)
  const op = (e: Expectation): string => (typeof e.steer?.shape.op === 'string' ? e.steer.shape.op : e.op);
  const steer = entries.flatMap((e) => (e.steer !== undefined ? [{ key: keyOf(e), op: op(e), rules: new Set(e.steer.rules ?? e.allowed), steer: e.steer }] : []));
  return { keys, follow, steer };
}

/**
 * Why an answer is not the implementation's own and must never be recorded as an
 * expected divergence, or undefined when it is: `unsupported` (the adapter could not make
 * the call) and `crashed` (the helper or the implementation's process died or broke the
 * protocol: a harness error, reported as what it is).
 */
export function notAnAnswer(o: Observed): string | undefined {
  if (o.kind === 'unsupported') return `unsupported: ${o.detail}`;
  if (o.kind === 'crashed') return `crashed: ${o.detail}`;
  return undefined;
}

/** A stable key for a signature. */
export function keyOf(s: Signature): string {
  return `${s.op} [${s.allowed.join(' ')}] -> ${s.observed}`;
}

/**
 * Reads an expectations file, checked against its schema (spec/schema/files.ts, published
 * as schemas/expectations.schema.json); throws an Error naming the file and the field.
 */
export function readExpectations(path: string): ExpectationFile {
  let v: unknown;
  try {
    v = JSON.parse(readInputFile(path));
  } catch (e) {
    throw new Error((e as Error).message.startsWith(path) ? (e as Error).message : `${path}: ${(e as Error).message}`);
  }
  let f: ExpectationFile;
  try {
    f = read<ExpectationFile>(ExpectationsSchema, v);
  } catch (e) {
    if (e instanceof Problem) throw new Error(`${path}: ${e.message}`);
    throw e;
  }
  // What the schema cannot say: one recorded answer per call; follow names an allowed rule.
  f.expected.forEach((x, i) => {
    if (x.answers !== undefined && x.answers.length !== x.calls.length) {
      throw new Error(`${path}: expected[${i}].answers: expected one answer per call (${x.calls.length}), got ${x.answers.length}`);
    }
    if (typeof x.follow === 'object' && !x.allowed.includes(x.follow.rule)) {
      throw new Error(`${path}: expected[${i}].follow.rule: expected one of the entry's allowed rules (${x.allowed.join(', ')}), got '${x.follow.rule}'`);
    }
  });
  return f;
}

/**
 * Throws (naming the value) unless writeExpectations would write `path` back with every
 * value it does not change as it is (harness/jsonfaithful.ts): asked before a run that
 * may update the file.
 */
export function checkRewritable(path: string): void {
  const why = unfaithfulJson(readInputFile(path));
  if (why !== undefined) throw new Error(`${path}: --update-expectations would not write this file back as it is: ${why}; fix that by hand first`);
}

/**
 * Writes the file with stable formatting (sorted by signature), atomically: on any
 * error (a full disk) the file on disk is left as it was.
 */
export function writeExpectations(path: string, f: ExpectationFile): void {
  const expected = [...f.expected].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
  writeFileAtomic(path, `${JSON.stringify({ ...f, expected }, null, 2)}\n`);
}
