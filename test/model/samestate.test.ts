/** sameState: the runner's world identity (harness/runner.ts dedupe and closure). */
import { describe, expect, it } from 'vitest';
import { initialState, sameState, step, type State } from '../../model/index.js';
import { DEFAULT_PROFILE } from '../../spec/profile.js';
import { AF_INET, SOCK_STREAM } from '../../spec/constants.js';

const s0 = initialState(DEFAULT_PROFILE);
const withSocket = (s: State): State =>
  step(s, { op: 'socket', domain: AF_INET, type: SOCK_STREAM, protocol: 0 })[0]!.next({ kind: 'returned', ret: 5 });

describe('sameState', () => {
  it('equal worlds built apart are the same, whatever their key order', () => {
    const a = withSocket(s0);
    const b = withSocket(initialState(DEFAULT_PROFILE));
    expect(a).not.toBe(b);
    expect(sameState(a, b)).toBe(true);
    const reordered = { nextObj: a.nextObj, objs: a.objs, fds: a.fds, profile: a.profile } as State;
    expect(sameState(a, reordered)).toBe(true);
  });

  it('an absent key and one set to undefined are the same (as JSON.stringify had it)', () => {
    expect(sameState(s0, { ...s0, tcpBuckets: undefined })).toBe(true);
  });

  it('worlds that differ anywhere are not the same', () => {
    const a = withSocket(s0);
    expect(sameState(s0, a)).toBe(false);
    expect(sameState(a, s0)).toBe(false);
    expect(sameState(a, { ...a, nextObj: a.nextObj + 1 })).toBe(false);
    expect(sameState(s0, { ...s0, tcpBuckets: {} })).toBe(false);
  });
});
