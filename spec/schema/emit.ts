/**
 * The published JSON Schema files (spec/json-schema/, shipped in the package as
 * `sockspec/schemas/*`): the same schema objects the validators use, written as JSON
 * (codecs and messages are symbol-keyed and so not written). `npm run schemas` rewrites
 * the files; test/spec/schemas.test.ts fails when they are not current.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TSchema } from '@sinclair/typebox';
import { ExpectationsSchema, ResultSchema, TraceSchema } from './files.js';
import { HelperMessageSchema, RunnerMessageSchema } from './wire.js';

/** File name to schema. */
export const PUBLISHED: Readonly<Record<string, TSchema>> = {
  'helper-message.schema.json': HelperMessageSchema,
  'runner-message.schema.json': RunnerMessageSchema,
  'trace.schema.json': TraceSchema,
  'expectations.schema.json': ExpectationsSchema,
  'result.schema.json': ResultSchema,
};

/** The text of one published file. */
export function schemaText(name: string): string {
  return `${JSON.stringify({ $schema: 'https://json-schema.org/draft/2020-12/schema', ...PUBLISHED[name] }, null, 2)}\n`;
}

if (process.argv[1] !== undefined && import.meta.filename === process.argv[1]) {
  const dir = join(import.meta.dirname, '../json-schema');
  for (const name of Object.keys(PUBLISHED)) writeFileSync(join(dir, name), schemaText(name));
  console.log(`${Object.keys(PUBLISHED).length} schemas written to ${dir}`);
}
