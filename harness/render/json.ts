/**
 * Traces as JSON files: a stable serialisation (fixed key order, 2-space indent, final
 * newline) and a reader that checks every field against the trace schema
 * (spec/schema/files.ts, published as schemas/trace.schema.json) and names the file and
 * the field path of the first thing that is wrong. Neither function changes its input.
 */
import { TraceSchema } from '../../spec/schema/files.js';
import { Problem, read } from '../../spec/schema/read.js';
import type { Trace } from './trace.js';

function traceShape(v: unknown): Trace {
  const t = read<Trace>(TraceSchema, v);
  if (t.divergence && t.divergence.index >= t.steps.length) {
    throw new Problem('divergence.index', `${t.divergence.index} is not the index of a step (there are ${t.steps.length})`);
  }
  return t;
}

/**
 * The trace as JSON: keys in a fixed order (the order of the types in spec/ and
 * trace.ts), absent optional fields left out, 2-space indent, one final newline. Throws
 * (naming the field) only if `t` does not fit the Trace type, e.g. a non-integer number.
 */
export function traceToJson(t: Trace): string {
  let canonical: Trace;
  try {
    canonical = traceShape(t);
  } catch (e) {
    if (e instanceof Problem) throw new Error(`trace is not serialisable: ${e.message}`);
    throw e;
  }
  return `${JSON.stringify(canonical, null, 2)}\n`;
}

/**
 * Reads a trace written by traceToJson (or by hand). Every field is checked; the first
 * problem throws an Error `<source>: <field path>: <problem>`, e.g.
 * `trace.json: steps[3].call.fd: expected an integer, got "5"`.
 */
export function traceFromJson(text: string, source: string): Trace {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: not valid JSON: ${(e as Error).message}`);
  }
  try {
    return traceShape(v);
  } catch (e) {
    if (e instanceof Problem) throw new Error(`${source}: ${e.message}`);
    throw e;
  }
}
