/**
 * A blocking MSG_WAITALL read that the deadline cuts short returns its short count inside
 * the kernel, and recvfrom then copies the address out: a negative *addrlen makes the
 * answer EINVAL (move_addr_to_user), on TCP (klen 0) and on AF_UNIX streams alike. Model
 * and kernel must agree on the whole sequence, and the model must name the rules below.
 */
import { describe, expect, it } from 'vitest';
import type { Call } from '../../spec/call.js';
import { AF_UNIX, MSG_DONTWAIT, MSG_WAITALL, SOCK_STREAM } from '../../spec/constants.js';
import { runSequence } from '../../harness/runner.js';
import { modelAdapter } from '../../adapters/model/index.js';
import { linuxAvailable } from '../../adapters/linux/index.js';
import { accept, bind, connect, inet, kernelDisagreements, listen, tcp } from './helpers.js';

const to5000 = inet('127.0.0.1', 5000);
const badLen = { ptr: 'ok', lenPtr: 'ok', len: -1 } as const;
const cases: Record<string, { calls: Call[]; rules: string[] }> = {
  tcp: {
    calls: [tcp(), bind(4, to5000), listen(4), tcp(), connect(5, to5000), accept(4), { op: 'send', fd: 5, data: '6869', flags: 0 },
      { op: 'recvfrom', fd: 6, len: 16, flags: MSG_WAITALL, out: badLen }, { op: 'recv', fd: 6, len: 16, flags: MSG_DONTWAIT }],
    rules: ['recvfrom/EINVAL-addrlen', 'recv/tcp-EAGAIN'],
  },
  unix: {
    calls: [{ op: 'socketpair', domain: AF_UNIX, type: SOCK_STREAM, protocol: 0, sv: 'ok' }, { op: 'send', fd: 4, data: '6869', flags: 0 },
      { op: 'recvfrom', fd: 5, len: 16, flags: MSG_WAITALL, out: badLen }, { op: 'recv', fd: 5, len: 16, flags: MSG_DONTWAIT }],
    rules: ['recvfrom/EINVAL-addrlen', 'recv/unix-EAGAIN'],
  },
};

describe('MSG_WAITALL cut short, then the address copy-out', () => {
  for (const [name, c] of Object.entries(cases)) {
    it(`model_${name}`, async () => {
      const r = await runSequence(await modelAdapter().open({ deadlineMs: 1 }), c.calls);
      expect(r.divergence).toBeUndefined();
      expect(r.steps.slice(-c.rules.length).map((st) => st.rule)).toEqual(c.rules);
    });
  }
  const why = linuxAvailable();
  it.skipIf(why !== undefined)(`the_kernel_agrees${why ? ` (skipped: ${why})` : ''}`, async () => {
    const bad = await kernelDisagreements(cases);
    expect(bad).toEqual([]);
  });
});
