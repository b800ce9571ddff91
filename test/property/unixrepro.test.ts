/**
 * A socketpair trace end to end on the real kernel: the model agrees at every call; the
 * C reproducer prints, call for call, what the adapter observed (the fds socketpair
 * stored, bytes read, a send that waits for room interrupted at the deadline); the JSON
 * trace replays, also when it was recorded with other fd numbers (replay carries the
 * fds stored in sv over to this run's).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { linuxAdapter, linuxAvailable } from '../../adapters/linux/index.js';
import { traceToC } from '../../harness/render/c.js';
import { traceFromJson, traceToJson } from '../../harness/render/json.js';
import { renderCall, renderObserved } from '../../harness/render/text.js';
import type { Trace } from '../../harness/render/trace.js';
import { recordedOfTrace, replay } from '../../harness/replay.js';
import { runSequence } from '../../harness/runner.js';
import type { AddrIn, Call } from '../../spec/call.js';
import { AF_UNIX, MSG_DONTWAIT, MSG_PEEK, MSG_TRUNC, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_STREAM, SOL_SOCKET, SO_SNDBUF } from '../../spec/constants.js';

const why = linuxAvailable();
const suite = why === undefined ? describe : describe.skip;
const name = (s: string): string => (why === undefined ? s : `${s} (skipped: ${why})`);

const pair = (type: number, sv: 'ok' | 'null' | 'bad' = 'ok'): Call => ({ op: 'socketpair', domain: AF_UNIX, type, protocol: 0, sv });
const uname: AddrIn = { ptr: 'ok', len: 16, family: AF_UNIX, addr: '127.0.0.1', port: 0 };
const buf = { ptr: 'ok' as const, lenPtr: 'ok' as const, len: 16 };
const snd = (fd: number, data = '6869', flags = 0): Call => ({ op: 'send', fd, data, flags });

const CALLS: Call[] = [
  pair(SOCK_STREAM, 'bad'),
  pair(SOCK_STREAM),
  pair(SOCK_DGRAM),
  snd(4, '616263'), snd(4, '6465'),
  { op: 'recv', fd: 5, len: 4, flags: MSG_PEEK },
  { op: 'recv', fd: 5, len: 4, flags: 0 },
  { op: 'bind', fd: 6, addr: uname },
  { op: 'getsockname', fd: 6, out: buf },
  { op: 'getpeername', fd: 7, out: buf },
  { op: 'sendto', fd: 6, data: '7879', flags: 0, addr: { ptr: 'null', len: 0 } },
  { op: 'recvfrom', fd: 7, len: 1, flags: MSG_TRUNC, out: buf },
  { op: 'sendto', fd: 7, data: '7a', flags: 0, addr: uname },
  { op: 'recvfrom', fd: 6, len: 16, flags: 0, out: buf },
  { op: 'poll', fds: 'ok', entries: [4, 5, 6, 7].map((fd) => ({ fd, events: 0xffff })), nfds: 4, timeout: 0 },
  { op: 'shutdown', fd: 4, how: 1 },
  { op: 'recv', fd: 5, len: 16, flags: 0 },
  { op: 'recv', fd: 5, len: 16, flags: 0 },
  { op: 'close', fd: 5 },
  snd(4, '00', 0x4000),
  // A seqpacket pair whose send buffer fills: the seventh send waits, and is interrupted.
  pair(SOCK_SEQPACKET),
  { op: 'setsockopt', fd: 5, level: SOL_SOCKET, name: SO_SNDBUF, value: 0, optlen: 4 },
  ...Array.from({ length: 6 }, () => snd(5)),
  snd(5, '6869', MSG_DONTWAIT),
  snd(5),
  { op: 'recv', fd: 8, len: 16, flags: MSG_DONTWAIT },
  snd(5),
];

suite(name('socketpair end to end'), () => {
  it('the_C_reproducer_prints_what_the_adapter_observed_and_the_trace_replays_with_other_fd_numbers', async () => {
    const session = await linuxAdapter.open({ deadlineMs: 50 });
    let r;
    try { r = await runSequence(session, CALLS); } finally { await session.close(); }
    expect(r.divergence, JSON.stringify(r.steps.at(-1))).toBeUndefined();
    expect(r.error).toBeUndefined();
    expect(r.steps.map((s) => s.rule)).toContain('send/unix-blocks');
    const trace: Trace = { version: 1, adapter: 'linux', profile: session.profile, steps: r.steps.map((x) => ({ call: x.call, observed: x.observed })) };

    const dir = mkdtempSync(join(tmpdir(), 'sockspec-unix-repro-'));
    try {
      writeFileSync(join(dir, 'repro.c'), traceToC(trace));
      const cc = spawnSync('cc', ['-Wall', '-Werror', 'repro.c', '-o', 'repro'], { cwd: dir, encoding: 'utf8' });
      expect(cc.status, cc.stderr).toBe(0);
      const run = spawnSync('./repro', [], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
      expect(run.status, run.stderr).toBe(0);
      const printed = run.stdout.split('\n').filter((l) => /^\d+: /.test(l));
      expect(printed).toEqual(trace.steps.map((x, i) => `${i + 1}: ${renderCall(x.call)} ${renderObserved(x.observed, x.call)}`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    // Through JSON, with every fd of the first pair renumbered (4 -> 14, 5 -> 15) as if another run had made them.
    const shifted = JSON.parse(traceToJson(trace)) as { steps: { call: { fd?: number; entries?: { fd: number }[] }; observed: { sv?: number[] } }[] };
    const re = (fd: number): number => (fd === 4 ? 14 : fd === 5 ? 15 : fd);
    for (const st of shifted.steps.slice(0, 20)) {
      if (st.call.fd !== undefined) st.call.fd = re(st.call.fd);
      if (st.observed.sv) st.observed.sv = st.observed.sv.map(re);
    }
    const back = traceFromJson(JSON.stringify(shifted), 'shifted.json');
    const res = await replay(linuxAdapter, recordedOfTrace(back, 'shifted.json'), 50);
    expect(res.outcome.divergence, JSON.stringify(res.outcome.steps.at(-1))).toBeUndefined();
    expect(res.outcome.steps[3]!.call).toMatchObject({ op: 'send', fd: 4 });
  }, 60_000);
});
