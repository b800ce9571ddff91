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
  const o = step.observed;
  const observed = o.kind === 'returned' ? (o.ret < 0 ? String(o.errno ?? 'E?') : 'ok') : o.kind;
  return { op: step.call.op, allowed: [...new Set(r.divergence.allowed.map((a) => a.rule))].sort(), observed };
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
  // What the schema cannot say: one recorded answer per call.
  f.expected.forEach((x, i) => {
    if (x.answers !== undefined && x.answers.length !== x.calls.length) {
      throw new Error(`${path}: expected[${i}].answers: expected one answer per call (${x.calls.length}), got ${x.answers.length}`);
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
