/**
 * harness/jsonfaithful.ts: which JSON texts JSON.parse + JSON.stringify would change.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { numberRoundTrips, unfaithfulJson } from '../../harness/jsonfaithful.js';

describe('unfaithfulJson', () => {
  it('any_text_json_stringify_wrote_is_faithful', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => {
      expect(unfaithfulJson(JSON.stringify(v))).toBeUndefined();
      expect(unfaithfulJson(JSON.stringify(v, null, 2))).toBeUndefined();
    }), { seed: 17, numRuns: 500 });
  });
  it('formatting_that_keeps_values_is_faithful', () => {
    expect(unfaithfulJson('{ "a" : 1.0 , "b" : [ 1e3, -0, 0.5E-1, "\\u0041" ] , "c" : { } }')).toBeUndefined();
  });
  it('a_repeated_key_is_named_with_its_path', () => {
    expect(unfaithfulJson('{"x":[{"k":1},{"k":1,"k":2}]}')).toBe('x[1].k: key "k" given twice (only the last would be kept)');
  });
  it('numbers_a_double_cannot_hold_are_named_with_what_they_would_become', () => {
    expect(unfaithfulJson('{"n":1e400}')).toBe('n: the number 1e400 would be written back as null');
    expect(unfaithfulJson('[12345678901234567890]')).toBe('[0]: the number 12345678901234567890 would be written back as 12345678901234567000');
    expect(numberRoundTrips('0.10000000000000000001')).toBe(false);
    expect(numberRoundTrips('9007199254740993')).toBe(false);
    expect(numberRoundTrips('9007199254740992')).toBe(true);
  });
});
