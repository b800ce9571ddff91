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
import type { RunOutcome } from './runner.js';

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

/** Reads an expectations file; throws an Error naming the file and the field on bad input. */
export function readExpectations(path: string): ExpectationFile {
  let v: unknown;
  try {
    v = JSON.parse(readInputFile(path));
  } catch (e) {
    throw new Error((e as Error).message.startsWith(path) ? (e as Error).message : `${path}: ${(e as Error).message}`);
  }
  const bad = (field: string, what: string): never => { throw new Error(`${path}: ${field}: ${what}`); };
  if (typeof v !== 'object' || v === null) return bad('(top)', 'expected an object');
  const f = v as Record<string, unknown>;
  if (f.version !== 1) bad('version', `expected 1, got ${JSON.stringify(f.version)}`);
  if (typeof f.adapter !== 'string') bad('adapter', 'expected a string');
  if (!Array.isArray(f.expected)) return bad('expected', 'expected an array');
  f.expected.forEach((e: unknown, i: number) => {
    const x = e as Record<string, unknown>;
    if (typeof x !== 'object' || x === null) bad(`expected[${i}]`, 'expected an object');
    if (typeof x.op !== 'string') bad(`expected[${i}].op`, 'expected a string');
    if (!Array.isArray(x.allowed) || x.allowed.some((a) => typeof a !== 'string')) bad(`expected[${i}].allowed`, 'expected an array of rule ids');
    if (typeof x.observed !== 'string') bad(`expected[${i}].observed`, 'expected a string');
    if (typeof x.note !== 'string') bad(`expected[${i}].note`, 'expected a string');
    if (x.kind !== undefined && !(KINDS as readonly unknown[]).includes(x.kind)) bad(`expected[${i}].kind`, `expected one of ${KINDS.join(', ')}`);
    if (!Array.isArray(x.calls)) bad(`expected[${i}].calls`, 'expected an array of calls');
    if (typeof x.world !== 'object' || x.world === null) bad(`expected[${i}].world`, 'expected an object');
  });
  return v as ExpectationFile;
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
