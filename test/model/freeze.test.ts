/** model/freeze.ts: the tests run with deep-frozen worlds (vitest.config.ts sets SOCKSPEC_FREEZE=1). */
import { describe, expect, it } from 'vitest';
import { FREEZE, initialState, step, type Sock } from '../../model/index.js';
import { DEFAULT_PROFILE } from '../../spec/profile.js';
import { AF_INET, SOCK_STREAM } from '../../spec/constants.js';

describe('freeze', () => {
  it('worlds made by a step are deep-frozen in tests, so a write outside a producer throws', () => {
    expect(FREEZE).toBe(true);
    const s = step(initialState(DEFAULT_PROFILE), { op: 'socket', domain: AF_INET, type: SOCK_STREAM, protocol: 0 })[0]!.next({
      kind: 'returned',
      ret: 5,
    });
    const sk = Object.values(s.objs).find((o) => o.kind === 'socket') as Sock;
    expect(Object.isFrozen(s.objs)).toBe(true);
    expect(() => {
      sk.port = 1;
    }).toThrow(TypeError);
  });
});
