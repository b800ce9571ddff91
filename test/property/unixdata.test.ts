/**
 * AF_UNIX pairs against the real kernel, denser than the general generator makes them:
 * one socketpair of a random type (fds 4, 5) and a datagram pair (6, 7), then random
 * sends (to the peer, or to an abstract name), reads (MSG_PEEK, MSG_TRUNC, MSG_WAITALL
 * with MSG_DONTWAIT, zero lengths, blocking ones that the adapter interrupts), a small or
 * default SO_SNDBUF (so that sends fill it), abstract binds, datagram connects and
 * disconnects, poll, SO_ERROR, shutdown and close of either end. Every answer must be
 * one the model allows. Pinned seed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { linuxAdapter, linuxAvailable } from '../../adapters/linux/index.js';
import { runSequence } from '../../harness/runner.js';
import type { AddrIn, Call } from '../../spec/call.js';
import {
  AF_UNIX, AF_UNSPEC, MSG_DONTWAIT, MSG_NOSIGNAL, MSG_PEEK, MSG_TRUNC, MSG_WAITALL, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_SEQPACKET, SOCK_STREAM,
  SOL_SOCKET, SO_ERROR, SO_SNDBUF,
} from '../../spec/constants.js';

const SEED = 20261121;
const why = linuxAvailable();
const name = (s: string): string => (why === undefined ? s : `${s} (skipped: ${why})`);

const fd = fc.constantFrom(4, 5, 4, 5, 6, 7);
const payload = fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('hex'));
const uname: fc.Arbitrary<AddrIn> = fc.constantFrom('127.0.0.1', '127.0.0.2').map((addr) => ({ ptr: 'ok', len: 16, family: AF_UNIX, addr, port: 0 }));
const dest: fc.Arbitrary<AddrIn> = fc.oneof({ arbitrary: fc.constant<AddrIn>({ ptr: 'null', len: 0 }), weight: 2 }, { arbitrary: uname, weight: 1 });
const recvFlags = fc.constantFrom(0, MSG_DONTWAIT, MSG_DONTWAIT, MSG_PEEK | MSG_DONTWAIT, MSG_TRUNC | MSG_DONTWAIT, MSG_WAITALL | MSG_DONTWAIT);
const dataCall: fc.Arbitrary<Call> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('send' as const), fd, data: payload, flags: fc.constantFrom(0, MSG_DONTWAIT, MSG_NOSIGNAL) }), weight: 8 },
  { arbitrary: fc.record({ op: fc.constant('sendto' as const), fd, data: payload, flags: fc.constantFrom(0, MSG_DONTWAIT), addr: dest }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('recv' as const), fd, len: fc.constantFrom(0, 1, 4, 16, 128), flags: recvFlags }), weight: 6 },
  { arbitrary: fc.record({ op: fc.constant('recvfrom' as const), fd, len: fc.constantFrom(1, 16, 128), flags: recvFlags, out: fc.constant({ ptr: 'ok' as const, lenPtr: 'ok' as const, len: 16 }) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('setsockopt' as const), fd, level: fc.constant(SOL_SOCKET), name: fc.constant(SO_SNDBUF), value: fc.constantFrom(0, 0, 3000, 65536), optlen: fc.constant(4) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('getsockopt' as const), fd, level: fc.constant(SOL_SOCKET), name: fc.constant(SO_ERROR), opt: fc.constant({ ptr: 'ok' as const, lenPtr: 'ok' as const, len: 4 }) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('bind' as const), fd, addr: uname }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('connect' as const), fd, addr: fc.oneof(uname, fc.constant<AddrIn>({ ptr: 'ok', len: 2, family: AF_UNSPEC, addr: '0.0.0.0', port: 0 })) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('getpeername' as const), fd, out: fc.constant({ ptr: 'ok' as const, lenPtr: 'ok' as const, len: 16 }) }), weight: 1 },
  { arbitrary: fc.constant<Call>({ op: 'poll', fds: 'ok', entries: [4, 5, 6, 7].map((f) => ({ fd: f, events: 0xffff })), nfds: 4, timeout: 0 }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('shutdown' as const), fd, how: fc.constantFrom(0, 1, 2) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('close' as const), fd }), weight: 1 },
);
const firstPair: fc.Arbitrary<Call> = fc.record({
  op: fc.constant('socketpair' as const), domain: fc.constant(AF_UNIX),
  type: fc.tuple(fc.constantFrom(SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET), fc.constantFrom(0, 0, SOCK_NONBLOCK)).map(([t, f]) => t | f),
  protocol: fc.constant(0), sv: fc.constant('ok' as const),
});
const secondPair: Call = { op: 'socketpair', domain: AF_UNIX, type: SOCK_DGRAM, protocol: 0, sv: 'ok' };

describe('unix data path', () => {
  (why === undefined ? it : it.skip)(name('the_kernel_agrees_with_the_model_on_300_dense_sequences'), async () => {
    const seqs = fc.sample(fc.tuple(firstPair, fc.array(dataCall, { minLength: 5, maxLength: 50 })), { seed: SEED, numRuns: 300 });
    const bad: string[] = [];
    let sent = 0;
    for (const [i, [first, seq]] of seqs.entries()) {
      const session = await linuxAdapter.open({ deadlineMs: 50 });
      try {
        const r = await runSequence(session, [first, secondPair, ...seq]);
        sent += r.steps.filter((s) => s.rule === 'send/unix-sent' || s.rule === 'sendto/unix-sent').length;
        if (r.divergence || r.error) bad.push(`sequence ${i} (seed ${SEED}): ${r.error ?? JSON.stringify(r.steps.slice(-3))}`);
      } finally {
        await session.close();
      }
    }
    expect(bad).toEqual([]);
    expect(sent).toBeGreaterThan(1000);
  }, 120_000);
});
