/**
 * sendfile(2) and the world's regular file: the bytes that reach the peer are the file's,
 * the file position and *offset move as do_sendfile moves them, on the model and on the
 * kernel; a trace with sendfile survives JSON, the wire protocol and the C reproducer.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Call } from '../../spec/call.js';
import { FILE_FD, FILE_SIZE, fileBytes, fileHex } from '../../spec/file.js';
import { EXT4_FILE, DEFAULT_PROFILE } from '../../spec/profile.js';
import { encodeCall, encodeRunnerMessage, parseRunnerMessage } from '../../spec/wire.js';
import { runSequence, type StepFn } from '../../harness/runner.js';
import { check } from '../../harness/check.js';
import { step } from '../../model/index.js';
import { traceFromJson, traceToJson } from '../../harness/render/json.js';
import { traceToC } from '../../harness/render/c.js';
import { renderCall, renderObserved } from '../../harness/render/text.js';
import type { Trace } from '../../harness/render/trace.js';
import { modelAdapter } from '../../adapters/model/index.js';
import { linuxAdapter, linuxAvailable } from '../../adapters/linux/index.js';
import type { Observed } from '../../spec/observed.js';
import { accept, bind, connect, inet, listen, tcp, udp } from './helpers.js';
import { sf } from './scenarios/sendfile.js';

const to5000 = inet('127.0.0.1', 5000);
/** listener 5, client 6, accepted server 7 (the file is fd 4). */
const C: Call[] = [tcp(), bind(5, to5000), listen(5, 0), tcp(), connect(6, to5000), accept(5)];
const recv = (fd: number, len = 128): Call => ({ op: 'recv', fd, len, flags: 0x40 });

/**
 * Sends the file over TCP in pieces: the NULL-offset calls move the position (0 → 100 →
 * 300, then EOF), the offset calls leave it and write their end back; every piece is read
 * by the peer (MSG_DONTWAIT: TCP_NODELAY keeps Nagle from holding anything).
 */
const TCP_SEQ: Call[] = [
  ...C,
  { op: 'setsockopt', fd: 6, level: 6, name: 1, value: 1, optlen: 4 },
  sf(6, { count: 100 }), recv(7),
  sf(6, { offset: { ptr: 'ok', value: 250 }, count: 1000 }), recv(7),
  sf(6, { count: 1000 }), recv(7), recv(7),
  sf(6, { count: 1000 }),
  sf(6, { offset: { ptr: 'ok', value: 4 }, count: 4 }), recv(7),
];
const TCP_DATA = [fileHex(0, 100), fileHex(250, 300), fileHex(100, 228), fileHex(228, 300), fileHex(4, 8)];

/** The whole file as one UDP datagram, read 128 bytes at a time (truncated), then a second datagram. */
const UDP_SEQ: Call[] = [
  udp(), bind(5, to5000), udp(), connect(6, to5000),
  sf(6, { count: 1000 }), recv(5),
  sf(6, { offset: { ptr: 'ok', value: 296 }, count: 10 }), recv(5),
];

function dataOf(steps: { call: Call; observed: Observed }[]): string[] {
  return steps.filter((s) => s.call.op === 'recv').map((s) => (s.observed.kind === 'returned' ? s.observed.data ?? '' : ''));
}

describe('the world file', () => {
  it('file_bytes_name_their_offsets', () => {
    const b = fileBytes();
    expect(b.length).toBe(FILE_SIZE);
    expect(b.toString('latin1', 0, 12)).toBe('000 004 008 ');
    expect(b.toString('latin1', FILE_SIZE - 4)).toBe('296 ');
  });
});

describe('sendfile on the model', () => {
  const open = () => modelAdapter({ ...DEFAULT_PROFILE, file: EXT4_FILE }).open({ deadlineMs: 1, world: { file: true } });

  it('tcp_pieces_reach_the_peer_as_the_file_bytes_and_the_position_moves', async () => {
    const r = await runSequence(await open(), TCP_SEQ);
    expect(r.divergence).toBeUndefined();
    expect(r.steps.map((s) => s.rule).filter((x) => x?.startsWith('sendfile/'))).toEqual([
      'sendfile/tcp-sent', 'sendfile/tcp-sent', 'sendfile/tcp-sent', 'sendfile/eof', 'sendfile/tcp-sent',
    ]);
    const sends = r.steps.filter((s) => s.call.op === 'sendfile').map((s) => s.observed);
    expect(sends).toEqual([
      { kind: 'returned', ret: 100, bound: { addr: '127.0.0.1', port: expect.any(Number) } },
      { kind: 'returned', ret: 50, offset: 300, bound: expect.anything() },
      { kind: 'returned', ret: 200, bound: expect.anything() },
      { kind: 'returned', ret: 0, bound: expect.anything() },
      { kind: 'returned', ret: 4, offset: 8, bound: expect.anything() },
    ]);
    expect(dataOf(r.steps)).toEqual(TCP_DATA);
  });

  it('udp_sends_one_datagram_per_call', async () => {
    const r = await runSequence(await open(), UDP_SEQ);
    expect(r.divergence).toBeUndefined();
    expect(dataOf(r.steps)).toEqual([fileHex(0, 128), fileHex(296, 300)]);
  });

  it('without_a_file_fd_4_is_the_first_socket', async () => {
    const s = await modelAdapter().open({ deadlineMs: 1 });
    const r = await runSequence(s, [tcp(), sf(1, { in: 4 }), sf(1, { in: 4, offset: { ptr: 'ok', value: 0 } })]);
    expect(r.steps.map((x) => x.rule)).toEqual(['socket/tcp', 'sendfile/EINVAL-unseekable', 'sendfile/ESPIPE']);
  });
});

describe('a divergence at a sendfile', () => {
  it('is_found_and_shrunk_to_the_calls_that_make_it', async () => {
    // A mutant model that expects one byte more from every sendfile that sends.
    const mutant: StepFn = (s, c) => step(s, c).map((o) => (o.rule === 'sendfile/devnull' && o.expect.kind === 'returned' ? { ...o, rule: 'mutant/sendfile', expect: { ...o.expect, ret: o.expect.ret + 1 } } : o));
    const r = await check({ adapter: modelAdapter(), runs: 2000, seed: 12, maxLength: 20, invalid: 0.2, deadlineMs: 1, stepFn: mutant });
    const steps = r.failure?.outcome.steps ?? [];
    expect(steps.at(-1)?.call.op).toBe('sendfile');
    expect(steps.length).toBeLessThanOrEqual(2);
    expect(r.failure?.outcome.divergence?.allowed.map((a) => a.rule)).toEqual(['mutant/sendfile']);
  });
});

describe('sendfile as data', () => {
  const trace: Trace = {
    version: 1, adapter: 'linux', profile: { ...DEFAULT_PROFILE, file: EXT4_FILE },
    steps: [
      { call: sf(1, { offset: { ptr: 'ok', value: 7 }, count: -1 }), observed: { kind: 'returned', ret: -1, errno: 'EINVAL', offset: 7 }, rule: 'sendfile/EINVAL-count' },
      { call: sf(1, { offset: { ptr: 'bad' } }), observed: { kind: 'returned', ret: -1, errno: 'EFAULT' }, rule: 'sendfile/EFAULT' },
    ],
  };

  it('json_round_trip', () => {
    expect(traceFromJson(traceToJson(trace), 'x')).toEqual(trace);
  });

  it('wire_round_trip', () => {
    for (const s of trace.steps) {
      const p = parseRunnerMessage(encodeRunnerMessage({ type: 'call', id: 1, call: s.call }));
      expect(p.ok && p.msg.type === 'call' ? p.msg.call : undefined).toEqual(s.call);
    }
    expect(encodeCall(sf(5))).toEqual({ op: 'sendfile', fd: 5, inFd: FILE_FD, offset: { ptr: 'null' }, count: 100 });
    const o = parseRunnerMessage(JSON.stringify({ type: 'open', id: 2, world: { file: true }, deadlineMs: 50 }));
    expect(o.ok && o.msg.type === 'open' ? o.msg.world : undefined).toEqual({ file: true });
  });

  it('renders_like_c', () => {
    expect(renderCall(trace.steps[0]!.call)).toBe('sendfile(1, 4, &off=7, (size_t)-1)');
    expect(renderObserved(trace.steps[0]!.observed)).toBe('= -1 EINVAL offset=7');
  });
});

const why = linuxAvailable();
(why === undefined ? describe : describe.skip)(`sendfile on the kernel${why === undefined ? '' : ` (skipped: ${why})`}`, () => {
  async function onLinux(calls: Call[]): Promise<Trace> {
    const session = await linuxAdapter.open({ deadlineMs: 50, world: { file: true } });
    try {
      const r = await runSequence(session, calls);
      expect(r.error).toBeUndefined();
      expect(r.divergence, JSON.stringify(r.steps.at(-1))).toBeUndefined();
      return { version: 1, adapter: 'linux', profile: session.profile, steps: r.steps.map((s) => ({ call: s.call, observed: s.observed, ...(s.rule ? { rule: s.rule } : {}) })) };
    } finally {
      await session.close();
    }
  }

  it('the_peer_reads_exactly_the_file_bytes_over_tcp_and_udp', async () => {
    expect(dataOf((await onLinux(TCP_SEQ)).steps)).toEqual(TCP_DATA);
    expect(dataOf((await onLinux(UDP_SEQ)).steps)).toEqual([fileHex(0, 128), fileHex(296, 300)]);
  });

  it('the_file_answers_fcntl_poll_select_and_mmap_as_the_model_says', async () => {
    const getfl: Call = { op: 'fcntl', fd: FILE_FD, cmd: 3, arg: 0 };
    const setfl = (arg: number): Call => ({ op: 'fcntl', fd: FILE_FD, cmd: 4, arg });
    const t = await onLinux([
      getfl, setfl(0o1000000 | 0o2000 | 0o4000), getfl, setfl(0o20000), getfl,
      { op: 'poll', fds: 'ok', entries: [{ fd: FILE_FD, events: 0xffff }, { fd: FILE_FD, events: 1 }], nfds: 2, timeout: 0 },
      { op: 'select', nfds: 5, read: { ptr: 'ok', fds: [FILE_FD] }, write: { ptr: 'ok', fds: [FILE_FD] }, except: { ptr: 'ok', fds: [FILE_FD] }, timeout: { ptr: 'ok', sec: 0, usec: 0 } },
      ...[0x01, 0x02, 0x03, 0x80001, 0x80002, 0x80003].flatMap((flags) => [1, 2, 3, 4, 5].map((prot): Call => ({ op: 'mmap', fd: FILE_FD, len: 8192, prot, flags, offset: 4096 }))),
      // Sending from the file with O_APPEND and O_NONBLOCK set on it changes nothing.
      sf(1, { count: 300 }),
      setfl(0o40000), getfl,
    ]);
    expect(t.steps.map((s) => s.rule)).toContain('mmap/file');
    expect(t.steps.at(-3)?.rule).toBe('sendfile/devnull');
  });

  it('tcp_targets_that_cannot_send_answer_epipe_and_nothing_is_read', async () => {
    // Unconnected, a listener, after SHUT_WR (tcp_sendmsg_locked: sk_stream_wait_connect
    // or SEND_SHUTDOWN); the file position stays at 0, so the last call sends from 0.
    const t = await onLinux([
      tcp(), sf(5),
      tcp(), bind(6, to5000), listen(6, 0), sf(6),
      tcp(), connect(7, to5000), accept(6), { op: 'shutdown', fd: 7, how: 1 }, sf(7),
      sf(8, { count: 4 }), recv(7),
    ]);
    expect(t.steps.filter((s) => s.call.op === 'sendfile').map((s) => s.rule)).toEqual(['sendfile/tcp-EPIPE', 'sendfile/tcp-EPIPE', 'sendfile/tcp-EPIPE', 'sendfile/tcp-sent']);
    expect(dataOf(t.steps)).toEqual([fileHex(0, 4)]);
  });

  it('the_session_file_is_gone_from_disk_and_its_facts_are_in_the_profile', async () => {
    const session = await linuxAdapter.open({ deadlineMs: 50, world: { file: true } });
    try {
      expect(session.profile.file).toBeDefined();
      const r = await runSequence(session, [{ op: 'fcntl', fd: FILE_FD, cmd: 3, arg: 0 }]);
      expect(r.divergence).toBeUndefined();
    } finally {
      await session.close();
    }
    const left = spawnSync('sh', ['-c', `ls -d ${tmpdir()}/sockspec-file-* 2>/dev/null | wc -l`], { encoding: 'utf8' });
    expect(left.stdout.trim()).toBe('0');
  });

  it('the_c_reproducer_makes_the_same_file_and_prints_the_trace', async () => {
    const t = await onLinux([...TCP_SEQ, sf(1, { offset: { ptr: 'bad' } }), sf(4), sf(1, { in: 3, offset: { ptr: 'ok', value: 0 } })]);
    const dir = mkdtempSync(join(tmpdir(), 'sockspec-sendfile-repro-'));
    try {
      writeFileSync(join(dir, 'repro.c'), traceToC(t));
      const cc = spawnSync('cc', ['-Wall', '-Werror', 'repro.c', '-o', 'repro'], { cwd: dir, encoding: 'utf8' });
      expect(cc.status, cc.stderr).toBe(0);
      const run = spawnSync('./repro', [], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
      expect(run.status, run.stderr).toBe(0);
      const mask = (l: string): string => l.replace(/:(3[2-9]\d{3}|[4-5]\d{4}|60\d{3})\b/g, ':EPH');
      const printed = run.stdout.split('\n').filter((l) => /^\d+: /.test(l)).map(mask);
      expect(printed).toEqual(t.steps.map((x, i) => mask(`${i + 1}: ${renderCall(x.call)} ${renderObserved(x.observed, x.call)}`)));
      expect(run.stdout).not.toMatch(/s_maxbytes/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
