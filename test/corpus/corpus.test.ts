/**
 * The committed regression corpus (test/corpus/linux, made by `npx sockspec corpus
 * generate --adapter linux`): every trace is replayed on the model and on the real
 * kernel, and must still reach the rule it was kept for with no divergence on the way. A
 * model change that breaks an old trace fails here, naming the file. Also: generation
 * on the model adapter, and clear errors for malformed or future-version files.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { linuxAdapter, linuxAvailable } from '../../adapters/linux/index.js';
import { modelAdapter } from '../../adapters/model/index.js';
import { checkCorpusTrace, corpusFileName, generateCorpus, loadCorpus } from '../../harness/corpus.js';
import { RULES } from '../../model/index.js';
import { DEFAULT_PROFILE } from '../../spec/profile.js';

const DIR = join(import.meta.dirname, 'linux');
const corpus = loadCorpus(DIR);
const why = linuxAvailable();
const onLinux = why === undefined ? it : it.skip;
const tmp = mkdtempSync(join(tmpdir(), 'sockspec-corpus-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('test/corpus/linux', () => {
  it('covers_at_least_90_percent_of_the_rules_with_a_median_trace_of_at_most_4_calls', () => {
    const rules = new Set(corpus.map((c) => c.trace.keptFor));
    expect(rules.size / RULES.length).toBeGreaterThanOrEqual(0.9);
    const lens = corpus.map((c) => c.trace.steps.length).sort((a, b) => a - b);
    expect(lens[Math.floor((lens.length - 1) / 2)]).toBeLessThanOrEqual(4);
    // Stable names: each file is named after its rule.
    for (const c of corpus) expect(c.file.endsWith(corpusFileName(c.trace.keptFor!))).toBe(true);
  });
  it('every_trace_still_reaches_its_rule_on_the_model', async () => {
    const failures: string[] = [];
    for (const c of corpus) {
      // The model answers by the variant set the trace was recorded under.
      const model = modelAdapter(c.trace.profile.variants ? { ...DEFAULT_PROFILE, variants: c.trace.profile.variants } : DEFAULT_PROFILE);
      const f = await checkCorpusTrace(model, c.trace, c.file);
      if (f.kind !== 'ok') failures.push(f.why);
    }
    expect(failures).toEqual([]);
  });
  onLinux(why === undefined ? 'every_trace_still_reaches_its_rule_on_the_kernel' : `every_trace_still_reaches_its_rule_on_the_kernel (skipped: ${why})`, async () => {
    const failures: string[] = [];
    const notHere: string[] = [];
    for (const c of corpus) {
      const f = await checkCorpusTrace(linuxAdapter, c.trace, c.file);
      if (f.kind === 'failure') failures.push(f.why);
      if (f.kind === 'not-applicable') notHere.push(f.why);
    }
    expect(failures).toEqual([]);
    // Reported, not hidden: the traces of other kernels' variants, and why each does not apply.
    if (notHere.length > 0) console.log(`${notHere.length} corpus traces not applicable on this kernel:\n${notHere.join('\n')}`);
    // Most of the corpus must still run here: a variant that excluded much of it would be a probe gone wrong.
    expect(notHere.length).toBeLessThan(corpus.length / 10);
  });
});

describe('corpus files', () => {
  const one = readFileSync(join(DIR, readdirSync(DIR).filter((f) => f.endsWith('.json')).sort()[0]!), 'utf8');
  const load = (name: string, text: string): string => {
    const d = join(tmp, name);
    rmSync(d, { recursive: true, force: true });
    mkdirSync(d);
    writeFileSync(join(d, 'x.json'), text);
    try { loadCorpus(d); return 'loaded'; } catch (e) { return (e as Error).message; }
  };
  it('a_future_version_names_the_file_and_the_field', () => {
    expect(load('future', one.replace('"version": 1', '"version": 2'))).toMatch(/x\.json: version: /);
  });
  it('a_malformed_field_names_the_file_and_the_field', () => {
    const t = JSON.parse(one);
    t.steps[0].call.domain = 'AF_INET';
    expect(load('bad', JSON.stringify(t))).toMatch(/x\.json: steps\[0\]\.call\.domain: expected an integer/);
    expect(load('notjson', '{')).toMatch(/x\.json: not valid JSON/);
    const u = JSON.parse(one);
    u.keptFor = 'bind/no-such-rule';
    expect(load('rule', JSON.stringify(u))).toMatch(/x\.json: keptFor: 'bind\/no-such-rule' is not a rule of the model/);
  });
});

describe('corpus generate', () => {
  it('keeps_one_shrunk_trace_per_new_rule_and_extends_an_existing_corpus', async () => {
    const out = join(tmp, 'gen');
    const model = modelAdapter(DEFAULT_PROFILE);
    const r1 = await generateCorpus({ adapter: model, out, seed: 7, runs: 150, maxLength: 30, invalid: 0.2, deadlineMs: 50 });
    expect(r1.added.length).toBeGreaterThan(30);
    expect(readdirSync(out).length).toBe(r1.added.length);
    for (const a of r1.added) expect(a.calls).toBeLessThanOrEqual(12);
    // A second run adds only rules the first did not keep.
    const r2 = await generateCorpus({ adapter: model, out, seed: 8, runs: 150, maxLength: 30, invalid: 0.2, deadlineMs: 50 });
    const first = new Set(r1.added.map((a) => a.rule));
    expect(r2.added.every((a) => !first.has(a.rule))).toBe(true);
    expect(loadCorpus(out).length).toBe(r1.added.length + r2.added.length);
  });
});
