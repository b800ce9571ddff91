/**
 * sendmsg, recvmsg, MSG_WAITALL and the data calls through socketcall against the real
 * kernel: a fixed trace whose C reproducer must print what the adapter observed (native
 * and compat msghdrs, scatter reads, a MSG_WAITALL read cut by the deadline), and dense
 * pinned-seed sequences over one TCP connection and one UDP pair with blocking
 * MSG_WAITALL reads among them. Skipped, with the reason in the name, where the linux
 * adapter (or socketcall's 32-bit entry) cannot run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { linuxAdapter, linuxAvailable } from '../../adapters/linux/index.js';
import { socketcallUnavailable } from '../../adapters/linux/session.js';
import { traceToC } from '../../harness/render/c.js';
import { renderCall, renderObserved } from '../../harness/render/text.js';
import type { Trace } from '../../harness/render/trace.js';
import { runSequence } from '../../harness/runner.js';
import type { AddrIn, Call, IovIn, IovOut, SocketcallInner } from '../../spec/call.js';
import { MSG_DONTWAIT, MSG_PEEK, MSG_TRUNC, MSG_WAITALL, SOCKETCALL_NUM } from '../../spec/constants.js';

const SEED = 20261121;
const why = linuxAvailable();
const noSc = why ?? socketcallUnavailable();
const name = (s: string, skip: string | undefined): string => (skip === undefined ? s : `${s} (skipped: ${skip})`);

const inet = (port: number): AddrIn => ({ ptr: 'ok', len: 16, family: 2, addr: '127.0.0.1', port });
const sc = (c: SocketcallInner): Call => ({ op: 'socketcall', num: SOCKETCALL_NUM[c.op], args: 'ok', call: c });
const smsg = (fd: number, iovs: IovIn[], name: AddrIn = { ptr: 'null', len: 0 }, flags = 0, controllen = 0): Extract<Call, { op: 'sendmsg' }> =>
  ({ op: 'sendmsg', fd, flags, msg: { ptr: 'ok', name, iov: 'ok', iovs, iovlen: iovs.length, control: 'ok', controllen, flags: 0 } });
const rmsg = (fd: number, lens: number[], flags = 0, nameLen = 16): Extract<Call, { op: 'recvmsg' }> =>
  ({ op: 'recvmsg', fd, flags, msg: { ptr: 'ok', name: { ptr: 'ok', len: nameLen }, iov: 'ok', iovs: lens.map((len): IovOut => ({ ptr: 'ok', len })), iovlen: lens.length, control: 'ok', controllen: 0, flags: 0 } });
const d = (data: string): IovIn => ({ ptr: 'ok', data });

/** Ephemeral ports differ from run to run; everything else must be equal. */
const maskPorts = (line: string): string => line.replace(/:(3[2-9]\d{3}|[4-5]\d{4}|60\d{3})\b/g, ':EPH');

/** Compiles the trace's C program (-Wall -Werror), runs it and compares its lines with the trace's. */
function reproPrints(trace: Trace): void {
  const dir = mkdtempSync(join(tmpdir(), 'sockspec-msg-'));
  try {
    writeFileSync(join(dir, 'repro.c'), traceToC(trace));
    const cc = spawnSync('cc', ['-Wall', '-Werror', 'repro.c', '-o', 'repro'], { cwd: dir, encoding: 'utf8' });
    expect(cc.status, cc.stderr).toBe(0);
    const run = spawnSync('./repro', [], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
    expect(run.status, run.stderr).toBe(0);
    const printed = run.stdout.split('\n').filter((l) => /^\d+: /.test(l)).map(maskPorts);
    expect(printed).toEqual(trace.steps.map((x, i) => maskPorts(`${i + 1}: ${renderCall(x.call)} ${renderObserved(x.observed, x.call)}`)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const TCP: Call[] = [
  { op: 'socket', domain: 2, type: 1, protocol: 0 }, { op: 'bind', fd: 4, addr: inet(5000) }, { op: 'listen', fd: 4, backlog: 4 },
  { op: 'socket', domain: 2, type: 1, protocol: 0 }, { op: 'connect', fd: 5, addr: inet(5000) },
  { op: 'accept', fd: 4, out: { ptr: 'null', lenPtr: 'null', len: 0 } },
  { op: 'socket', domain: 2, type: 2, protocol: 0 }, { op: 'bind', fd: 7, addr: inet(6000) },
  { op: 'socket', domain: 2, type: 2, protocol: 0 },
];

describe('sendmsg, recvmsg, MSG_WAITALL', () => {
  (noSc === undefined ? it : it.skip)(name('a_msg_trace_s_C_program_prints_what_the_adapter_saw_natively_and_through_socketcall', noSc), async () => {
    const calls: Call[] = [
      ...TCP,
      // No Nagle on the client, so that every send leaves at once, here and in the C program.
      { op: 'setsockopt', fd: 5, level: 6, name: 1, value: 1, optlen: 4 },
      sc({ op: 'send', fd: 5, data: '776169', flags: 0 }),
      // Three bytes of five asked for: the read takes them and waits; the deadline ends it.
      { op: 'recv', fd: 6, len: 5, flags: MSG_WAITALL },
      sc({ op: 'recv', fd: 6, len: 4, flags: MSG_DONTWAIT }),
      smsg(5, [d('68656c'), d(''), d('6c6f')]),
      rmsg(6, [2, 1, 8]),
      smsg(8, [d('0102'), d('030405')], inet(6000)),
      rmsg(7, [2, 1], 0, 128),
      sc(smsg(8, [d('aabbcc')], inet(6000))),
      sc(rmsg(7, [1, 4], MSG_PEEK)),
      sc(rmsg(7, [8])),
      sc(smsg(8, [d('aa')], inet(6000), 0, 8)),
      smsg(8, [d('aa')], inet(6000), 0, 8),
      smsg(8, [d('aa')], inet(6000), 0, 16),
      sc({ op: 'sendto', fd: 8, data: '0badf00d', flags: 0, addr: inet(6000) }),
      sc({ op: 'recvfrom', fd: 7, len: 2, flags: 0, out: { ptr: 'ok', lenPtr: 'ok', len: 16 } }),
      smsg(5, [d('7177657274')]),
      rmsg(6, [2, 2], MSG_WAITALL),
      { op: 'shutdown', fd: 5, how: 1 },
      rmsg(6, [8], MSG_WAITALL),
    ];
    const session = await linuxAdapter.open({ deadlineMs: 50 });
    let r;
    try { r = await runSequence(session, calls); } finally { await session.close(); }
    expect(r.divergence, JSON.stringify(r.steps.at(-1))).toBeUndefined();
    expect(r.steps.map((x) => x.rule)).toContain('recv/tcp-waitall-blocks');
    expect(r.steps.map((x) => x.rule)).toContain('recvmsg/datagram-trunc');
    const trace: Trace = { version: 1, adapter: 'linux', profile: session.profile, steps: r.steps.map((x) => ({ call: x.call, observed: x.observed })) };
    reproPrints(trace);
  });

  const fd = fc.constantFrom(5, 6);
  const payload = fc.array(fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b).toString('hex')), { minLength: 1, maxLength: 3 });
  const readFlags = fc.constantFrom(0, MSG_DONTWAIT, MSG_WAITALL, MSG_WAITALL, MSG_WAITALL | MSG_PEEK, MSG_PEEK | MSG_DONTWAIT, MSG_TRUNC | MSG_DONTWAIT);
  const lens = fc.array(fc.constantFrom(0, 1, 3, 8, 16), { minLength: 1, maxLength: 3 });
  const step: fc.Arbitrary<Call> = fc.oneof(
    { arbitrary: fc.record({ fd, p: payload }).map(({ fd: f, p }): Call => smsg(f, p.map(d))), weight: 6 },
    { arbitrary: fc.record({ p: payload }).map(({ p }): Call => smsg(8, p.map(d), inet(6000))), weight: 3 },
    { arbitrary: fc.record({ fd, l: lens, f: readFlags }).map(({ fd: f, l, f: fl }): Call => rmsg(f, l, fl)), weight: 5 },
    { arbitrary: fc.record({ fd, len: fc.constantFrom(1, 4, 16), flags: readFlags }).map((x): Call => ({ op: 'recv', ...x })), weight: 3 },
    { arbitrary: fc.record({ l: lens, f: fc.constantFrom(0, MSG_DONTWAIT, MSG_PEEK) }).map(({ l, f }): Call => rmsg(7, l, f)), weight: 3 },
    { arbitrary: fc.record({ fd, how: fc.constantFrom(0, 1) }).map((x): Call => ({ op: 'shutdown', ...x })), weight: 1 },
  );

  (why === undefined ? it : it.skip)(name('the_kernel_agrees_with_the_model_on_150_dense_msg_sequences', why), async () => {
    const seqs = fc.sample(fc.array(step, { minLength: 5, maxLength: 30 }), { seed: SEED, numRuns: 150 });
    const bad: string[] = [];
    const rules = new Set<string>();
    for (const [i, seq] of seqs.entries()) {
      const session = await linuxAdapter.open({ deadlineMs: 50 });
      try {
        const r = await runSequence(session, [...TCP, ...seq]);
        for (const x of r.steps) if (x.rule) rules.add(x.rule);
        if (r.divergence || r.error) bad.push(`sequence ${i} (seed ${SEED}): ${r.error ?? JSON.stringify(r.steps.slice(-3))}`);
      } finally {
        await session.close();
      }
    }
    expect(bad).toEqual([]);
    for (const rule of ['recvmsg/tcp-waitall-blocks', 'recvmsg/tcp-waitall-short', 'recv/tcp-waitall-blocks', 'recvmsg/datagram-trunc', 'sendmsg/tcp-sent']) expect([...rules]).toContain(rule);
  }, 120_000);
});
