/**
 * The TCP data path against the real kernel, denser than the general generator makes it:
 * one loopback connection (client 5, accepted server 6), then random sends (payloads up
 * to 64 bytes, with and without MSG_DONTWAIT), reads (MSG_PEEK, MSG_TRUNC, MSG_WAITALL
 * with MSG_DONTWAIT, zero lengths), TCP_NODELAY toggles, small and default SO_RCVBUF,
 * poll, shutdown and close on either end. Every answer must be one the model allows,
 * including where Nagle held a send until the peer's delayed ACK. Pinned seed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { linuxAdapter, linuxAvailable } from '../../adapters/linux/index.js';
import { runSequence } from '../../harness/runner.js';
import type { Call } from '../../spec/call.js';
import { IPPROTO_TCP, MSG_DONTWAIT, MSG_NOSIGNAL, MSG_PEEK, MSG_TRUNC, MSG_WAITALL, SOL_SOCKET, SO_RCVBUF, TCP_NODELAY } from '../../spec/constants.js';

const SEED = 20261121;
const why = linuxAvailable();
const name = (s: string): string => (why === undefined ? s : `${s} (skipped: ${why})`);

const to5000 = { ptr: 'ok', len: 16, family: 2, addr: '127.0.0.1', port: 5000 } as const;
const CONNECTION: Call[] = [
  { op: 'socket', domain: 2, type: 1, protocol: 0 }, { op: 'bind', fd: 4, addr: to5000 }, { op: 'listen', fd: 4, backlog: 4 },
  { op: 'socket', domain: 2, type: 1, protocol: 0 }, { op: 'connect', fd: 5, addr: to5000 },
  { op: 'accept', fd: 4, out: { ptr: 'null', lenPtr: 'null', len: 0 } },
];
const fd = fc.constantFrom(5, 6);
const payload = fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('hex'));
const dataCall: fc.Arbitrary<Call> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('send' as const), fd, data: payload, flags: fc.constantFrom(0, MSG_DONTWAIT, MSG_NOSIGNAL) }), weight: 8 },
  { arbitrary: fc.record({ op: fc.constant('recv' as const), fd, len: fc.constantFrom(0, 1, 4, 16, 128), flags: fc.constantFrom(0, MSG_DONTWAIT, MSG_DONTWAIT, MSG_PEEK | MSG_DONTWAIT, MSG_TRUNC | MSG_DONTWAIT, MSG_WAITALL | MSG_DONTWAIT) }), weight: 6 },
  { arbitrary: fc.record({ op: fc.constant('setsockopt' as const), fd, level: fc.constant(IPPROTO_TCP), name: fc.constant(TCP_NODELAY), value: fc.constantFrom(0, 1), optlen: fc.constant(4) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('setsockopt' as const), fd, level: fc.constant(SOL_SOCKET), name: fc.constant(SO_RCVBUF), value: fc.constantFrom(0, 5000), optlen: fc.constant(4) }), weight: 1 },
  { arbitrary: fc.constant<Call>({ op: 'poll', fds: 'ok', entries: [{ fd: 5, events: 0xffff }, { fd: 6, events: 0xffff }], nfds: 2, timeout: 0 }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('shutdown' as const), fd, how: fc.constantFrom(0, 1, 2) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('close' as const), fd }), weight: 1 },
);

describe('tcp data path', () => {
  (why === undefined ? it : it.skip)(name('the_kernel_agrees_with_the_model_on_300_dense_sequences'), async () => {
    const seqs = fc.sample(fc.array(dataCall, { minLength: 5, maxLength: 50 }), { seed: SEED, numRuns: 300 });
    const bad: string[] = [];
    let sent = 0;
    for (const [i, seq] of seqs.entries()) {
      const session = await linuxAdapter.open({ deadlineMs: 50 });
      try {
        const r = await runSequence(session, [...CONNECTION, ...seq]);
        sent += r.steps.filter((s) => s.rule === 'send/tcp-sent' || s.rule === 'send/tcp-queued').length;
        if (r.divergence || r.error) bad.push(`sequence ${i} (seed ${SEED}): ${r.error ?? JSON.stringify(r.steps.slice(-3))}`);
      } finally {
        await session.close();
      }
    }
    expect(bad).toEqual([]);
    expect(sent).toBeGreaterThan(500);
  }, 120_000);
});
