/**
 * Replay and shrink of recorded traces: fds and drawn ports are carried over to what the
 * replaying run observes, so a trace recorded on one run of the kernel agrees again on
 * the next (whose ephemeral ports differ); shrinking keeps the divergence and drops the
 * rest. Against the real kernel where it can run, else skipped with the reason.
 */
import { describe, expect, it } from 'vitest';
import { linuxAdapter, linuxAvailable } from '../../adapters/linux/index.js';
import { modelAdapter } from '../../adapters/model/index.js';
import { divergenceKey, recordedOfTrace, replay, shrinkRecorded, symbolize } from '../../harness/replay.js';
import { traceFromJson, traceToJson } from '../../harness/render/json.js';
import type { Trace } from '../../harness/render/trace.js';
import { runSequence } from '../../harness/runner.js';
import type { Template } from '../../harness/template.js';
import { DEFAULT_PROFILE } from '../../spec/profile.js';
import type { Call } from '../../spec/call.js';
import { listenNeverAutobinds } from './mutants.js';

const why = linuxAvailable();
const suite = why === undefined ? describe : describe.skip;
const name = (s: string): string => (why === undefined ? s : `${s} (skipped: ${why})`);

const any = { ptr: 'ok', len: 16, family: 2 } as const;
/** A listener on an ephemeral port, a client connecting to it, accept, names. */
const CLIENT_SERVER: Template[] = [
  { op: 'socket', domain: 2, type: 1, protocol: 0 },
  { op: 'bind', fd: { raw: 4 }, addr: { ...any, addr: '127.0.0.1', port: 0 } },
  { op: 'listen', fd: { raw: 4 }, backlog: 1 },
  { op: 'socket', domain: 2, type: 1, protocol: 0 },
  { op: 'connect', fd: { raw: 5 }, addr: { ...any, addr: '127.0.0.1', port: { listener: 0 } } },
  { op: 'accept', fd: { raw: 4 }, out: { ptr: 'ok', lenPtr: 'ok', len: 16 } },
  { op: 'getpeername', fd: { raw: 6 }, out: { ptr: 'ok', lenPtr: 'ok', len: 16 } },
  { op: 'close', fd: { raw: 4 } },
  { op: 'socket', domain: 2, type: 2, protocol: 0 },
  { op: 'getsockname', fd: { raw: 5 }, out: { ptr: 'ok', lenPtr: 'ok', len: 16 } },
];

function toTrace(adapter: string, o: Awaited<ReturnType<typeof runSequence>>): Trace {
  return { version: 1, adapter, profile: DEFAULT_PROFILE, steps: o.steps.map((s) => ({ call: s.call, observed: s.observed, ...(s.rule ? { rule: s.rule } : {}) })), ...(o.divergence ? { divergence: o.divergence } : {}) };
}

describe('symbolize', () => {
  it('an_fd_names_the_step_that_returned_it_and_a_drawn_port_the_step_that_got_it', () => {
    const calls: Call[] = [
      { op: 'socket', domain: 2, type: 1, protocol: 0 },
      { op: 'bind', fd: 4, addr: { ...any, addr: '127.0.0.1', port: 0 } },
      { op: 'bind', fd: 4, addr: { ...any, addr: '127.0.0.1', port: 40001 } },
      { op: 'bind', fd: 4, addr: { ...any, addr: '127.0.0.1', port: 5000 } },
    ];
    const syms = symbolize(calls, [
      { kind: 'returned', ret: 4 },
      { kind: 'returned', ret: 0, bound: { addr: '127.0.0.1', port: 40001 } },
      { kind: 'returned', ret: -1, errno: 'EINVAL', bound: { addr: '127.0.0.1', port: 40001 } },
      { kind: 'returned', ret: -1, errno: 'EINVAL', bound: { addr: '127.0.0.1', port: 40001 } },
    ]);
    expect(syms.map((s) => [s.fdFrom, s.portFrom])).toEqual([[undefined, undefined], [0, undefined], [0, 1], [0, undefined]]);
  });
  it('a_port_first_asked_for_by_number_stays_literal', () => {
    const calls: Call[] = [
      { op: 'socket', domain: 2, type: 1, protocol: 0 },
      { op: 'bind', fd: 4, addr: { ...any, addr: '127.0.0.1', port: 40001 } },
      { op: 'connect', fd: 4, addr: { ...any, addr: '127.0.0.1', port: 40001 } },
    ];
    const syms = symbolize(calls, [
      { kind: 'returned', ret: 4 },
      { kind: 'returned', ret: 0, bound: { addr: '127.0.0.1', port: 40001 } },
      { kind: 'returned', ret: 0, bound: { addr: '127.0.0.1', port: 40001 } },
    ]);
    expect(syms[2]!.portFrom).toBeUndefined();
  });
});

suite(name('replay and shrink on the kernel'), () => {
  it('a_trace_recorded_on_the_kernel_agrees_when_replayed_there_and_on_the_model', async () => {
    const s = await linuxAdapter.open({ deadlineMs: 50 });
    let rec;
    try { rec = await runSequence(s, CLIENT_SERVER); } finally { await s.close(); }
    expect(rec.divergence).toBeUndefined();
    expect(rec.steps.map((x) => x.rule)).toContain('accept/ok');
    // Through the JSON file format, as a user would hand it over.
    const t = traceFromJson(traceToJson(toTrace('linux', rec)), 'rec.json');
    const r = recordedOfTrace(t, 'rec.json');
    for (let i = 0; i < 3; i++) {
      const again = await replay(linuxAdapter, r, 50);
      expect(again.outcome.error).toBeUndefined();
      expect(divergenceKey(again.outcome), JSON.stringify(again.outcome.steps.at(-1))).toBeUndefined();
      // The same rules: the connect reached this run's listener on this run's port.
      expect(again.outcome.steps.map((x) => x.rule)).toEqual(rec.steps.map((x) => x.rule));
    }
    const onModel = await replay(modelAdapter(DEFAULT_PROFILE), r, 50);
    expect(divergenceKey(onModel.outcome)).toBeUndefined();
  });

  it('shrinking_a_padded_divergent_trace_keeps_only_what_the_divergence_needs', async () => {
    // Noise around the one thing the mutant gets wrong: listen() on an unbound socket.
    const padded: Template[] = [...CLIENT_SERVER.slice(0, 7), { op: 'socket', domain: 2, type: 1, protocol: 0 }, { op: 'listen', fd: { raw: 7 }, backlog: 3 }];
    const s = await linuxAdapter.open({ deadlineMs: 50 });
    let rec;
    try { rec = await runSequence(s, padded, listenNeverAutobinds); } finally { await s.close(); }
    expect(rec.divergence?.index).toBe(padded.length - 1);
    const r = recordedOfTrace(toTrace('linux', rec), 'padded.json');
    expect(r.signature).toBe('listen [mutant/listen-EINVAL] -> ok');
    const res = await shrinkRecorded(linuxAdapter, r, 50, undefined, listenNeverAutobinds);
    expect(res).toBeDefined();
    expect(res!.outcome.steps.map((x) => x.call.op)).toEqual(['socket', 'listen']);
    expect(divergenceKey(res!.outcome)).toBe(r.signature);
    // The correct model finds nothing to shrink.
    expect(await shrinkRecorded(linuxAdapter, r, 50)).toBeUndefined();
  });
});
