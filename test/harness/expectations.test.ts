/**
 * Known-divergence files: signatures, and clear errors for malformed files.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyOf, readExpectations, signatureOf } from '../../harness/expectations.js';
import { expectationsMarkdown } from '../../harness/render/expectations-md.js';

describe('expectations', () => {
  it('signature_names_the_call_the_allowed_rules_and_the_answer', () => {
    const sig = signatureOf({
      steps: [{ call: { op: 'listen', fd: 4, backlog: 0 }, observed: { kind: 'returned', ret: -1, errno: 'EINVAL' } }],
      divergence: { index: 0, allowed: [{ rule: 'listen/bound', expect: { kind: 'returned', ret: 0 } }, { rule: 'listen/bound', expect: { kind: 'returned', ret: 0 } }] },
    });
    expect(sig && keyOf(sig)).toBe('listen [listen/bound] -> EINVAL');
    expect(signatureOf({ steps: [] })).toBeUndefined();
  });
  it('a_malformed_file_names_the_file_and_the_field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sockspec-exp-'));
    try {
      const p = join(dir, 'e.json');
      writeFileSync(p, JSON.stringify({ version: 1, adapter: 'x', expected: [{ op: 'bind', allowed: 'nope' }] }));
      expect(() => readExpectations(p)).toThrow(`${p}: expected[0].allowed: expected an array of rule ids`);
      writeFileSync(p, JSON.stringify({ version: 2, adapter: 'x', expected: [] }));
      expect(() => readExpectations(p)).toThrow(`${p}: version: expected 1, got 2`);
      writeFileSync(p, '{');
      expect(() => readExpectations(p)).toThrow(p);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('a_call_with_a_missing_argument_or_not_a_call_names_the_file_and_the_field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sockspec-exp-'));
    try {
      const p = join(dir, 'e.json');
      const entry = { op: 'socket', allowed: ['socket/tcp'], observed: 'EINVAL', note: 'n', world: {} };
      const file = (e: object) => JSON.stringify({ version: 1, adapter: 'x', expected: [{ ...entry, ...e }] });
      writeFileSync(p, file({ calls: [{ op: 'socket' }] }));
      expect(() => readExpectations(p)).toThrow(`${p}: expected[0].calls[0].domain: missing`);
      writeFileSync(p, file({ calls: ['socket(2, 1, 0)'] }));
      expect(() => readExpectations(p)).toThrow(`${p}: expected[0].calls[0]: expected an object, got "socket(2, 1, 0)"`);
      writeFileSync(p, file({ calls: [{ op: 'frobnicate', fd: 3 }] }));
      expect(() => readExpectations(p)).toThrow(`${p}: expected[0].calls[0].op: expected one of socket,`);
      writeFileSync(p, file({ calls: [], world: { nofile: 'many' } }));
      expect(() => readExpectations(p)).toThrow(`${p}: expected[0].world.nofile: expected an integer, got "many"`);
      writeFileSync(p, file({ calls: [{ op: 'socket', domain: 2, type: 1, protocol: 0 }], world: { nofile: 7 } }));
      expect(readExpectations(p).expected[0]!.calls).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('the_committed_lwip_file_reads', () => {
    const f = readExpectations(join(import.meta.dirname, '../../adapters/lwip/expectations.json'));
    expect(f.adapter).toBe('lwip');
    expect(f.expected.length).toBeGreaterThan(0);
  });
});

describe('README lwIP table', () => {
  it('is_the_table_of_adapters_lwip_expectations_json', () => {
    const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
    const m = /<!-- lwip-table:begin -->\n([\s\S]*?)\n<!-- lwip-table:end -->/.exec(readme);
    expect(m, 'README.md has no lwip-table markers').not.toBeNull();
    const want = expectationsMarkdown(readExpectations(join(import.meta.dirname, '../../adapters/lwip/expectations.json')));
    expect(m![1], 'regenerate with: npx sockspec expectations adapters/lwip/expectations.json').toBe(want);
  });
});
