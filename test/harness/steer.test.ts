/**
 * Steering around listed divergences (harness/steer.ts) and what may be recorded as one
 * (harness/expectations.ts notAnAnswer): pure functions on fixed calls and worlds.
 */
import { describe, expect, it } from 'vitest';
import { initialState, step } from '../../model/index.js';
import { DEFAULT_PROFILE } from '../../spec/profile.js';
import { AF_INET, SOCK_CLOEXEC, SOCK_NONBLOCK, SOCK_STREAM } from '../../spec/constants.js';
import type { Call } from '../../spec/call.js';
import { knownOf, notAnAnswer, type Expectation } from '../../harness/expectations.js';
import { fitsShape, steer } from '../../harness/steer.js';

const entry = (e: Partial<Expectation>): Expectation => ({ op: 'socket', allowed: ['socket/tcp'], observed: 'EINVAL', note: '', world: {}, calls: [], ...e });
const s0 = initialState(DEFAULT_PROFILE);
const rules = (c: Call): string[] => step(s0, c).map((o) => o.rule);

describe('steer', () => {
  it('fitsShape: equal fields, anyBits, nested objects', () => {
    expect(fitsShape({ op: 'socket', type: SOCK_STREAM | SOCK_NONBLOCK }, { op: 'socket', type: { anyBits: SOCK_NONBLOCK | SOCK_CLOEXEC } })).toBe(true);
    expect(fitsShape({ op: 'socket', type: SOCK_STREAM }, { op: 'socket', type: { anyBits: SOCK_NONBLOCK } })).toBe(false);
    expect(fitsShape({ addr: { family: AF_INET } }, { addr: { family: 10 } })).toBe(false);
  });

  it('flags-by-fcntl: socket() without the flags, then fcntl sets them on the fd it returned', () => {
    const known = knownOf([entry({ steer: { shape: { op: 'socket', type: { anyBits: SOCK_NONBLOCK | SOCK_CLOEXEC } }, instead: 'flags-by-fcntl' } })]);
    const c: Call = { op: 'socket', domain: AF_INET, type: SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol: 0 };
    const st = steer(s0, c, rules(c), known);
    expect(st.kind).toBe('replace');
    if (st.kind !== 'replace') return;
    expect(st.call).toEqual({ ...c, type: SOCK_STREAM });
    expect(st.then({ kind: 'returned', ret: 4 })).toEqual([{ op: 'fcntl', fd: 4, cmd: 4, arg: 0o4000 }, { op: 'fcntl', fd: 4, cmd: 2, arg: 1 }]);
    expect(st.then({ kind: 'returned', ret: -1, errno: 'EMFILE' })).toEqual([]);
    // A plain socket() is not steered: its shape does not fit.
    const plain: Call = { op: 'socket', domain: AF_INET, type: SOCK_STREAM, protocol: 0 };
    expect(steer(s0, plain, rules(plain), known)).toEqual({ kind: 'run' });
  });

  it('applies only where the predicted rules are the listed ones', () => {
    const known = knownOf([entry({ allowed: ['socket/udp'], steer: { shape: { op: 'socket' }, instead: 'skip' } })]);
    const tcp: Call = { op: 'socket', domain: AF_INET, type: SOCK_STREAM, protocol: 0 };
    expect(steer(s0, tcp, rules(tcp), known)).toEqual({ kind: 'run' });
    expect(steer(s0, { ...tcp, type: 2 }, rules({ ...tcp, type: 2 }), known)).toEqual({ kind: 'skip', key: 'socket [socket/udp] -> EINVAL' });
  });

  it('a shape naming another call avoids the call that leads to the divergence', () => {
    const known = knownOf([entry({
      op: 'close', allowed: ['close/tcp-listener'], observed: 'crashed',
      steer: { shape: { op: 'setsockopt', name: 13, value: 1, linger: 0 }, rules: ['setsockopt/SO_LINGER'], instead: 'skip' },
    })]);
    const sock: Call = { op: 'socket', domain: AF_INET, type: SOCK_STREAM, protocol: 0 };
    const s1 = step(s0, sock)[0]!.next({ kind: 'returned', ret: 4 });
    const linger: Call = { op: 'setsockopt', fd: 4, level: 1, name: 13, value: 1, optlen: 8, linger: 0 };
    expect(steer(s1, linger, step(s1, linger).map((o) => o.rule), known)).toEqual({ kind: 'skip', key: 'close [close/tcp-listener] -> crashed' });
    expect(steer(s1, { ...linger, linger: 5 }, step(s1, { ...linger, linger: 5 }).map((o) => o.rule), known)).toEqual({ kind: 'run' });
  });

  it('bind-first: a connect of an unbound socket to 127/8 is preceded by bind(127.0.0.1:0)', () => {
    const known = knownOf([entry({ op: 'connect', allowed: ['connect/established'], observed: 'ok', steer: { shape: { op: 'connect' }, rules: ['connect/ECONNREFUSED', 'connect/established'], instead: 'bind-first' } })]);
    const sock: Call = { op: 'socket', domain: AF_INET, type: SOCK_STREAM, protocol: 0 };
    const s1 = step(s0, sock)[0]!.next({ kind: 'returned', ret: 4 });
    const conn: Call = { op: 'connect', fd: 4, addr: { ptr: 'ok', len: 16, family: AF_INET, addr: '127.0.0.1', port: 5000 } };
    const st = steer(s1, conn, step(s1, conn).map((o) => o.rule), known);
    expect(st.kind).toBe('replace');
    if (st.kind !== 'replace') return;
    expect(st.call).toEqual({ op: 'bind', fd: 4, addr: { ptr: 'ok', len: 16, family: AF_INET, addr: '127.0.0.1', port: 0 } });
    expect(st.then({ kind: 'returned', ret: 0 })).toEqual([conn]);
  });
});

describe('notAnAnswer', () => {
  it('unsupported and crashed answers are never the implementation\'s divergence; errnos and blocked are', () => {
    expect(notAnAnswer({ kind: 'unsupported', detail: 'no accept4' })).toBe('unsupported: no accept4');
    expect(notAnAnswer({ kind: 'crashed', detail: 'helper error: bad JSON' })).toBe('crashed: helper error: bad JSON');
    expect(notAnAnswer({ kind: 'returned', ret: -1, errno: 'EINVAL' })).toBeUndefined();
    expect(notAnAnswer({ kind: 'blocked' })).toBeUndefined();
  });
});
