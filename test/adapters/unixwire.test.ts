/**
 * socketpair on the exec wire (spec/wire.ts): the call round-trips through a line for any
 * domain, type (flag bits included), protocol and sv pointer, and a result's `sv` (the
 * two fds) comes back as sent; a result whose sv is not two fds is refused, naming it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Call } from '../../spec/call.js';
import type { HelperMessage } from '../../spec/wire.js';
import { encodeHelperMessage, encodeRunnerMessage, parseHelperMessage, parseRunnerMessage } from '../../spec/wire.js';
import { AF_UNIX } from '../../spec/constants.js';

const i32 = fc.integer({ min: -2147483648, max: 2147483647 });

describe('socketpair on the wire', () => {
  it('round-trips every socketpair call through a line', () => {
    const call: fc.Arbitrary<Call> = fc.record({
      op: fc.constant('socketpair' as const), domain: fc.oneof(fc.constant(AF_UNIX), i32), type: i32,
      protocol: fc.oneof(fc.constant(0), i32), sv: fc.constantFrom('ok' as const, 'null' as const, 'bad' as const),
    });
    fc.assert(fc.property(call, fc.nat(), (c, id) => {
      const line = encodeRunnerMessage({ type: 'call', id, call: c });
      expect(parseRunnerMessage(line)).toEqual({ ok: true, msg: { type: 'call', id, call: c } });
    }), { seed: 42, numRuns: 1000 });
  });

  it('carries the two fds of a result and refuses a result with another count', () => {
    const m: HelperMessage = { type: 'result', id: 2, observed: { kind: 'returned', ret: 0, sv: [4, 5] } };
    expect(parseHelperMessage(encodeHelperMessage(m))).toEqual({ ok: true, msg: m });
    const bad = parseHelperMessage('{"type":"result","id":3,"observed":{"kind":"returned","ret":0,"sv":[4]}}');
    expect(bad.ok).toBe(false);
    expect(bad.ok ? '' : bad.error).toContain('sv');
  });
});
