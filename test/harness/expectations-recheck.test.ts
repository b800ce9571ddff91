/**
 * Re-checking an expectations entry (does the listed divergence still reproduce?) carries
 * the fds and drawn ports of its recording over, as replay does: an entry whose calls use
 * an ephemeral port an earlier call drew must not be reported fixed just because this run
 * drew another port.
 */
import { describe, expect, it } from 'vitest';
import { modelAdapter } from '../../adapters/model/index.js';
import { keyOf, type Expectation } from '../../harness/expectations.js';
import { stillDiverges } from '../../harness/replay.js';
import { runSequence } from '../../harness/runner.js';
import type { Adapter } from '../../spec/adapter.js';
import type { Call } from '../../spec/call.js';
import type { Observed } from '../../spec/observed.js';
import { listenNeverAutobinds } from './mutants.js';

/**
 * The buggy model stack (listen never autobinds) whose sessions each draw ephemeral ports
 * `offset` above the model's lowest choice (as a real stack draws them at random): bound
 * ports are shifted up in answers and bind ports shifted back down in calls.
 */
function shiftedPorts(offsets: number[]): Adapter {
  const inner = modelAdapter(undefined, listenNeverAutobinds);
  return {
    name: 'shifted',
    async open(o) {
      const k = offsets.shift() ?? 0;
      const s = await inner.open(o);
      return {
        profile: s.profile,
        settle: () => s.settle(),
        close: () => s.close(),
        async exec(c: Call): Promise<Observed> {
          const call = c.op === 'bind' && c.addr.ptr === 'ok' && c.addr.port >= 32768 ? { ...c, addr: { ...c.addr, port: c.addr.port - k } } : c;
          const r = await s.exec(call);
          return r.kind === 'returned' && r.bound && r.bound.port >= 32768 ? { ...r, bound: { ...r.bound, port: r.bound.port + k } } : r;
        },
      };
    },
  };
}

const tcp: Call = { op: 'socket', domain: 2, type: 1, protocol: 0 };
const bindTo = (fd: number, port: number): Call => ({ op: 'bind', fd, addr: { ptr: 'ok', len: 16, family: 2, addr: '127.0.0.1', port } });

describe('an expectations entry re-checked on a stack that draws other ports', () => {
  it('that_uses_a_drawn_port_still_reproduces_when_its_answers_are_recorded', async () => {
    // Recorded in a session drawing ports 100 up: socket A, bind A to a drawn port, socket
    // B, bind B to A's port (EADDRINUSE), listen B (autobinds on Linux; the bug: EINVAL).
    const rec = await shiftedPorts([100]).open({ deadlineMs: 50 });
    const ret = (o: Observed): number => (o.kind === 'returned' ? o.ret : -1);
    const fa = ret(await rec.exec(tcp));
    const bound = await rec.exec(bindTo(fa, 0));
    const fb = ret(await rec.exec(tcp));
    await rec.close();
    const port = bound.kind === 'returned' ? bound.bound?.port ?? 0 : 0;
    expect(port).toBeGreaterThan(32768 + 100);
    const calls: Call[] = [tcp, bindTo(fa, 0), tcp, bindTo(fb, port), { op: 'listen', fd: fb, backlog: 1 }];
    const first = await shiftedPorts([100]).open({ deadlineMs: 50 });
    const outcome = await runSequence(first, calls);
    await first.close();
    expect(outcome.divergence).toBeDefined();
    const e: Expectation = {
      op: 'listen', allowed: ['listen/autobind'], observed: 'EINVAL', note: 'listen does not autobind', world: {}, calls,
      answers: outcome.steps.map((s) => s.observed),
    };
    expect(keyOf(e)).toBe('listen [listen/autobind] -> EINVAL');
    // This run draws ports 200 up: the recorded port is free here, unless it is carried over.
    expect(await stillDiverges(shiftedPorts([200]), e, 50)).toBe(true);
    // Without recorded answers the literal port is used, and the entry looks fixed.
    const { answers: _, ...bare } = e;
    expect(await stillDiverges(shiftedPorts([200]), bare, 50)).toBe(false);
  });
});
