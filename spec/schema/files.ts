/**
 * The schemas of sockspec's files: a trace (a corpus entry, a divergence), an
 * expectations file, and a run's result file (`--json`).
 */
import { Type } from '@sinclair/typebox';
import { CallSchema, Int } from './call.js';
import { ExpectedSchema, ObservedSchema, ProfileSchema } from './observed.js';

export const TraceSchema = Type.Object({
  version: Type.Literal(1), adapter: Type.String(), seed: Type.Optional(Int), path: Type.Optional(Type.String()),
  generator: Type.Optional(Type.Object({ maxLength: Int, invalid: Type.Number() }, { additionalProperties: false })),
  profile: ProfileSchema,
  steps: Type.Array(Type.Object({
    call: CallSchema, observed: ObservedSchema, rule: Type.Optional(Type.String()),
    expected: Type.Optional(Type.String({ description: 'a listed divergence the run followed past at this step (its signature key)' })),
  }, { additionalProperties: false })),
  divergence: Type.Optional(Type.Object({
    index: Type.Integer({ minimum: 0 }),
    allowed: Type.Array(Type.Object({ rule: Type.String(), expect: ExpectedSchema }, { additionalProperties: false })),
  }, { additionalProperties: false })),
  keptFor: Type.Optional(Type.String()),
}, { additionalProperties: false, title: 'sockspec trace', description: 'A recorded call sequence (harness/render/trace.ts)' });

const World = Type.Object({
  nofile: Type.Optional(Type.Integer({ minimum: 0 })), capNetBindService: Type.Optional(Type.Boolean()), file: Type.Optional(Type.Boolean()),
}, { additionalProperties: false, description: 'the world a session asks for (spec/adapter.ts World)' });
export { World as WorldSchema };

export const ExpectationsSchema = Type.Object({
  version: Type.Literal(1), adapter: Type.String(),
  expected: Type.Array(Type.Object({
    op: Type.String(), allowed: Type.Array(Type.String(), { description: 'an array of rule ids' }), observed: Type.String(), note: Type.String(),
    kind: Type.Optional(Type.Union(['bug', 'simplification', 'model question', 'harness', 'not analysed'].map((k) => Type.Literal(k)))),
    world: World, calls: Type.Array(CallSchema),
    answers: Type.Optional(Type.Array(ObservedSchema, { description: 'what the recording run observed at each call (one per call)' })),
    follow: Type.Optional(Type.Union([Type.Literal('unchanged'), Type.Object({ rule: Type.String() }, { additionalProperties: false })], { description: 'how a run goes on after it (harness/expectations.ts Follow)' })),
    steer: Type.Optional(Type.Object({
      shape: Type.Record(Type.String(), Type.Unknown()), rules: Type.Optional(Type.Array(Type.String())),
      instead: Type.Union([Type.Literal('skip'), Type.Literal('flags-by-fcntl'), Type.Literal('bind-first')]),
    }, { additionalProperties: false, description: 'how generation goes around it (harness/expectations.ts Steer)' })),
  }, { additionalProperties: false })),
}, { additionalProperties: true, title: 'sockspec expectations', description: 'Known divergences of an implementation (harness/expectations.ts); other top-level fields are the user\'s and are written back as they are' });

export const ResultSchema = Type.Object({
  tool: Type.Literal('sockspec'), version: Type.Literal(1), adapter: Type.String(), kernel: Type.String(),
  seed: Type.Number(), sequences: Type.Number(), calls: Type.Number(), elapsedMs: Type.Number(),
  rules: Type.Record(Type.String(), Type.Number()), ops: Type.Record(Type.String(), Type.Number()),
  divergences: Type.Array(Type.Object({ signature: Type.String(), allowed: Type.Array(Type.String()), trace: TraceSchema }, { additionalProperties: true })),
}, { additionalProperties: true, title: 'sockspec result', description: 'A run\'s result file (--json; harness/results.ts); fields not listed here are informational' });
