/**
 * udp_lib_get_port puts an AF_INET6 socket with SO_REUSEPORT at the tail of its port's
 * slot (sk_add_node_tail_rcu), so udp_lib_lport_inuse's newest-first walk meets it after
 * older plain sockets: a wildcard SO_REUSEPORT bind behind a v6 sharer is refused because of
 * the plain socket (model/ipv4/inet_connection_sock.ts portSeqFor). Both sequences were found by npm run
 * conformance; model and kernel must agree on them, and the model must name EADDRINUSE.
 */
import { describe, expect, it } from 'vitest';
import type { AddrIn, Call } from '../../spec/call.js';
import { AF_INET, AF_INET6, SOCK_DGRAM, SOL_SOCKET, SO_REUSEPORT } from '../../spec/constants.js';
import { runSequence } from '../../harness/runner.js';
import { modelAdapter } from '../../adapters/model/index.js';
import { linuxAdapter, linuxAvailable } from '../../adapters/linux/index.js';

const udp = (domain: number): Call => ({ op: 'socket', domain, type: SOCK_DGRAM, protocol: 0 });
const rp = (fd: number): Call => ({ op: 'setsockopt', fd, level: SOL_SOCKET, name: SO_REUSEPORT, value: 1, optlen: 4 });
const a4 = (addr: string): AddrIn => ({ ptr: 'ok', len: 16, family: AF_INET, addr, port: 5000 });
const a6 = (addr: string): AddrIn => ({ ptr: 'ok', len: 28, family: AF_INET6, addr, port: 5000 });
const bind = (fd: number, addr: AddrIn): Call => ({ op: 'bind', fd, addr });
const cases: Record<string, Call[]> = {
  v6_sharer_behind_a_plain_v6_socket: [udp(AF_INET6), udp(AF_INET6), udp(AF_INET6), rp(5), rp(6), bind(4, a6('::ffff:127.0.0.1')), bind(5, a6('::1')), bind(6, a6('::'))],
  v6_sharer_behind_a_plain_v4_socket: [udp(AF_INET), udp(AF_INET6), udp(AF_INET), rp(5), rp(6), bind(4, a4('127.0.0.2')), bind(5, a6('::ffff:127.0.0.1')), bind(6, a4('0.0.0.0'))],
};

describe('UDP SO_REUSEPORT: AF_INET6 sharers are met last', () => {
  for (const [name, calls] of Object.entries(cases)) {
    it(`model_${name}`, async () => {
      const r = await runSequence(await modelAdapter().open({ deadlineMs: 1 }), calls);
      expect(r.divergence).toBeUndefined();
      expect(r.steps.at(-1)?.rule).toBe('bind/EADDRINUSE');
    });
  }
  const why = linuxAvailable();
  it.skipIf(why !== undefined)(`the_kernel_agrees${why ? ` (skipped: ${why})` : ''}`, async () => {
    const bad: string[] = [];
    for (const [name, calls] of Object.entries(cases)) {
      const session = await linuxAdapter.open({ deadlineMs: 50 });
      try {
        const r = await runSequence(session, calls);
        if (r.divergence || r.error || r.steps.at(-1)?.rule !== 'bind/EADDRINUSE') bad.push(`${name}: ${JSON.stringify(r.steps.at(-1))} ${r.error ?? ''}`);
      } finally {
        await session.close();
      }
    }
    expect(bad).toEqual([]);
  });
});
