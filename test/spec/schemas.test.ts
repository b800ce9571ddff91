/**
 * The published JSON Schema files are the validators' own schemas, current, and they
 * accept what sockspec writes: a committed corpus trace and the lwip expectations file
 * fit them when checked by the schema alone (read as plain JSON Schema).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TSchema } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { PUBLISHED, schemaText } from '../../spec/schema/emit.js';
import { problemOf } from '../../spec/schema/read.js';

/** Read as plain JSON Schema (no TypeBox metadata survives the file), by the same walker that words errors. */
const fits = (schema: TSchema, v: unknown): boolean => problemOf(schema, v, '') === undefined;

const ROOT = join(import.meta.dirname, '../..');
const DIR = join(ROOT, 'spec/json-schema');

describe('spec/json-schema', () => {
  it.each(Object.keys(PUBLISHED))('%s is current (npm run schemas)', (name) => {
    expect(readFileSync(join(DIR, name), 'utf8')).toBe(schemaText(name));
  });
  it('holds no other file', () => {
    expect(readdirSync(DIR).sort()).toEqual(Object.keys(PUBLISHED).sort());
  });
  it('the published trace and expectations schemas accept the committed files', () => {
    const schema = (n: string) => JSON.parse(readFileSync(join(DIR, n), 'utf8'));
    const corpus = join(ROOT, 'test/corpus/linux');
    const trace = JSON.parse(readFileSync(join(corpus, readdirSync(corpus).filter((f) => f.endsWith('.json')).sort()[0]!), 'utf8'));
    expect(fits(schema('trace.schema.json'), trace)).toBe(true);
    expect(fits(schema('trace.schema.json'), { ...trace, version: 2 })).toBe(false);
    expect(fits(schema('expectations.schema.json'), JSON.parse(readFileSync(join(ROOT, 'adapters/lwip/expectations.json'), 'utf8')))).toBe(true);
  });
  it('the published helper-message schema accepts a hello and refuses a result without an id', () => {
    const s = JSON.parse(readFileSync(join(DIR, 'helper-message.schema.json'), 'utf8'));
    expect(fits(s, { type: 'hello', protocol: 1, name: 'x', version: '1', capabilities: { families: ['AF_INET'], types: ['SOCK_STREAM'], calls: ['socket'] } })).toBe(true);
    expect(fits(s, { type: 'result', observed: { kind: 'returned', ret: 0 } })).toBe(false);
  });
});
