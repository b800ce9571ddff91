/**
 * The result of a `sockspec run` as data: what `--json` writes, what parallel jobs hand
 * to their parent, what `sockspec report` reads, and what `--junit` is made from.
 *
 * A result file is one JSON object (version 1). Rules are the model's full rule list with
 * how often each was reached (0: unreached); every divergence carries its trace (the
 * format of harness/render/json.ts), the seed and path to replay it, and whether an
 * expectations file listed it.
 */
import { readInputFile } from './files.js';
import { RULES } from '../model/index.js';
import type { CheckReport, Depth } from './check.js';
import { ResultSchema } from '../spec/schema/files.js';
import { fits, problemOf } from '../spec/schema/read.js';
import { renderTrace } from './render/text.js';
import type { Trace } from './render/trace.js';

export interface DivergenceResult {
  /** Signature key (harness/expectations.ts keyOf). */
  signature: string;
  op: string;
  /** The rules the model allowed at the divergent call. */
  allowed: string[];
  /** The implementation's answer: errno name, `ok`, `blocked`, `crashed`, `unsupported`. */
  observed: string;
  seed: number;
  path: string;
  /** The divergence did not happen again when its minimal sequence was re-run. */
  flaky: boolean;
  trace: Trace;
  /** The trace and C reproducer written for it, if any. */
  files?: { json: string; c: string };
  /** The command that replays it. */
  replay: string;
}

export interface RunResult {
  version: 1;
  tool: 'sockspec';
  adapter: string;
  kernel: string;
  /** The kernel's variant set the model answered by (spec/variants.ts), `axis=value ...`; absent in older files. */
  variants?: string;
  /** The first job's seed; job i ran seed + i. */
  seed: number;
  jobs: number;
  generator: { maxLength: number; invalid: number };
  sequences: number;
  calls: number;
  elapsedMs: number;
  /** Why generation stopped early: Ctrl-C, or --time-budget spent. */
  stopped?: 'interrupted' | 'time-budget';
  /** Every rule of the model, with how often the random phase reached it. */
  rules: Record<string, number>;
  /** Calls by syscall. */
  ops: Record<string, number>;
  /** Calls the adapter cannot make here (not generated), with the reason. */
  notRun?: Record<string, string>;
  /** Families in scope the model does not cover, with what the implementation answers socket() for them. */
  families?: Record<string, string>;
  divergences: DivergenceResult[];
  /** Known divergences met (signature key -> count), and listed ones that no longer reproduce. */
  expected?: { file: string; met: Record<string, number>; fixed: string[] };
  /** A harness error (not a divergence). */
  error?: string;
  /** How deep the run got past known divergences (absent in older files). */
  depth?: DepthResult;
  exit: 0 | 1 | 2 | 130;
}

/**
 * A run's depth: the model rules it reached, and the share of its sequences that ended at
 * an expected divergence (0..1), with the counts behind it (harness/check.ts Depth).
 */
export interface DepthResult extends Depth {
  rulesReached: number;
  rulesTotal: number;
  endedExpectedShare: number;
}

/** The depth of a run from its rule counts, sequence count and depth counts. */
export function depthOf(rules: Record<string, number>, sequences: number, d: Depth): DepthResult {
  return {
    ...d, rulesReached: Object.values(rules).filter((n) => n > 0).length, rulesTotal: Object.keys(rules).length,
    endedExpectedShare: sequences > 0 ? d.endedExpected / sequences : 0,
  };
}

/** The rule-count table of a check report, every model rule present. */
export function ruleCounts(r: CheckReport): Record<string, number> {
  return Object.fromEntries(RULES.map((rule) => [rule, r.coverage.counts.get(rule) ?? 0]));
}

/** Combines the results of parallel jobs of one run (same adapter and options). */
export function mergeResults(rs: readonly RunResult[]): RunResult {
  if (rs.length === 0) throw new Error('no results to merge');
  const first = rs[0]!;
  const sum = (f: (r: RunResult) => number): number => rs.reduce((a, r) => a + f(r), 0);
  const addUp = (get: (r: RunResult) => Record<string, number> | undefined): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const r of rs) for (const [k, v] of Object.entries(get(r) ?? {})) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  const out: RunResult = {
    version: 1, tool: 'sockspec', adapter: first.adapter, kernel: first.kernel, seed: Math.min(...rs.map((r) => r.seed)), jobs: rs.length,
    generator: first.generator, sequences: sum((r) => r.sequences), calls: sum((r) => r.calls),
    elapsedMs: Math.max(...rs.map((r) => r.elapsedMs)), rules: addUp((r) => r.rules), ops: addUp((r) => r.ops),
    divergences: rs.flatMap((r) => r.divergences), exit: 0,
  };
  if (first.variants !== undefined) out.variants = first.variants;
  if (first.notRun) out.notRun = first.notRun;
  if (first.families) out.families = first.families;
  const stopped = rs.find((r) => r.stopped)?.stopped;
  if (stopped) out.stopped = stopped;
  if (first.expected) {
    // Listed divergences replayed without reproducing, unless some job met them.
    const met = addUp((r) => r.expected?.met);
    const fixed = [...new Set(rs.flatMap((r) => r.expected?.fixed ?? []))].filter((k) => !(k in met));
    out.expected = { file: first.expected.file, met, fixed };
  }
  const errors = rs.filter((r) => r.error !== undefined).map((r) => r.error!);
  if (errors.length > 0) out.error = errors.join('; ');
  if (rs.some((r) => r.depth)) {
    const keys = ['endedExpected', 'followedSequences', 'followedSteps', 'steeredSequences', 'steered', 'notRunCalls'] as const;
    const d = Object.fromEntries(keys.map((k) => [k, sum((r) => r.depth?.[k] ?? 0)])) as unknown as Depth;
    out.depth = depthOf(out.rules, out.sequences, d);
  }
  out.exit = out.error !== undefined ? 2 : out.divergences.length > 0 ? 1 : rs.some((r) => r.exit === 130) ? 130 : 0;
  return out;
}

/**
 * Reads a result file written by `--json`, checked against its schema (spec/schema/files.ts,
 * published as schemas/result.schema.json); errors name the file and the field.
 */
export function readResult(path: string): RunResult {
  let text: string;
  try { text = readInputFile(path); } catch (e) { throw new Error((e as Error).message.startsWith(path) ? (e as Error).message : `${path}: ${(e as Error).message}`); }
  return resultFromJson(text, path);
}

/** A result from its JSON text (a file's, or a parallel job's report); errors name `path` and the field. */
export function resultFromJson(text: string, path: string): RunResult {
  let v: unknown;
  try { v = JSON.parse(text); } catch (e) { throw new Error(`${path}: ${(e as Error).message}`); }
  if (typeof v === 'object' && v !== null && (v as Record<string, unknown>)['tool'] !== 'sockspec') {
    throw new Error(`${path}: tool: expected "sockspec", got ${JSON.stringify((v as Record<string, unknown>)['tool'])} (not a sockspec result file)`);
  }
  if (!fits(ResultSchema, v)) throw new Error(`${path}: ${problemOf(ResultSchema, v, '')?.message ?? 'does not fit the result schema'}`);
  return v as RunResult;
}

const xmlEscape = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
    // XML 1.0 has no place for most control characters (ANSI colours never get here, but be safe).
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

/**
 * JUnit XML: one test suite per run, one test case per model rule (classname
 * `sockspec.<adapter>.<syscall>`): passed when reached without a divergence at it, failed
 * with the minimal trace when a divergence concerns it (the model allowed it there), and
 * skipped when the run never reached it. A divergence at which the model allowed nothing
 * becomes a test case of its own.
 */
export function toJUnit(r: RunResult): string {
  const cls = (rule: string): string => `sockspec.${r.adapter.replace(/[^A-Za-z0-9_-]+/g, '_')}.${rule.split('/')[0]}`;
  const failing = new Map<string, DivergenceResult[]>();
  const orphans: DivergenceResult[] = [];
  for (const d of r.divergences) {
    if (d.allowed.length === 0) orphans.push(d);
    for (const rule of d.allowed) failing.set(rule, [...(failing.get(rule) ?? []), d]);
  }
  const cases: string[] = [];
  let failures = 0;
  let skipped = 0;
  const failureXml = (ds: DivergenceResult[]): string => ds.map((d) => {
    const text = `${renderTrace(d.trace, { color: false })}\n`;
    return `      <failure message="${xmlEscape(`${r.adapter} diverges: ${d.signature}`)}" type="divergence">${xmlEscape(text)}</failure>\n`;
  }).join('');
  for (const rule of Object.keys(r.rules)) {
    const ds = failing.get(rule);
    const open = `    <testcase classname="${xmlEscape(cls(rule))}" name="${xmlEscape(rule)}" time="0">`;
    if (ds) { failures++; cases.push(`${open}\n${failureXml(ds)}    </testcase>`); }
    else if ((r.rules[rule] ?? 0) === 0) { skipped++; cases.push(`${open}\n      <skipped message="not reached by this run"/>\n    </testcase>`); }
    else cases.push(`${open}</testcase>`);
  }
  for (const d of orphans) {
    failures++;
    cases.push(`    <testcase classname="${xmlEscape(cls(d.op))}" name="${xmlEscape(`${d.op}: no rule of the model applies`)}" time="0">\n${failureXml([d])}    </testcase>`);
  }
  const tests = cases.length + (r.error ? 1 : 0);
  const time = (r.elapsedMs / 1000).toFixed(3);
  const props = [
    ['adapter', r.adapter], ['kernel', r.kernel], ...(r.variants !== undefined ? [['variants', r.variants]] : []), ['seed', String(r.seed)], ['jobs', String(r.jobs)],
    ['sequences', String(r.sequences)], ['calls', String(r.calls)],
  ].map(([k, v]) => `      <property name="${k}" value="${xmlEscape(v!)}"/>`).join('\n');
  const met = r.expected ? Object.entries(r.expected.met).map(([k, n]) => `${n}x ${k}`).join('\n') : '';
  const out = met ? `\n    <system-out>${xmlEscape(`expected divergences met (${r.expected!.file}):\n${met}\n`)}</system-out>` : '';
  const name = xmlEscape(`sockspec ${r.adapter}`);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="sockspec" tests="${tests}" failures="${failures}" errors="${r.error ? 1 : 0}" skipped="${skipped}" time="${time}">`,
    `  <testsuite name="${name}" tests="${tests}" failures="${failures}" errors="${r.error ? 1 : 0}" skipped="${skipped}" time="${time}">`,
    `    <properties>\n${props}\n    </properties>`,
    ...cases,
    ...(r.error ? [`    <testcase classname="sockspec.${xmlEscape(r.adapter)}" name="harness" time="0">\n      <error message="${xmlEscape(r.error)}"/>\n    </testcase>`] : []),
    `${out}`,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].filter((l) => l !== '').join('\n');
}
