/**
 * The wire protocol (spec/wire.ts) and the exec adapter: a correct helper agrees with
 * the model; each kind of faulty helper is observed as blocked, crashed or a rejected
 * open, with a report that says what happened; the runner turns faults into shrunk
 * divergences; and no helper process outlives its session or the runner.
 *
 * Helpers get a unique marker in argv; "no process left" means no /proc/<pid>/cmdline
 * holds the marker.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { execAdapter, splitCommand, type ExecOptions } from '../../adapters/exec/index.js';
import { trackedGroups } from '../../adapters/exec/reaper.js';
import { pidNamespaces } from '../../adapters/exec/pidns.js';
import { check } from '../../harness/check.js';
import type { AddrIn, AddrOut, Call, Ptr } from '../../spec/call.js';
import { AF_INET, F_GETFL, F_SETFD, F_SETFL, O_NONBLOCK, SOCK_CLOEXEC, SOCK_NONBLOCK, SOCK_STREAM, SOL_SOCKET } from '../../spec/constants.js';
import type { Observed } from '../../spec/observed.js';
import {
  encodeCall, encodeHelperMessage, encodeRunnerMessage, parseHelperMessage, parseRunnerMessage, replyProblem,
  type HelperMessage,
} from '../../spec/wire.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const NODE = process.execPath;
let serial = 0;

/** A marker unique to this test process and call, to find helper processes by argv. */
function marker(): string {
  return `--marker=sockspec-exec-test-${process.pid}-${++serial}`;
}

/**
 * Pids whose command line contains `m` (zombies have none, and count as gone), but for
 * the `unshare` that starts a helper in a PID namespace of its own (adapters/exec/pidns.ts).
 */
function procsWith(m: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'latin1');
      if (cmd.includes(m) && !cmd.startsWith('unshare\0')) out.push(Number(d));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

async function gone(m: string, withinMs: number): Promise<number[]> {
  const t0 = Date.now();
  for (;;) {
    const left = procsWith(m);
    if (left.length === 0 || Date.now() - t0 > withinMs) return left;
    await new Promise((r) => setTimeout(r, 20));
  }
}

function faulty(mode: string, o: ExecOptions = {}): { adapter: ReturnType<typeof execAdapter>; m: string } {
  const m = marker();
  return { adapter: execAdapter([NODE, join(FIXTURES, 'faulty-helper.mjs'), mode, m], o), m };
}

function modelHelper(o: ExecOptions = {}): { adapter: ReturnType<typeof execAdapter>; m: string } {
  const m = marker();
  return { adapter: execAdapter([NODE, join(FIXTURES, 'model-helper.mjs'), m], o), m };
}

const SOCKET: Call = { op: 'socket', domain: AF_INET, type: SOCK_STREAM, protocol: 0 };
const OUT: AddrOut = { ptr: 'ok', lenPtr: 'ok', len: 16 };

afterEach(() => {
  // Every session of every test was closed: the reaper holds no group.
  expect(trackedGroups()).toEqual([]);
});

describe('spec/wire: calls travel symbolically', () => {
  it('renders socket types and flags as names plus one number of leftover bits', () => {
    expect(encodeCall({ op: 'socket', domain: AF_INET, type: SOCK_STREAM | SOCK_NONBLOCK | 0x100, protocol: 6 }))
      .toEqual({ op: 'socket', domain: 'AF_INET', type: ['SOCK_STREAM', 'SOCK_NONBLOCK', 256], protocol: 'IPPROTO_TCP' });
    expect(encodeCall({ op: 'socket', domain: 99, type: 7 | SOCK_CLOEXEC, protocol: 0 })).toEqual({ op: 'socket', domain: 99, type: ['SOCK_CLOEXEC', 7], protocol: 0 });
    expect(encodeCall({ op: 'fcntl', fd: 4, cmd: F_SETFL, arg: O_NONBLOCK | 2 })).toEqual({ op: 'fcntl', fd: 4, cmd: 'F_SETFL', arg: ['O_NONBLOCK', 2] });
    expect(encodeCall({ op: 'fcntl', fd: 4, cmd: F_SETFD, arg: 1 })).toEqual({ op: 'fcntl', fd: 4, cmd: 'F_SETFD', arg: ['FD_CLOEXEC'] });
    expect(encodeCall({ op: 'setsockopt', fd: 4, level: SOL_SOCKET, name: 2, value: 1, optlen: 4 })).toMatchObject({ level: 'SOL_SOCKET', name: 'SO_REUSEADDR' });
    expect(encodeCall({ op: 'accept4', fd: 4, out: OUT, flags: 0 })).toMatchObject({ flags: [] });
  });

  const i32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
  const ptr = fc.constantFrom<Ptr>('ok', 'null', 'bad');
  const out = fc.record({ ptr, lenPtr: ptr, len: i32 });
  const addrIn: fc.Arbitrary<AddrIn> = fc.oneof(
    fc.record({ ptr: fc.constant('ok' as const), len: i32, family: fc.oneof(fc.constant(AF_INET), i32), addr: fc.ipV4(), port: fc.integer({ min: 0, max: 65535 }) }),
    fc.record({ ptr: fc.constantFrom('null' as const, 'bad' as const), len: i32 }),
  );
  const fd = fc.oneof(fc.integer({ min: 0, max: 10 }), i32);
  const call: fc.Arbitrary<Call> = fc.oneof(
    fc.record({ op: fc.constant('socket' as const), domain: fc.oneof(fc.constant(AF_INET), i32), type: i32, protocol: fc.oneof(fc.constant(0), i32) }),
    fc.record({ op: fc.constantFrom('bind' as const, 'connect' as const), fd, addr: addrIn }),
    fc.record({ op: fc.constant('listen' as const), fd, backlog: i32 }),
    fc.record({ op: fc.constantFrom('accept' as const, 'getsockname' as const, 'getpeername' as const), fd, out }),
    fc.record({ op: fc.constant('accept4' as const), fd, out, flags: i32 }),
    fc.record({ op: fc.constant('close' as const), fd }),
    fc.record({ op: fc.constant('fcntl' as const), fd, cmd: fc.oneof(fc.constantFrom(1, 2, 3, 4, 1030), i32), arg: i32 }),
    fc.record({ op: fc.constant('setsockopt' as const), fd, level: fc.oneof(fc.constant(SOL_SOCKET), i32), name: i32, value: i32, optlen: i32, ptr: fc.constantFrom('null' as const, 'bad' as const) }, { requiredKeys: ['op', 'fd', 'level', 'name', 'value', 'optlen'] }),
    fc.record({ op: fc.constant('getsockopt' as const), fd, level: fc.oneof(fc.constant(SOL_SOCKET), i32), name: i32, opt: out }),
  );

  it('round-trips every call through a line (encode, parse)', () => {
    fc.assert(fc.property(call, fc.nat(), (c, id) => {
      const line = encodeRunnerMessage({ type: 'call', id, call: c });
      expect(line).not.toContain('\n');
      expect(parseRunnerMessage(line)).toEqual({ ok: true, msg: { type: 'call', id, call: c } });
    }), { seed: 42, numRuns: 2000 });
  });

  it('round-trips helper messages, and reads E<n> and flag sets in results', () => {
    const msgs: HelperMessage[] = [
      { type: 'hello', protocol: 1, name: 'x', version: '1', capabilities: { families: ['AF_INET'], types: ['SOCK_STREAM'], calls: ['socket'], settles: true } },
      { type: 'opened', id: 1, profile: { kernel: 'k', somaxconn: 4096, portRange: [32768, 60999], unprivilegedPortStart: 1024, nofile: 7, capNetBindService: false } },
      { type: 'result', id: 2, observed: { kind: 'returned', ret: -1, errno: 'EINVAL', addr: 'a5a5', addrlen: 16, bound: { addr: '127.0.0.1', port: 5000 } } },
      { type: 'result', id: 3, observed: { kind: 'blocked', bound: { addr: '0.0.0.0', port: 40000 } } },
      { type: 'result', id: 4, observed: { kind: 'unsupported', detail: 'no accept4' } },
      { type: 'error', id: null, message: 'what?' },
    ];
    for (const m of msgs) expect(parseHelperMessage(encodeHelperMessage(m))).toEqual({ ok: true, msg: m });
    expect(parseHelperMessage('{"type":"result","id":5,"observed":{"kind":"returned","ret":-1,"errno":"E11"}}'))
      .toEqual({ ok: true, msg: { type: 'result', id: 5, observed: { kind: 'returned', ret: -1, errno: 'EAGAIN' } } });
    expect(parseHelperMessage('{"type":"result","id":6,"observed":{"kind":"returned","ret":["O_RDWR","O_NONBLOCK"]}}'))
      .toEqual({ ok: true, msg: { type: 'result', id: 6, observed: { kind: 'returned', ret: 2 | O_NONBLOCK } } });
  });

  it('names the offending field of a malformed message', () => {
    const err = (line: string): string => { const p = parseHelperMessage(line); return p.ok ? 'ok' : p.error; };
    expect(err('not json')).toMatch(/^line: not JSON/);
    expect(err('[1]')).toMatch(/^message: expected an object/);
    expect(err('{"type":"bye"}')).toMatch(/^message\.type: expected one of hello, opened/);
    expect(err('{"type":"result","observed":{"kind":"returned","ret":0}}')).toMatch(/^result\.id: expected an integer/);
    expect(err('{"type":"result","id":1,"observed":{"kind":"returned","ret":-1}}')).toMatch(/^result\.observed\.errno: missing/);
    expect(err('{"type":"result","id":1,"observed":{"kind":"returned","ret":-1,"errno":"EFOO"}}')).toMatch(/^result\.observed\.errno: 'EFOO' is not in sockspec's errno table/);
    expect(err('{"type":"result","id":1,"observed":{"kind":"returned","ret":0,"bound":{"addr":"1.2.3","port":1}}}')).toMatch(/^result\.observed\.bound\.addr: expected a dotted quad/);
    expect(err('{"type":"opened","id":1,"profile":{"kernel":"k"}}')).toMatch(/^opened\.profile\.somaxconn: expected an integer, got nothing/);
    expect(err('{"type":"hello","protocol":1,"name":"n","version":"v","capabilities":{"families":[],"types":[],"calls":["sendmmsg"]}}')).toMatch(/^hello\.capabilities\.calls\[0\]: expected one of socket/);
    const p = parseRunnerMessage('{"type":"call","id":1,"call":{"op":"socket","domain":"AF_INET","type":["SOCK_STREAM","SOCK_DGRAM"],"protocol":0}}');
    expect(p.ok ? 'ok' : p.error).toMatch(/^call\.call\.type\[1\]: at most one of SOCK_STREAM/);
  });

  it('says why a reply does not answer a request', () => {
    const req = { type: 'call' as const, id: 7, call: SOCKET };
    const result = (id: number): HelperMessage => ({ type: 'result', id, observed: { kind: 'returned', ret: 4 } });
    expect(replyProblem(req, result(7))).toBeUndefined();
    expect(replyProblem(req, result(8))).toBe('result has id 8, expected 7 (the call request)');
    expect(replyProblem(req, { type: 'settled', id: 7 })).toBe('expected result in reply to call #7, got settled');
    expect(replyProblem({ type: 'open', id: 1, world: {}, deadlineMs: 5 }, { type: 'rejected', id: 1, reason: 'r' })).toBeUndefined();
  });
});

describe('exec: the command line', () => {
  it('splits words like a shell, without one', () => {
    expect(splitCommand('node test/fixtures/model-helper.mjs')).toEqual(['node', 'test/fixtures/model-helper.mjs']);
    expect(splitCommand(`  ./shim --name 'a b' "c \\"d\\"" e\\ f  `)).toEqual(['./shim', '--name', 'a b', 'c "d"', 'e f']);
    expect(splitCommand(`sh -c 'exec ./shim 2>/dev/null'`)).toEqual(['sh', '-c', 'exec ./shim 2>/dev/null']);
    expect(() => splitCommand(`./shim 'open`)).toThrow(/unterminated '/);
    expect(() => execAdapter('   ')).toThrow(/needs a command/);
  });
});

describe('exec: a correct helper (the model over the wire)', () => {
  it('answers calls as the model does and leaves no process after close', async () => {
    const { adapter, m } = modelHelper();
    const s = await adapter.open({ deadlineMs: 20, world: { nofile: 7, capNetBindService: false } });
    expect(s.profile).toMatchObject({ kernel: 'model-helper', nofile: 7, capNetBindService: false });
    expect(adapter.hello).toMatchObject({ name: 'model-helper', protocol: 1 });
    expect(procsWith(m)).toHaveLength(1);
    expect(await s.exec(SOCKET)).toEqual({ kind: 'returned', ret: 4 });
    expect(await s.exec({ op: 'listen', fd: 4, backlog: 1 })).toMatchObject({ kind: 'returned', ret: 0, bound: { addr: '0.0.0.0' } });
    expect(await s.exec({ op: 'accept', fd: 4, out: OUT })).toEqual({ kind: 'blocked' });
    expect(await s.exec({ op: 'fcntl', fd: 9, cmd: F_GETFL, arg: 0 })).toEqual({ kind: 'returned', ret: -1, errno: 'EBADF' });
    await s.settle();
    await s.close();
    await s.close();
    expect(procsWith(m)).toEqual([]);
    await expect(s.exec(SOCKET)).rejects.toThrow(/closed session/);
  });

  it('agrees with the model on 100 sequences (helper reused through reset)', async () => {
    const { adapter, m } = modelHelper({ reuse: true });
    const r = await check({ adapter, runs: 100, seed: 1, maxLength: 30, invalid: 0.2, deadlineMs: 50 });
    await adapter.dispose();
    expect(r.error).toBeUndefined();
    expect(r.failure?.outcome.steps.at(-1)).toBeUndefined();
    expect(r.sequences).toBe(100);
    expect(procsWith(m)).toEqual([]);
  });

  it('agrees with the model on 20 sequences, one fresh helper per sequence', async () => {
    const { adapter, m } = modelHelper();
    const r = await check({ adapter, runs: 20, seed: 2, maxLength: 30, invalid: 0.2, deadlineMs: 50 });
    expect(r.error).toBeUndefined();
    expect(r.failure?.outcome.steps.at(-1)).toBeUndefined();
    expect(procsWith(m)).toEqual([]);
  });
});

describe('exec: faulty helpers', () => {
  async function firstCall(mode: string): Promise<{ first: Observed; second: Observed; m: string }> {
    const { adapter, m } = faulty(mode);
    const s = await adapter.open({ deadlineMs: 20 });
    try {
      return { first: await s.exec(SOCKET), second: await s.exec(SOCKET), m };
    } finally {
      await s.close();
    }
  }

  it('hang: the call is blocked after deadline + grace, later calls crashed, helper and its child killed', async () => {
    const { adapter, m } = faulty('hang', { graceMs: 150 });
    const s = await adapter.open({ deadlineMs: 20 });
    expect(procsWith(m)).toHaveLength(2); // the helper and its grandchild
    const t0 = performance.now();
    expect(await s.exec(SOCKET)).toEqual({ kind: 'blocked' });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(170 - 5);
    const second = await s.exec(SOCKET);
    expect(second).toMatchObject({ kind: 'crashed' });
    expect(second.kind === 'crashed' && second.detail).toMatch(/^the session is over: call 1 \(socket\): no reply to call #2 within 170 ms \(killed\)$/);
    await s.close();
    expect(procsWith(m)).toEqual([]);
  });

  (pidNamespaces() ? it : it.skip)(`escape: a child that left the helper's process group (setsid) dies with the helper${pidNamespaces() ? '' : ' (skipped: no PID namespaces here, unshare --pid needs root)'}`, async () => {
    const { adapter, m } = faulty('escape', { graceMs: 50 });
    const s = await adapter.open({ deadlineMs: 20 });
    const t0 = Date.now();
    while (procsWith(m).length < 2 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
    expect(procsWith(m)).toHaveLength(2); // the helper and its grandchild, in a session of its own
    expect(await s.exec(SOCKET)).toEqual({ kind: 'blocked' });
    await s.close();
    expect(await gone(m, 2000)).toEqual([]);
  });

  it('die: crashed with the exit status and the tail of stderr', async () => {
    const { first, second, m } = await firstCall('die');
    expect(first).toEqual({ kind: 'crashed', detail: 'exit status 3; stderr tail: faulty-helper: dying on purpose (mode die)' });
    expect(second).toEqual({ kind: 'crashed', detail: 'the session is over: call 1 (socket): exit status 3; stderr tail: faulty-helper: dying on purpose (mode die)' });
    expect(procsWith(m)).toEqual([]);
  });

  it('garbage: crashed with a protocol error quoting the line', async () => {
    const { first, m } = await firstCall('garbage');
    expect(first.kind === 'crashed' && first.detail).toMatch(/^protocol error: line: not JSON \(.*\), in message: this is not JSON \{$/);
    expect(procsWith(m)).toEqual([]);
  });

  it('wrong-id: crashed with a protocol error naming both ids', async () => {
    const { first, m } = await firstCall('wrong-id');
    expect(first).toEqual({
      kind: 'crashed',
      detail: 'protocol error: result has id 1002, expected 2 (the call request), in message: {"type":"result","id":1002,"observed":{"kind":"returned","ret":4}}',
    });
    expect(procsWith(m)).toEqual([]);
  });

  it('bad-result: crashed with a protocol error naming the field', async () => {
    const { first } = await firstCall('bad-result');
    expect(first.kind === 'crashed' && first.detail).toMatch(/^protocol error: result\.observed\.errno: 'ENOTANERRNO' is not in sockspec's errno table/);
  });

  it('unsolicited: a line nobody asked for ends the session', async () => {
    const { first, second } = await firstCall('unsolicited');
    expect(first).toEqual({ kind: 'returned', ret: 4 });
    expect(second.kind === 'crashed' && second.detail).toMatch(/^protocol error: unsolicited message \(no request was pending\), in message: \{"type":"result","id":99,/);
  });

  it('with reuse, a helper that failed is never reused: the next session gets a fresh one', async () => {
    const { adapter, m } = faulty('die', { reuse: true });
    for (let i = 0; i < 2; i++) {
      const s = await adapter.open({ deadlineMs: 20 });
      expect(await s.exec(SOCKET)).toMatchObject({ kind: 'crashed', detail: expect.stringMatching(/^exit status 3;/) });
      await s.close();
    }
    await adapter.dispose();
    expect(procsWith(m)).toEqual([]);
  });

  it('bad-hello: open() rejects naming both protocol versions, and kills the helper', async () => {
    const { adapter, m } = faulty('bad-hello');
    await expect(adapter.open({ deadlineMs: 20 })).rejects.toThrow(/\(faulty-helper bad-hello\) speaks wire protocol version 99; this sockspec speaks version 1$/);
    expect(procsWith(m)).toEqual([]);
  });

  it('reject: open() rejects with the helper\'s reason and the world', async () => {
    const { adapter, m } = faulty('reject');
    await expect(adapter.open({ deadlineMs: 20, world: { nofile: 7 } }))
      .rejects.toThrow(/did not open a session: it cannot provide the world \{"nofile":7\}: faulty-helper provides no world \(mode reject\)$/);
    expect(procsWith(m)).toEqual([]);
  });

  it('a command that does not exist: open() rejects saying it cannot start', async () => {
    await expect(execAdapter('./no-such-helper-here').open({ deadlineMs: 20 })).rejects.toThrow(/ended before its hello: cannot start '\.\/no-such-helper-here': spawn \.\/no-such-helper-here ENOENT/);
  });

  it('a helper with no hello: open() rejects after startupMs with the stderr tail', async () => {
    // 3 s: Node itself may take over a second to start on a loaded machine, and the stderr
    // tail is only there once it has.
    const a = execAdapter([NODE, '-e', 'console.error("booting..."); setInterval(() => {}, 1e6)', '--', marker()], { startupMs: 3000 });
    await expect(a.open({ deadlineMs: 20 })).rejects.toThrow(/sent no hello within 3000 ms, stderr tail: booting\.\.\.$/);
  });
});

describe('exec: the runner turns helper faults into shrunk divergences', () => {
  for (const [mode, kind, detail, graceMs] of [
    ['die', 'crashed', /^exit status 3; stderr tail: faulty-helper: dying on purpose/, 1000],
    ['garbage', 'crashed', /^protocol error: line: not JSON/, 1000],
    ['wrong-id', 'crashed', /^protocol error: result has id/, 1000],
    ['hang', 'blocked', undefined, 20],
  ] as const) {
    it(`${mode}: a divergence at call 1 of a 1-call sequence, no harness error, no process left`, async () => {
      const { adapter, m } = faulty(mode, { graceMs });
      const r = await check({ adapter, runs: 5, seed: 3, maxLength: 10, invalid: 0.2, deadlineMs: 10 });
      expect(r.error).toBeUndefined();
      expect(r.failure?.outcome.divergence?.index).toBe(0);
      const steps = r.failure?.outcome.steps ?? [];
      expect(steps).toHaveLength(1);
      expect(steps[0]?.observed.kind).toBe(kind);
      const o = steps[0]?.observed;
      if (detail) expect(o?.kind === 'crashed' && o.detail).toMatch(detail);
      expect(await gone(m, 0)).toEqual([]);
    });
  }
});

describe('exec: no helper outlives the runner', () => {
  /** Runs test/fixtures/exec-parent.mjs; resolves once it printed "open". */
  function parent(mode: string, helper: string[]): Promise<{ child: ReturnType<typeof spawn>; exited: Promise<number | null> }> {
    const child = spawn(NODE, [join(FIXTURES, 'exec-parent.mjs'), mode, ...helper], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    return new Promise((resolve, reject) => {
      child.stdout.on('data', (b: Buffer) => { if (b.toString().includes('open')) resolve({ child, exited }); });
      child.on('exit', (code) => reject(new Error(`exec-parent exited with ${code} before opening`)));
    });
  }

  for (const mode of ['exit', 'throw']) {
    it(`a runner that ends with process.${mode === 'exit' ? 'exit()' : 'an uncaught exception'} kills its hanging helper and the helper's child`, async () => {
      const m = marker();
      const { exited } = await parent(mode, [NODE, join(FIXTURES, 'faulty-helper.mjs'), 'hang', m]);
      expect(await exited).toBe(mode === 'exit' ? 0 : 1);
      expect(await gone(m, 2000)).toEqual([]);
    });
  }

  it('a runner killed with SIGKILL: the helper sees EOF on stdin and exits by itself', async () => {
    const m = marker();
    const { child, exited } = await parent('wait', [NODE, join(FIXTURES, 'model-helper.mjs'), m]);
    let helpers: number[];
    try {
      helpers = procsWith(m).filter((p) => p !== child.pid); // the parent has the marker too
    } finally {
      child.kill('SIGKILL');
    }
    await exited;
    expect(helpers).toHaveLength(1);
    expect(await gone(m, 3000)).toEqual([]);
  });
});
