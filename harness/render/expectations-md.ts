/**
 * An expectations file as a Markdown table, one row per distinct divergence: signatures
 * that differ only in the implementation's answer (EINVAL here, EIO there) but concern
 * the same call and the same model rules are one divergence. Each row gives the shortest
 * minimal trace among them and their analyses. Pure; the README's lwIP section is this
 * table (test/harness/expectations.test.ts keeps the two equal).
 */
import { OPS } from '../../spec/call.js';
import type { Expectation, ExpectationFile, Kind } from '../expectations.js';
import { renderCall } from './call.js';

export interface Divergence {
  op: string;
  allowed: string[];
  /** Every answer the implementation gave instead. */
  observed: string[];
  kinds: Kind[];
  /** Each distinct analysis, with the answers it explains. */
  notes: { note: string; observed: string[] }[];
  /** The shortest minimal trace of the group. */
  shortest: Expectation;
}

/** Groups signatures by call and allowed rules. */
export function distinctDivergences(f: ExpectationFile): Divergence[] {
  const groups = new Map<string, Expectation[]>();
  for (const e of f.expected) {
    const k = `${e.op} ${e.allowed.join(' ')}`;
    groups.set(k, [...(groups.get(k) ?? []), e]);
  }
  const out = [...groups.values()].map((es): Divergence => {
    const uniq = <T>(xs: T[]): T[] => [...new Set(xs)];
    const shortest = [...es].sort((a, b) => a.calls.length - b.calls.length || JSON.stringify(a.calls).length - JSON.stringify(b.calls).length)[0]!;
    const notes = uniq(es.map((e) => e.note)).map((note) => ({ note, observed: uniq(es.filter((e) => e.note === note).map((e) => e.observed)).sort() }));
    return {
      op: es[0]!.op, allowed: es[0]!.allowed, observed: uniq(es.map((e) => e.observed)).sort(),
      kinds: uniq(es.map((e) => e.kind ?? 'not analysed')), notes, shortest,
    };
  });
  const opIndex = (op: string): number => { const i = (OPS as readonly string[]).indexOf(op); return i < 0 ? OPS.length : i; };
  return out.sort((a, b) => opIndex(a.op) - opIndex(b.op) || a.allowed.join(' ').localeCompare(b.allowed.join(' ')));
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The median of the shortest minimal trace lengths, over distinct divergences. */
export function medianTraceLength(ds: readonly Divergence[]): number {
  const l = ds.map((d) => d.shortest.calls.length).sort((a, b) => a - b);
  if (l.length === 0) return 0;
  const m = Math.floor(l.length / 2);
  return l.length % 2 === 1 ? l[m]! : (l[m - 1]! + l[m]!) / 2;
}

export function expectationsMarkdown(f: ExpectationFile): string {
  const ds = distinctDivergences(f);
  const byKind = new Map<string, number>();
  for (const d of ds) for (const k of d.kinds) byKind.set(k, (byKind.get(k) ?? 0) + 1);
  const lines = [
    `${ds.length} distinct divergences of '${f.adapter}' by call and model rule (${f.expected.length} signatures counting each answer given); ` +
      `${[...byKind].map(([k, n]) => `${k}: ${n}`).join(', ')}; median minimal trace ${medianTraceLength(ds)} calls.`,
    '',
    '| # | call | Linux (model rule) | instead | kind | minimal trace | analysis |',
    '|---|---|---|---|---|---|---|',
  ];
  ds.forEach((d, i) => {
    const trace = d.shortest.calls.map((c) => renderCall(c)).join('; ');
    const world = Object.keys(d.shortest.world).length > 0 ? ` (world ${JSON.stringify(d.shortest.world)})` : '';
    lines.push(`| ${i + 1} | ${d.op} | ${cell(d.allowed.join(', '))} | ${cell(d.observed.join(', '))} | ${d.kinds.join(', ')} | \`${cell(trace)}\`${cell(world)} | ${cell(d.notes.length === 1 ? d.notes[0]!.note : d.notes.map((n) => `${n.observed.join(', ')}: ${n.note}`).join('<br>'))} |`);
  });
  return lines.join('\n');
}
