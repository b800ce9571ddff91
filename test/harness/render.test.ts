/**
 * Trace rendering: the C-like text of calls and answers (expected strings written by hand
 * from the C declarations and the kernel's behaviour), the report, the JSON file format
 * (round trip, stable order, errors that name file and field), and the C reproducer,
 * compiled and run against this machine's kernel.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AddrIn, AddrOut, Call } from '../../spec/call.js';
import { ERRNO, type ErrnoName } from '../../spec/errno.js';
import type { Expected, PortHole } from '../../spec/expected.js';
import type { Observed } from '../../spec/observed.js';
import { DEFAULT_PROFILE, type Profile } from '../../spec/profile.js';
import { traceToC } from '../../harness/render/c.js';
import { traceFromJson, traceToJson } from '../../harness/render/json.js';
import { renderCall, renderExpected, renderObserved, renderTrace } from '../../harness/render/text.js';
import type { Trace, TraceStep } from '../../harness/render/trace.js';

const FC_SEED = 20240611;

/** The 16 bytes of a sockaddr_in, written out by hand: family 2 (little-endian), port, address, sin_zero. */
const SIN_127_40000 = '0200' + '9c40' + '7f000001' + '0000000000000000';
const SIN_127_5000 = '0200' + '1388' + '7f000001' + '0000000000000000';

function sin(ip: string, port: number): string {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(2, 0);
  b.writeUInt16BE(port, 2);
  ip.split('.').forEach((x, i) => { b[4 + i] = Number(x); });
  return b.toString('hex');
}

const ok16: AddrOut = { ptr: 'ok', lenPtr: 'ok', len: 16 };
const lo5000: AddrIn = { ptr: 'ok', len: 16, family: 2, addr: '127.0.0.1', port: 5000 };

describe('renderCall', () => {
  const cases: [Call, string][] = [
    [{ op: 'socket', domain: 2, type: 1 | 0o4000, protocol: 0 }, 'socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK, 0)'],
    [{ op: 'socket', domain: 2, type: 2 | 0o2000000 | 0x100, protocol: 17 }, 'socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC|0x100, IPPROTO_UDP)'],
    // type -1 is 0xffffffff: base 15, both flags, the rest left over.
    [{ op: 'socket', domain: -1, type: -1, protocol: 6 }, 'socket(-1, 15|SOCK_NONBLOCK|SOCK_CLOEXEC|0xfff7f7f0, 6)'],
    [{ op: 'socket', domain: 0, type: 1, protocol: 6 }, 'socket(AF_UNSPEC, SOCK_STREAM, 6)'],
    [{ op: 'socket', domain: 47, type: 3, protocol: 1 }, 'socket(47, SOCK_RAW, 1)'],
    [{ op: 'bind', fd: 5, addr: lo5000 }, 'bind(5, {AF_INET, 127.0.0.1:5000}, 16)'],
    [{ op: 'bind', fd: 5, addr: { ptr: 'null', len: 16 } }, 'bind(5, NULL, 16)'],
    [{ op: 'connect', fd: 5, addr: { ptr: 'bad', len: -1 } }, 'connect(5, <bad ptr>, -1)'],
    [{ op: 'connect', fd: 4, addr: { ptr: 'ok', len: 2, family: 0, addr: '0.0.0.0', port: 0 } }, 'connect(4, {AF_UNSPEC, 0.0.0.0:0}, 2)'],
    [{ op: 'listen', fd: 4, backlog: -1 }, 'listen(4, -1)'],
    [{ op: 'accept4', fd: 5, out: ok16, flags: 0o2000000 }, 'accept4(5, &addr[16], &len, SOCK_CLOEXEC)'],
    [{ op: 'accept4', fd: 5, out: { ptr: 'ok', lenPtr: 'bad', len: 128 }, flags: 0 }, 'accept4(5, &addr[128], <bad ptr>, 0)'],
    [{ op: 'accept', fd: 5, out: { ptr: 'null', lenPtr: 'null', len: 0 } }, 'accept(5, NULL, NULL)'],
    [{ op: 'getpeername', fd: 5, out: { ptr: 'bad', lenPtr: 'ok', len: 4 } }, 'getpeername(5, <bad ptr>, &len=4)'],
    [{ op: 'close', fd: 7 }, 'close(7)'],
    [{ op: 'fcntl', fd: 5, cmd: 4, arg: 0o4000 }, 'fcntl(5, F_SETFL, O_NONBLOCK)'],
    [{ op: 'fcntl', fd: 5, cmd: 4, arg: 0o4000 | 2 }, 'fcntl(5, F_SETFL, O_NONBLOCK|0x2)'],
    [{ op: 'fcntl', fd: 5, cmd: 4, arg: 0o2000 | 0o4000 | 0o20000 }, 'fcntl(5, F_SETFL, O_APPEND|O_NONBLOCK|O_ASYNC)'],
    [{ op: 'fcntl', fd: 5, cmd: 4, arg: 0 }, 'fcntl(5, F_SETFL, 0)'],
    [{ op: 'fcntl', fd: 5, cmd: 3, arg: 0 }, 'fcntl(5, F_GETFL)'],
    [{ op: 'fcntl', fd: 5, cmd: 2, arg: 1 }, 'fcntl(5, F_SETFD, FD_CLOEXEC)'],
    [{ op: 'fcntl', fd: 5, cmd: 2, arg: -1 }, 'fcntl(5, F_SETFD, FD_CLOEXEC|0xfffffffe)'],
    [{ op: 'fcntl', fd: 5, cmd: 9999, arg: 0 }, 'fcntl(5, 9999, 0)'],
    [{ op: 'setsockopt', fd: 5, level: 1, name: 2, value: 1, optlen: 4 }, 'setsockopt(5, SOL_SOCKET, SO_REUSEADDR, [1], 4)'],
  ];
  it.each(cases)('%j', (call, text) => {
    expect(renderCall(call)).toBe(text);
  });
});

describe('renderObserved', () => {
  const getfl: Call = { op: 'fcntl', fd: 0, cmd: 3, arg: 0 };
  const cases: [Observed, Call | undefined, string][] = [
    [{ kind: 'returned', ret: 0 }, undefined, '= 0'],
    [{ kind: 'returned', ret: 5 }, undefined, '= 5'],
    [{ kind: 'returned', ret: -1, errno: 'EINVAL' }, undefined, '= -1 EINVAL'],
    [{ kind: 'returned', ret: -1, errno: 'E200' }, undefined, '= -1 E200'],
    [{ kind: 'returned', ret: 6, addr: SIN_127_40000, addrlen: 16 }, undefined, '= 6 addr=127.0.0.1:40000 len=16'],
    [{ kind: 'returned', ret: 0, addr: SIN_127_5000 + 'a5'.repeat(112), addrlen: 16 }, undefined, '= 0 addr=127.0.0.1:5000+a5*112 len=16'],
    [{ kind: 'returned', ret: 0, addr: SIN_127_5000 + 'a5', addrlen: 16 }, undefined, '= 0 addr=127.0.0.1:5000+a5 len=16'],
    // Only 8 of the 16 bytes: not a whole sockaddr_in, so hex.
    [{ kind: 'returned', ret: 0, addr: '02009c407f000001', addrlen: 16 }, undefined, '= 0 addr=02009c407f000001 len=16'],
    // sin_zero not zero: shown as hex, so the difference stays visible.
    [{ kind: 'returned', ret: 0, addr: '02009c407f0000010000000000000001' }, undefined, '= 0 addr=02009c407f0000010000000000000001'],
    [{ kind: 'returned', ret: -1, errno: 'EFAULT', addr: 'a5'.repeat(16), addrlen: 16 }, undefined, '= -1 EFAULT addr=a5*16 len=16'],
    [{ kind: 'returned', ret: -1, errno: 'EINVAL', addr: '', addrlen: -1 }, undefined, '= -1 EINVAL addr=(empty) len=-1'],
    [{ kind: 'returned', ret: 0, bound: { addr: '127.0.0.1', port: 40001 } }, undefined, '= 0 bound=127.0.0.1:40001'],
    [{ kind: 'returned', ret: 32770 }, getfl, '= 32770 (O_RDWR|O_LARGEFILE)'],
    [{ kind: 'returned', ret: 0 }, getfl, '= 0 (O_RDONLY)'],
    [{ kind: 'returned', ret: -1, errno: 'EBADF' }, getfl, '= -1 EBADF'],
    [{ kind: 'returned', ret: 1 }, { op: 'fcntl', fd: 4, cmd: 1, arg: 0 }, '= 1 (FD_CLOEXEC)'],
    [{ kind: 'blocked' }, undefined, 'blocked (no answer within the deadline)'],
    [{ kind: 'blocked', bound: { addr: '127.0.0.1', port: 40000 } }, undefined, 'blocked (no answer within the deadline) bound=127.0.0.1:40000'],
    [{ kind: 'crashed', detail: 'helper exited with signal 11' }, undefined, 'CRASHED: helper exited with signal 11'],
    [{ kind: 'unsupported', detail: 'no accept4' }, undefined, 'unsupported: no accept4'],
  ];
  it.each(cases)('%j after %j', (obs, call, text) => {
    expect(renderObserved(obs, call)).toBe(text);
  });
});

describe('renderExpected', () => {
  it('shows a port hole as its range, parity and taken ports', () => {
    const e: Expected = { kind: 'returned', ret: 0, bound: { addr: '0.0.0.0', port: { lo: 32768, hi: 60999, parity: 'odd', taken: [40001, 40003] } } };
    expect(renderExpected(e)).toBe('= 0 bound=0.0.0.0:(port in [32768, 60999] odd, not {40001, 40003})');
  });
  it('shows a required absence of a local address and errno outcomes', () => {
    expect(renderExpected({ kind: 'returned', ret: -1, errno: 'EBADF', bound: null })).toBe('= -1 EBADF bound=(none)');
    expect(renderExpected({ kind: 'blocked', bound: { addr: '127.0.0.1', port: { lo: 1, hi: 9, taken: [] } } }))
      .toBe('blocked (no answer within the deadline) bound=127.0.0.1:(port in [1, 9])');
  });
});

const profile: Profile = { ...DEFAULT_PROFILE, kernel: '6.18.44' };

const divergent: Trace = {
  version: 1, adapter: 'lwip', seed: 42, path: '3:1:0', profile,
  steps: [
    { call: { op: 'socket', domain: 2, type: 1, protocol: 0 }, observed: { kind: 'returned', ret: 4 }, rule: 'socket/ok' },
    { call: { op: 'bind', fd: 4, addr: lo5000 }, observed: { kind: 'returned', ret: 0, bound: { addr: '127.0.0.1', port: 5000 } }, rule: 'bind/ok' },
    { call: { op: 'listen', fd: 4, backlog: 0 }, observed: { kind: 'returned', ret: -1, errno: 'EINVAL' } },
  ],
  divergence: {
    index: 2,
    allowed: [
      { rule: 'listen/ok', expect: { kind: 'returned', ret: 0, bound: { addr: '127.0.0.1', port: 5000 } } },
      { rule: 'listen/EADDRINUSE', expect: { kind: 'returned', ret: -1, errno: 'EADDRINUSE' } },
    ],
  },
};

describe('renderTrace', () => {
  const plain = renderTrace(divergent, { color: false, files: { json: 'out/d.json', c: 'out/d.c' } });
  const lines = plain.split('\n');

  it('heads with adapter, count, seed and path', () => {
    expect(lines[0]).toBe(`sockspec: 'lwip' diverges from the model at call 3 of 3 (seed 42, path "3:1:0")`);
  });
  it('numbers the calls and shows answer and rule in aligned columns', () => {
    const step1 = lines.find((l) => l.includes('socket(AF_INET, SOCK_STREAM, 0)'))!;
    const step2 = lines.find((l) => l.includes('bind(4, {AF_INET, 127.0.0.1:5000}, 16)'))!;
    expect(step1).toMatch(/^ {3}1 {2}socket\(AF_INET, SOCK_STREAM, 0\) += 4 +\[socket\/ok\]$/);
    expect(step2).toMatch(/^ {3}2 {2}bind\(.*\) += 0 bound=127\.0\.0\.1:5000 +\[bind\/ok\]$/);
    expect(step1.indexOf('= 4')).toBe(step2.indexOf('= 0'));
    expect(step1.indexOf('[socket/ok]')).toBe(step2.indexOf('[bind/ok]'));
  });
  it('marks the divergent answer and lists every allowed outcome below it, aligned with it', () => {
    const i = lines.findIndex((l) => l.startsWith('>'));
    expect(lines[i]).toMatch(/^> {2}3 {2}listen\(4, 0\) += -1 EINVAL +<- no allowed outcome matches$/);
    expect(lines[i + 1]).toMatch(/model allows: {2}= 0 bound=127\.0\.0\.1:5000 {2}\[listen\/ok\]$/);
    expect(lines[i + 2]).toMatch(/^ += -1 EADDRINUSE {2}\[listen\/EADDRINUSE\]$/);
    const col = lines[i]!.indexOf('= -1 EINVAL');
    expect(lines[i + 1]!.indexOf('= 0')).toBe(col);
    expect(lines[i + 2]!.indexOf('= -1 EADDRINUSE')).toBe(col);
  });
  it('keeps the allowed outcomes under the answer when the divergent call is longer than the column', () => {
    const long: Call = { op: 'accept4', fd: 4, out: { ptr: 'null', lenPtr: 'ok', len: 16 }, flags: -1 };
    const t: Trace = { ...divergent, steps: [...divergent.steps.slice(0, 2), { call: long, observed: { kind: 'returned', ret: -1, errno: 'EINVAL' } }] };
    const ls = renderTrace(t, { color: false }).split('\n');
    const i = ls.findIndex((l) => l.startsWith('>'));
    expect(ls[i]).toContain('accept4(4, NULL, &len=16, SOCK_NONBLOCK|SOCK_CLOEXEC|0xfff7f7ff)  = -1 EINVAL');
    expect(ls[i + 1]!.indexOf('= 0 bound=')).toBe(ls[i]!.indexOf('= -1 EINVAL'));
  });
  it('ends with the replay command and the files', () => {
    expect(lines).toContain('replay:  npx sockspec run --adapter lwip --seed 42 --path "3:1:0"');
    expect(plain).toContain('out/d.json');
    expect(plain).toContain('cc out/d.c -o repro && ./repro');
  });
  it('uses ANSI colours only when asked, red on the divergent answer', () => {
    expect(plain).not.toContain('\x1b[');
    const colored = renderTrace(divergent, { color: true });
    expect(colored).toContain('\x1b[1;31m= -1 EINVAL');
    expect(colored.replace(/\x1b\[[0-9;]*m/g, '')).toBe(renderTrace(divergent, { color: false }));
  });
  it('says when there is no divergence and no seed', () => {
    const { divergence: _d, seed: _s, path: _p, ...rest } = divergent;
    const t: Trace = { ...rest, steps: divergent.steps.slice(0, 2) };
    const out = renderTrace(t, { color: false });
    expect(out.split('\n')[0]).toBe(`sockspec: trace of 2 calls on 'lwip'`);
    expect(out).not.toContain('model allows');
    expect(out).toContain('no seed recorded');
  });
});

// ---- JSON -------------------------------------------------------------------------------

const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const anyInt = fc.oneof(int32, fc.maxSafeInteger(), fc.constantFrom(0, -1, 16, 128));
const ptr = fc.constantFrom('ok' as const, 'null' as const, 'bad' as const);
const text = fc.string({ unit: 'binary', maxLength: 12 });
const addrInArb: fc.Arbitrary<AddrIn> = fc.oneof(
  fc.record({ ptr: fc.constant('ok' as const), len: anyInt, family: anyInt, addr: fc.ipV4(), port: anyInt }),
  fc.record({ ptr: fc.constantFrom('null' as const, 'bad' as const), len: anyInt }),
);
const addrOutArb: fc.Arbitrary<AddrOut> = fc.record({ ptr, lenPtr: ptr, len: anyInt });
const callArb: fc.Arbitrary<Call> = fc.oneof(
  fc.record({ op: fc.constant('socket' as const), domain: anyInt, type: anyInt, protocol: anyInt }),
  fc.record({ op: fc.constantFrom('bind' as const, 'connect' as const), fd: anyInt, addr: addrInArb }),
  fc.record({ op: fc.constant('listen' as const), fd: anyInt, backlog: anyInt }),
  fc.record({ op: fc.constantFrom('accept' as const, 'getsockname' as const, 'getpeername' as const), fd: anyInt, out: addrOutArb }),
  fc.record({ op: fc.constant('accept4' as const), fd: anyInt, out: addrOutArb, flags: anyInt }),
  fc.record({ op: fc.constant('close' as const), fd: anyInt }),
  fc.record({ op: fc.constant('fcntl' as const), fd: anyInt, cmd: anyInt, arg: anyInt }),
  fc.record({ op: fc.constant('setsockopt' as const), fd: anyInt, level: anyInt, name: anyInt, value: anyInt, optlen: anyInt, ptr }, { requiredKeys: ['op', 'fd', 'level', 'name', 'value', 'optlen'] }),
  fc.record({ op: fc.constant('getsockopt' as const), fd: anyInt, level: anyInt, name: anyInt, opt: addrOutArb }),
);
const errnoArb = fc.constantFrom(...(Object.keys(ERRNO) as ErrnoName[]));
const hexArb = fc.uint8Array({ maxLength: 128 }).map((b) => Buffer.from(b).toString('hex'));
const boundArb = fc.record({ addr: fc.ipV4(), port: anyInt });
const observedArb: fc.Arbitrary<Observed> = fc.oneof(
  fc.record(
    { kind: fc.constant('returned' as const), ret: anyInt, errno: fc.oneof(errnoArb, fc.nat().map((n): `E${number}` => `E${n}`)), addr: hexArb, addrlen: anyInt, optval: hexArb, optlen: anyInt, bound: boundArb },
    { requiredKeys: ['kind', 'ret'] },
  ),
  fc.record({ kind: fc.constant('blocked' as const), bound: boundArb }, { requiredKeys: ['kind'] }),
  fc.record({ kind: fc.constantFrom('crashed' as const, 'unsupported' as const), detail: text }),
);
const holeArb: fc.Arbitrary<PortHole> = fc.record(
  { lo: anyInt, hi: anyInt, parity: fc.constantFrom('odd' as const, 'even' as const), taken: fc.array(anyInt, { maxLength: 4 }) },
  { requiredKeys: ['lo', 'hi', 'taken'] },
);
const expectedBoundArb = fc.option(fc.record({ addr: fc.ipV4(), port: fc.oneof(anyInt, holeArb) }), { nil: null });
const expectedArb: fc.Arbitrary<Expected> = fc.oneof(
  fc.record({ kind: fc.constant('blocked' as const), bound: expectedBoundArb }, { requiredKeys: ['kind'] }),
  fc.record(
    { kind: fc.constant('returned' as const), ret: anyInt, errno: errnoArb, addr: hexArb, addrlen: anyInt, bound: expectedBoundArb },
    { requiredKeys: ['kind', 'ret'] },
  ),
);
const profileArb: fc.Arbitrary<Profile> = fc.record({
  kernel: text, somaxconn: anyInt, portRange: fc.tuple(anyInt, anyInt), unprivilegedPortStart: anyInt, nofile: anyInt, capNetBindService: fc.boolean(),
});
const stepArb: fc.Arbitrary<TraceStep> = fc.record({ call: callArb, observed: observedArb, rule: text }, { requiredKeys: ['call', 'observed'] });
const traceArb: fc.Arbitrary<Trace> = fc
  .record(
    { version: fc.constant(1 as const), adapter: text, seed: int32, path: text, profile: profileArb, steps: fc.array(stepArb, { maxLength: 6 }) },
    { requiredKeys: ['version', 'adapter', 'profile', 'steps'] },
  )
  .chain((t) => (t.steps.length === 0
    ? fc.constant(t)
    : fc.option(fc.record({ index: fc.nat({ max: t.steps.length - 1 }), allowed: fc.array(fc.record({ rule: text, expect: expectedArb }), { maxLength: 3 }) }), { nil: undefined })
      .map((divergence) => (divergence ? { ...t, divergence } : t))));

/** Every path (as keys) into a JSON value, the root included. */
function paths(v: unknown, at: (string | number)[] = []): (string | number)[][] {
  const here = [at];
  if (Array.isArray(v)) return here.concat(...v.map((x, i) => paths(x, [...at, i])));
  if (v !== null && typeof v === 'object') return here.concat(...Object.entries(v).map(([k, x]) => paths(x, [...at, k])));
  return here;
}

function setAt(root: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [k, ...rest] = path;
  const copy = (Array.isArray(root) ? [...root] : { ...(root as object) }) as Record<string | number, unknown>;
  copy[k!] = setAt(copy[k!], rest, value);
  return copy;
}

describe('traceToJson / traceFromJson', () => {
  it('round-trips every trace', () => {
    fc.assert(fc.property(traceArb, (t) => {
      const json = traceToJson(t);
      expect(traceFromJson(json, 'rt.json')).toEqual(t);
      expect(traceToJson(traceFromJson(json, 'rt.json'))).toBe(json);
    }), { seed: FC_SEED, numRuns: 300 });
  });

  it('writes keys in a fixed order whatever the input order, 2-space indent, final newline', () => {
    const reversed = JSON.parse(JSON.stringify(divergent), (_k, v: unknown) =>
      v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v) as Trace;
    expect(Object.keys(reversed)[0]).toBe('divergence');
    const json = traceToJson(divergent);
    expect(traceToJson(reversed)).toBe(json);
    expect(json.endsWith('}\n')).toBe(true);
    expect(json.split('\n').slice(0, 3)).toEqual(['{', '  "version": 1,', '  "adapter": "lwip",']);
    expect(json).toContain('"call": {\n        "op": "socket",\n        "domain": 2,\n        "type": 1,\n        "protocol": 0\n      }');
  });

  const good = JSON.parse(traceToJson(divergent)) as Record<string, unknown>;
  const bad: [string, unknown, string][] = [
    ['version 2', { ...good, version: 2 }, 't.json: version: expected 1, got 2'],
    ['fd as a string', setAt(good, ['steps', 1, 'call', 'fd'], '4'), 't.json: steps[1].call.fd: expected an integer, got "4"'],
    ['fractional fd', setAt(good, ['steps', 1, 'call', 'fd'], 4.5), 't.json: steps[1].call.fd: expected an integer, got 4.5'],
    ['unknown op', setAt(good, ['steps', 0, 'call', 'op'], 'sendmmsg'), 't.json: steps[0].call.op: expected one of socket, bind, listen'],
    ['missing port', setAt(good, ['steps', 1, 'call', 'addr', 'port'], undefined), 't.json: steps[1].call.addr.port: missing'],
    ['field of another op', setAt(good, ['steps', 0, 'call', 'fd'], 4), 't.json: steps[0].call.fd: unknown field'],
    ['unknown errno', setAt(good, ['steps', 2, 'observed', 'errno'], 'EWHAT'), 't.json: steps[2].observed.errno: expected an errno name of spec/errno.ts or E<number>, got "EWHAT"'],
    ['odd hex', setAt(good, ['steps', 2, 'observed', 'addr'], 'abc'), 't.json: steps[2].observed.addr: expected lowercase hex bytes, got "abc"'],
    ['missing profile', { ...good, profile: undefined }, 't.json: profile: missing'],
    ['bad port range', setAt(good, ['profile', 'portRange'], [1]), 't.json: profile.portRange: expected an array of 2, got [1]'],
    ['hole without taken', setAt(good, ['divergence', 'allowed', 0, 'expect', 'bound', 'port'], { lo: 1, hi: 2 }), 't.json: divergence.allowed[0].expect.bound.port.taken: missing'],
    ['index past the steps', setAt(good, ['divergence', 'index'], 3), 't.json: divergence.index: 3 is not the index of a step (there are 3)'],
    ['an array', [], 't.json: expected an object, got []'],
    ['null steps', { ...good, steps: null }, 't.json: steps: expected an array, got null'],
  ];
  it.each(bad)('rejects %s, naming the file and the field', (_name, value, message) => {
    const run = () => traceFromJson(JSON.stringify(value), 't.json');
    expect(run).toThrow(message);
    try { run(); } catch (e) { expect((e as Error).constructor).toBe(Error); }
  });

  it('rejects text that is not JSON with the file name', () => {
    expect(() => traceFromJson('{"version": 1,', 'x/trace.json')).toThrow(/^x\/trace\.json: not valid JSON: /);
  });

  it('answers any corrupted trace with a trace or an Error naming the file, never a TypeError', () => {
    fc.assert(fc.property(traceArb, fc.nat(), fc.jsonValue({ maxDepth: 2 }), (t, pick, value) => {
      const good = JSON.parse(traceToJson(t)) as unknown;
      const all = paths(good);
      const bent = setAt(good, all[pick % all.length]!, value);
      try {
        traceFromJson(JSON.stringify(bent), 'fuzz.json');
      } catch (e) {
        expect((e as Error).constructor).toBe(Error);
        expect((e as Error).message).toMatch(/^fuzz\.json: /);
      }
    }), { seed: FC_SEED, numRuns: 500 });
  });

  it('renders every trace to text and C without throwing', () => {
    fc.assert(fc.property(traceArb, (t) => {
      expect(renderTrace(t, { color: true }).split('\n').length).toBeGreaterThan(t.steps.length);
      expect(traceToC(t)).toContain('int main(void)');
    }), { seed: FC_SEED, numRuns: 200 });
  });
});

// ---- the C reproducer ---------------------------------------------------------------------

function missingTool(): string | undefined {
  if (spawnSync('cc', ['--version']).status !== 0) return 'cc is missing';
  if (process.getuid?.() === 0) {
    if (spawnSync('unshare', ['-n', 'true']).status !== 0) return 'unshare -n fails here';
  } else if (spawnSync('unshare', ['-rn', 'true']).status !== 0) return 'not root and unshare -rn fails';
  return undefined;
}
const skipC = missingTool();

/** The calls, and the answers Linux gives them, derived from the kernel source (not from a run). */
function reproSteps(): { call: Call; obs: Observed | undefined }[] {
  const ret = (r: number, more: Partial<Observed & { kind: 'returned' }> = {}): Observed => ({ kind: 'returned', ret: r, ...more });
  const lo = (port: number) => ({ addr: '127.0.0.1', port });
  return [
    // fds 0-3 are taken by the initial table, so sockets start at 4.
    { call: { op: 'socket', domain: 2, type: 1, protocol: 0 }, obs: ret(4) },
    { call: { op: 'bind', fd: 4, addr: lo5000 }, obs: ret(0, { bound: lo(5000) }) },
    { call: { op: 'listen', fd: 4, backlog: 16 }, obs: ret(0, { bound: lo(5000) }) },
    { call: { op: 'getsockname', fd: 4, out: ok16 }, obs: ret(0, { addr: sin('127.0.0.1', 5000), addrlen: 16 }) },
    // move_addr_to_user: the copy to the faulting buffer fails before *len is written.
    { call: { op: 'getsockname', fd: 4, out: { ptr: 'bad', lenPtr: 'ok', len: 16 } }, obs: ret(-1, { errno: 'EFAULT', addrlen: 16 }) },
    { call: { op: 'socket', domain: 2, type: 1 | 0o4000, protocol: 0 }, obs: ret(5) },
    // A non-blocking TCP connect returns EINPROGRESS (inet_wait_for_connect is skipped); port checked below.
    { call: { op: 'connect', fd: 5, addr: lo5000 }, obs: undefined },
    { call: { op: 'accept', fd: 4, out: ok16 }, obs: undefined },
    { call: { op: 'getpeername', fd: 5, out: { ptr: 'ok', lenPtr: 'ok', len: 128 } }, obs: ret(0, { addr: sin('127.0.0.1', 5000) + 'a5'.repeat(112), addrlen: 16 }) },
    // The accept queue is empty and the listener blocking.
    { call: { op: 'accept', fd: 4, out: ok16 }, obs: { kind: 'blocked' } },
    { call: { op: 'close', fd: 6 }, obs: ret(0) },
    // A pipe's read end is O_RDONLY, without O_LARGEFILE (create_pipe_files).
    { call: { op: 'fcntl', fd: 3, cmd: 3, arg: 0 }, obs: ret(0) },
    { call: { op: 'fcntl', fd: 6, cmd: 3, arg: 0 }, obs: ret(-1, { errno: 'EBADF' }) },
    // open() adds O_LARGEFILE on 64-bit (force_o_largefile): 0o100002.
    { call: { op: 'fcntl', fd: 0, cmd: 3, arg: 0 }, obs: ret(0o100002) },
    // sock_alloc_file: O_RDWR | O_NONBLOCK from SOCK_NONBLOCK.
    { call: { op: 'fcntl', fd: 5, cmd: 3, arg: 0 }, obs: ret(2 | 0o4000) },
    // __sys_accept4 checks the flags first; *len stays as it was.
    { call: { op: 'accept4', fd: 4, out: { ptr: 'null', lenPtr: 'ok', len: 16 }, flags: -1 }, obs: ret(-1, { errno: 'EINVAL', addrlen: 16 }) },
    { call: { op: 'setsockopt', fd: 5, level: 1, name: 2, value: 1, optlen: 4 }, obs: ret(0) },
    // sk_getsockopt copies min(len, sizeof(int)) bytes: SO_TYPE (3) SOCK_STREAM, two bytes of it.
    { call: { op: 'getsockopt', fd: 5, level: 1, name: 3, opt: { ptr: 'ok', lenPtr: 'ok', len: 2 } }, obs: ret(0, { optval: '0100', optlen: 2 }) },
    { call: { op: 'getsockopt', fd: 5, level: 1, name: 2, opt: { ptr: 'ok', lenPtr: 'ok', len: 8 } }, obs: ret(0, { optval: '01000000a5a5a5a5', optlen: 4 }) },
    // Level 6 (SOL_TCP), option 1 (TCP_NODELAY) with a faulting buffer: do_tcp_getsockopt writes *optlen first.
    { call: { op: 'getsockopt', fd: 5, level: 6, name: 1, opt: { ptr: 'bad', lenPtr: 'ok', len: 8 } }, obs: ret(-1, { errno: 'EFAULT', optlen: 4 }) },
    { call: { op: 'setsockopt', fd: 5, level: 1, name: 2, value: 1, optlen: 4, ptr: 'null' }, obs: ret(-1, { errno: 'EFAULT' }) },
  ];
}

describe('traceToC', () => {
  it.skipIf(skipC !== undefined)(`compiles with -Wall -Werror and replays on Linux${skipC ? ` (skipped: ${skipC})` : ''}`, () => {
    const steps = reproSteps();
    const trace: Trace = {
      version: 1, adapter: 'linux', seed: 7, path: '1:2', profile,
      steps: steps.map(({ call, obs }) => ({ call, observed: obs ?? { kind: 'returned', ret: 0 } })),
    };
    const dir = mkdtempSync(join(tmpdir(), 'sockspec-repro-'));
    try {
      writeFileSync(join(dir, 'repro.c'), traceToC(trace));
      const cc = spawnSync('cc', ['-Wall', '-Wextra', '-Werror', 'repro.c', '-o', 'repro'], { cwd: dir, encoding: 'utf8' });
      expect(cc.stderr).toBe('');
      expect(cc.status).toBe(0);
      const [cmd, args] = process.getuid?.() === 0 ? ['./repro', []] : ['unshare', ['-rn', './repro']];
      const run = spawnSync(cmd, args, { cwd: dir, encoding: 'utf8', timeout: 20_000 });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const lines = run.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
      expect(lines).toHaveLength(steps.length);

      // connect: EINPROGRESS from an ephemeral port; __inet_hash_connect tries even ports first.
      const connectLine = lines[6]!;
      const m = /^7: connect\(5, \{AF_INET, 127\.0\.0\.1:5000\}, 16\) = -1 EINPROGRESS bound=127\.0\.0\.1:(\d+)$/.exec(connectLine);
      expect(m, connectLine).not.toBeNull();
      const port = Number(m![1]);
      expect(port).toBeGreaterThanOrEqual(32768);
      expect(port).toBeLessThanOrEqual(60999);
      expect(port % 2).toBe(0);
      // accept: fds 0-5 are in use, so 6; the peer is the connecting socket.
      steps[6]!.obs = { kind: 'returned', ret: -1, errno: 'EINPROGRESS', bound: { addr: '127.0.0.1', port } };
      steps[7]!.obs = { kind: 'returned', ret: 6, addr: sin('127.0.0.1', port), addrlen: 16 };

      const want = steps.map(({ call, obs }, i) => `${i + 1}: ${renderCall(call)} ${renderObserved(obs!, call)}`);
      expect(lines).toEqual(want);
      // The forms the report uses, spelled out, so a change in the shared format is seen here too.
      expect(lines[7]).toBe(`8: accept(4, &addr[16], &len) = 6 addr=127.0.0.1:${port} len=16`);
      expect(lines[9]).toBe('10: accept(4, &addr[16], &len) blocked (no answer within the deadline)');
      expect(lines[13]).toBe('14: fcntl(0, F_GETFL) = 32770 (O_RDWR|O_LARGEFILE)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
