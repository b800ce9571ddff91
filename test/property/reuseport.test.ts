/**
 * Port sharing through SO_REUSEPORT against the real kernel, denser than the general
 * generator makes it: four non-blocking sockets of one protocol, most with SO_REUSEPORT
 * (some with SO_REUSEADDR) and bound to port 5000, then random SO_REUSEPORT and
 * SO_REUSEADDR toggles, binds of 127.0.0.1, 127.0.0.2 and
 * the wildcard to one port (or port 0), listens, connects and datagrams to the shared
 * port, accepts, reads, shutdowns and closes. Every answer must be one the model allows,
 * including which group member took a connection or a datagram. Pinned seed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { linuxAdapter, linuxAvailable, linuxVariants } from '../../adapters/linux/index.js';
import { variantOf } from '../../spec/variants.js';
import { runSequence } from '../../harness/runner.js';
import type { Call } from '../../spec/call.js';
import { MSG_DONTWAIT, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR, SO_REUSEPORT } from '../../spec/constants.js';

const SEED = 20261121;
const why = linuxAvailable();
const name = (s: string): string => (why === undefined ? s : `${s} (skipped: ${why})`);

const fd = fc.constantFrom(4, 5, 6, 7);
const addr = (a: string, port: number) => ({ ptr: 'ok', len: 16, family: 2, addr: a, port }) as const;
const local = fc.constantFrom('127.0.0.1', '127.0.0.1', '127.0.0.2', '0.0.0.0');
const call: fc.Arbitrary<Call> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('setsockopt' as const), fd, level: fc.constant(SOL_SOCKET), name: fc.constantFrom(SO_REUSEPORT, SO_REUSEPORT, SO_REUSEADDR), value: fc.constantFrom(0, 1, 1), optlen: fc.constant(4) }), weight: 5 },
  { arbitrary: fc.record({ op: fc.constant('bind' as const), fd, a: local, port: fc.constantFrom(5000, 5000, 5000, 0) }).map(({ a, port, ...r }): Call => ({ ...r, addr: addr(a, port) })), weight: 6 },
  { arbitrary: fc.record({ op: fc.constant('listen' as const), fd, backlog: fc.constantFrom(0, 4) }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('connect' as const), fd, a: fc.constantFrom('127.0.0.1', '127.0.0.2') }).map(({ a, ...r }): Call => ({ ...r, addr: addr(a, 5000) })), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('accept' as const), fd, out: fc.constant({ ptr: 'ok', lenPtr: 'ok', len: 16 } as const) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('sendto' as const), fd, data: fc.constant('6869'), flags: fc.constant(0), a: fc.constantFrom('127.0.0.1', '127.0.0.2') }).map(({ a, ...r }): Call => ({ ...r, addr: addr(a, 5000) })), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('recvfrom' as const), fd, len: fc.constant(16), flags: fc.constant(MSG_DONTWAIT), out: fc.constant({ ptr: 'ok', lenPtr: 'ok', len: 16 } as const) }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('shutdown' as const), fd, how: fc.constantFrom(0, 2) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('close' as const), fd }), weight: 1 },
);
/** Each socket's start: SO_REUSEPORT mostly, SO_REUSEADDR sometimes, then (mostly) a bind to port 5000. */
const start = (fd: number): fc.Arbitrary<Call[]> => fc.record({
  rp: fc.constantFrom(true, true, false), ra: fc.constantFrom(false, false, false, true), at: fc.constantFrom('127.0.0.1', '127.0.0.1', '127.0.0.2', '0.0.0.0', ''),
}).map(({ rp, ra, at }): Call[] => [
  ...(rp ? [{ op: 'setsockopt', fd, level: SOL_SOCKET, name: SO_REUSEPORT, value: 1, optlen: 4 } as const] : []),
  ...(ra ? [{ op: 'setsockopt', fd, level: SOL_SOCKET, name: SO_REUSEADDR, value: 1, optlen: 4 } as const] : []),
  ...(at === '' ? [] : [{ op: 'bind', fd, addr: addr(at, 5000) } as const]),
]);
const sequence = fc.record({
  type: fc.constantFrom(SOCK_STREAM, SOCK_DGRAM),
  starts: fc.tuple(start(4), start(5), start(6), start(7)),
  calls: fc.array(call, { minLength: 5, maxLength: 25 }),
}).map(({ type, starts, calls }): Call[] => [...[4, 5, 6, 7].map((): Call => ({ op: 'socket', domain: 2, type: type | SOCK_NONBLOCK, protocol: 0 })), ...starts.flat(), ...calls]);

describe('SO_REUSEPORT', () => {
  (why === undefined ? it : it.skip)(name('the_kernel_agrees_with_the_model_on_300_dense_sequences'), async () => {
    const seqs = fc.sample(sequence, { seed: SEED, numRuns: 300 });
    const bad: string[] = [];
    const seen = new Map<string, number>();
    for (const [i, seq] of seqs.entries()) {
      const session = await linuxAdapter.open({ deadlineMs: 50 });
      try {
        const r = await runSequence(session, seq);
        for (const s of r.steps) if (s.rule !== undefined && s.rule.includes('reuseport')) seen.set(s.rule, (seen.get(s.rule) ?? 0) + 1);
        if (r.divergence || r.error) bad.push(`sequence ${i} (seed ${SEED}): ${r.error ?? JSON.stringify(r.steps.slice(-3))}`);
      } finally {
        await session.close();
      }
    }
    expect(bad).toEqual([]);
    // bind/port-reuseport-first is udp_lib_lport_inuse's early stop: only a kernel of that variant has it.
    const first = variantOf(await linuxVariants(), 'udp-reuseport-walk') === 'first-sharer' ? ['bind/port-reuseport-first'] : [];
    expect([...seen.keys()].sort()).toEqual(['bind/port-reuseport', ...first, 'bind/port-reuseport-stale', 'listen/bound-reuseport', 'listen/bound-reuseport-stale']);
  }, 120_000);
});
