/**
 * SO_LINGER's effect, on the model and on the kernel: close with {1, 0} resets the
 * connection (the peer reads ECONNRESET once, then EOF, and polls POLLERR|POLLHUP; the
 * closer's port is free at once, no TIME_WAIT); a listener's children inherit it; with a
 * time, close returns 0 after the FIN (the peer reads EOF); shutdown is unaffected.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_PROFILE } from '../../spec/profile.js';
import { parseRunnerMessage, encodeRunnerMessage } from '../../spec/wire.js';
import { renderCall } from '../../harness/render/text.js';
import { traceFromJson, traceToJson } from '../../harness/render/json.js';
import type { Call } from '../../spec/call.js';
import { AF_UNIX, MSG_DONTWAIT, SOCK_STREAM, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP, SOL_SOCKET, SO_LINGER } from '../../spec/constants.js';
import { runSequence } from '../../harness/runner.js';
import { modelAdapter } from '../../adapters/model/index.js';
import { linuxAvailable } from '../../adapters/linux/index.js';
import { accept, bind, close, connect, getsockopt, inet, kernelDisagreements, listen, reproSkip, runRepro, shutdown, tcp } from './helpers.js';

const linger = (fd: number, onoff: number, secs: number): Call => ({ op: 'setsockopt', fd, level: SOL_SOCKET, name: SO_LINGER, value: onoff, linger: secs, optlen: 8 });
const recv = (fd: number): Call => ({ op: 'recv', fd, len: 16, flags: MSG_DONTWAIT });
const poll = (fd: number): Call => ({ op: 'poll', fds: 'ok', entries: [{ fd, events: POLLIN | POLLOUT | POLLRDHUP }], nfds: 1, timeout: 0 });
const to5000 = inet('127.0.0.1', 5000);
/** A listener on 4, a client on 5 bound to 127.0.0.1:6000, its accepted peer on 6. */
const pair: Call[] = [tcp(), bind(4, to5000), listen(4), tcp(), bind(5, inet('127.0.0.1', 6000)), connect(5, to5000), accept(4)];

const cases: Record<string, { calls: Call[]; rules: string[] }> = {
  reset_peer_reads_ECONNRESET_then_EOF_and_polls_ERR_HUP: {
    calls: [...pair, linger(5, 1, 0), close(5), poll(6), recv(6), recv(6)],
    rules: ['close/tcp-linger-reset', 'poll/ready', 'recv/tcp-sock-error', 'recv/tcp-eof'],
  },
  reset_frees_the_port_at_once: {
    calls: [...pair, linger(5, 1, 0), close(5), tcp(), bind(5, inet('127.0.0.1', 6000))],
    rules: ['close/tcp-linger-reset', 'socket/tcp', 'bind/port'],
  },
  children_inherit_it: {
    calls: [tcp(), linger(4, 1, 0), bind(4, to5000), listen(4), tcp(), connect(5, to5000), accept(4), getsockopt(6, SO_LINGER, { opt: { ptr: 'ok', lenPtr: 'ok', len: 8 } }), close(6), recv(5)],
    rules: ['getsockopt/SO_LINGER', 'close/tcp-linger-reset', 'recv/tcp-sock-error'],
  },
  with_a_time_close_sends_FIN: {
    calls: [...pair, linger(5, 1, 1), close(5), recv(6)],
    rules: ['close/tcp-fin', 'recv/tcp-eof'],
  },
  // sk_setsockopt/sk_getsockopt are generic: a socketpair socket takes it (short lengths
  // refused the same way) and reports it back, partial copies included; closing it does nothing more.
  af_unix_sockets_take_it_and_report_it: {
    calls: [
      { op: 'socketpair', domain: AF_UNIX, type: SOCK_STREAM, protocol: 0, sv: 'ok' },
      { ...linger(4, 1, 0), optlen: 4 } as Call, linger(4, 5, 7), getsockopt(4, SO_LINGER, { opt: { ptr: 'ok', lenPtr: 'ok', len: 8 } }),
      getsockopt(4, SO_LINGER, { opt: { ptr: 'ok', lenPtr: 'ok', len: 6 } }), close(4), recv(5),
    ],
    rules: ['setsockopt/EINVAL-linger', 'setsockopt/SO_LINGER', 'getsockopt/SO_LINGER', 'getsockopt/SO_LINGER', 'close/unix', 'recv/unix-eof'],
  },
  shutdown_is_unaffected: {
    calls: [...pair, linger(5, 1, 0), shutdown(5, 1), recv(6)],
    rules: ['shutdown/fin', 'recv/tcp-eof'],
  },
};

describe('SO_LINGER', () => {
  for (const [name, c] of Object.entries(cases)) {
    it(`model_${name}`, async () => {
      const session = await modelAdapter().open({ deadlineMs: 1 });
      const r = await runSequence(session, c.calls);
      expect(r.divergence).toBeUndefined();
      const rules = r.steps.map((st) => st.rule);
      expect(rules.slice(-c.rules.length)).toEqual(c.rules);
      const p = r.steps.find((st) => st.call.op === 'poll');
      if (p) expect(p.observed).toMatchObject({ revents: [POLLIN | POLLOUT | POLLERR | POLLHUP | POLLRDHUP] });
    });
  }

  const why = linuxAvailable();
  it.skipIf(why !== undefined)(`the_kernel_agrees${why ? ` (skipped: ${why})` : ''}`, async () => {
    const bad = await kernelDisagreements(cases);
    expect(bad).toEqual([]);
  });
});

describe('SO_LINGER in renderers', () => {
  const c = linger(5, 1, 0);
  it('text_json_wire', () => {
    expect(renderCall(c)).toBe('setsockopt(5, SOL_SOCKET, SO_LINGER, {1, 0}, 8)');
    const t = { version: 1 as const, adapter: 'linux', profile: DEFAULT_PROFILE, steps: [{ call: c, observed: { kind: 'returned' as const, ret: 0 } }] };
    expect(traceFromJson(traceToJson(t), 't.json')).toEqual(t);
    expect(parseRunnerMessage(encodeRunnerMessage({ type: 'call', id: 1, call: c }))).toEqual({ ok: true, msg: { type: 'call', id: 1, call: c } });
  });

  it.skipIf(reproSkip !== undefined)(`c_reproducer_resets_the_peer${reproSkip ? ` (skipped: ${reproSkip})` : ''}`, () => {
    const lines = runRepro([...pair, c, close(5), recv(6)], 'linger');
    expect(lines.at(-1)).toMatch(/ECONNRESET/);
  });
});
