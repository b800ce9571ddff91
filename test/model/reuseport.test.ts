/**
 * SO_REUSEPORT's part in port sharing and delivery (model/ipv4/inet_connection_sock.ts, ipv4/tcp_ipv4.ts,
 * ipv4/udp.ts): each case names the rule the model gives at its last call, and the real
 * kernel must agree (runs on Linux when available).
 */
import { describe, expect, it } from 'vitest';
import type { Call } from '../../spec/call.js';
import type { Template } from '../../harness/template.js';
import { AF_INET, SO_ERROR, SO_REUSEADDR, SO_REUSEPORT } from '../../spec/constants.js';
import { DEFAULT_PROFILE } from '../../spec/profile.js';
import { initialState, step, type State } from '../../model/index.js';
import { runSequence } from '../../harness/runner.js';
import { modelAdapter } from '../../adapters/model/index.js';
import { linuxAdapter, linuxAvailable } from '../../adapters/linux/index.js';
import { accept, bind, close, connect, getsockopt, inet, listen, setsockopt, tcp, udp } from './helpers.js';
import type { Sock } from '../../model/core/inet_sock.js';

const at = (addr: string, port = 5000) => inet(addr, port);
const rp = (fd: number, on = 1): Call => setsockopt(fd, SO_REUSEPORT, on);
const ra = (fd: number): Call => setsockopt(fd, SO_REUSEADDR, 1);
const sendto = (fd: number, addr: ReturnType<typeof inet>): Call => ({ op: 'sendto', fd, data: '6869', flags: 0, addr });

/** Sequences and the rule of their last call (measured on 6.18 with the same calls). */
const CASES: Record<string, [Call[], string]> = {
  tcp_without_SO_REUSEPORT_then_with_it_conflict: [[tcp(), bind(4, at('127.0.0.1')), tcp(), rp(5), bind(5, at('127.0.0.1'))], 'bind/EADDRINUSE'],
  tcp_with_SO_REUSEPORT_then_without_it_conflict: [[tcp(), rp(4), bind(4, at('127.0.0.1')), tcp(), bind(5, at('127.0.0.1'))], 'bind/EADDRINUSE'],
  tcp_wildcard_then_specific_share: [[tcp(), rp(4), bind(4, at('0.0.0.0')), tcp(), rp(5), bind(5, at('127.0.0.1'))], 'bind/port-reuseport'],
  tcp_specific_then_wildcard_share: [[tcp(), rp(4), bind(4, at('127.0.0.1')), tcp(), rp(5), bind(5, at('0.0.0.0'))], 'bind/port-reuseport'],
  // The bucket's fast path holds the first binder's address: the wildcard is not on it.
  tcp_stale_fast_path_is_only_for_the_same_address: [[tcp(), rp(4), bind(4, at('127.0.0.1')), rp(4, 0), tcp(), rp(5), bind(5, at('0.0.0.0'))], 'bind/EADDRINUSE'],
  tcp_listener_in_a_group_refuses_a_SO_REUSEADDR_binder: [[tcp(), rp(4), bind(4, at('127.0.0.1')), listen(4), tcp(), ra(5), bind(5, at('127.0.0.1'))], 'bind/EADDRINUSE'],
  tcp_listen_of_a_socket_that_cleared_SO_REUSEPORT_conflicts: [[tcp(), rp(4), bind(4, at('127.0.0.1')), tcp(), rp(5), bind(5, at('127.0.0.1')), rp(4, 0), listen(4)], 'listen/EADDRINUSE'],
  tcp_SO_REUSEADDR_sharers_second_listen_conflicts: [[tcp(), ra(4), rp(4), bind(4, at('127.0.0.1')), tcp(), ra(5), bind(5, at('127.0.0.1')), listen(4), listen(5)], 'listen/EADDRINUSE'],
  tcp_stale_partner_bind_then_listen_joins: [[tcp(), rp(4), bind(4, at('127.0.0.1')), listen(4), rp(4, 0), tcp(), rp(5), bind(5, at('127.0.0.1')), listen(5)], 'listen/bound-reuseport-stale'],
  tcp_ephemeral_bind_with_SO_REUSEPORT: [[tcp(), rp(4), bind(4, at('127.0.0.1', 0))], 'bind/ephemeral'],
  tcp_connect_to_a_group_reaches_one_listener: [[tcp(), rp(4), bind(4, at('127.0.0.1')), listen(4), tcp(), rp(5), bind(5, at('127.0.0.1')), listen(5), tcp(), connect(6, at('127.0.0.1'))], 'connect/established'],
  // The accepted side closes first: its FIN_WAIT2/TIME_WAIT socket keeps SO_REUSEPORT (inet_twsk_alloc copies sk_reuseport).
  tcp_timewait_of_a_SO_REUSEPORT_socket_shares: [[tcp(), rp(4), bind(4, at('127.0.0.1')), listen(4), tcp(), connect(5, at('127.0.0.1')), accept(4), close(6), close(4), tcp(), rp(4), bind(4, at('127.0.0.1'))], 'bind/port-reuseport'],
  tcp_timewait_without_SO_REUSEPORT_conflicts: [[tcp(), bind(4, at('127.0.0.1')), listen(4), tcp(), connect(5, at('127.0.0.1')), accept(4), close(6), close(4), tcp(), rp(4), bind(4, at('127.0.0.1'))], 'bind/EADDRINUSE'],
  tcp_listen_autobind_with_SO_REUSEPORT: [[tcp(), rp(4), listen(4)], 'listen/autobind'],
  // A listener that set SO_REUSEPORT only after its listen shares with a later one.
  tcp_SO_REUSEPORT_set_after_listen_shares: [[tcp(), bind(4, at('127.0.0.1')), listen(4), rp(4), tcp(), rp(5), bind(5, at('127.0.0.1')), listen(5)], 'listen/bound-reuseport'],
  // A listener shut down (tcp_disconnect: out of its group) listens again on its bound port.
  tcp_listener_shut_down_listens_again_beside_its_partner: [[tcp(), rp(4), bind(4, at('127.0.0.1')), listen(4), tcp(), rp(5), bind(5, at('127.0.0.1')), listen(5), { op: 'shutdown', fd: 4, how: 0 }, listen(4)], 'listen/bound-reuseport'],
  // SO_REUSEPORT set only after the bind: inet_bind_conflict reads the owner's flag as it is now.
  tcp_SO_REUSEPORT_set_after_bind_shares: [[tcp(), bind(4, at('127.0.0.1')), rp(4), tcp(), rp(5), bind(5, at('127.0.0.1')), listen(5), listen(4)], 'listen/bound-reuseport'],
  udp_SO_REUSEPORT_set_after_bind_shares: [[udp(), bind(4, at('127.0.0.1')), rp(4), udp(), rp(5), bind(5, at('127.0.0.1')), udp(), sendto(6, at('127.0.0.1'))], 'sendto/delivered'],
  // Two sharers connected with one 4-tuple: the ICMP port unreachable reaches one of them
  // (__udp4_lib_err's lookup finds one socket); the SO_ERROR reads tell the runner which.
  udp_port_unreachable_reaches_one_of_two_connected_sharers: [[udp(), rp(4), bind(4, at('127.0.0.1')), udp(), rp(5), bind(5, at('127.0.0.1')), connect(4, at('127.0.0.2')), connect(5, at('127.0.0.2')), sendto(5, at('127.0.0.2')), getsockopt(4, SO_ERROR), getsockopt(5, SO_ERROR)], 'getsockopt/SO_ERROR'],
  udp_share: [[udp(), rp(4), bind(4, at('127.0.0.1')), udp(), rp(5), bind(5, at('127.0.0.1'))], 'bind/port-reuseport'],
  udp_without_then_with_conflict: [[udp(), bind(4, at('127.0.0.1')), udp(), rp(5), bind(5, at('127.0.0.1'))], 'bind/EADDRINUSE'],
  // The newest socket is met first: here it is the one that conflicts.
  udp_walk_meets_the_conflict_first: [[udp(), rp(4), bind(4, at('127.0.0.2')), udp(), bind(5, at('127.0.0.1')), udp(), rp(6), bind(6, at('0.0.0.0'))], 'bind/EADDRINUSE'],
  // UDP has no bucket fast path: a sharer that cleared SO_REUSEPORT conflicts at once.
  udp_cleared_SO_REUSEPORT_conflicts: [[udp(), rp(4), bind(4, at('127.0.0.1')), rp(4, 0), udp(), rp(5), bind(5, at('127.0.0.1'))], 'bind/EADDRINUSE'],
  udp_datagram_to_a_group_reaches_one_member: [[udp(), rp(4), bind(4, at('127.0.0.1')), udp(), rp(5), bind(5, at('127.0.0.1')), udp(), sendto(6, at('127.0.0.1'))], 'sendto/delivered'],
};

/** The world after `calls` on the model (the model adapter's answers). */
async function world(calls: Call[]): Promise<State> {
  let s = initialState(DEFAULT_PROFILE);
  const session = await modelAdapter().open({ deadlineMs: 1 });
  for (const c of calls) s = step(s, c)[0]!.next(await session.exec(c));
  return s;
}

describe('SO_REUSEPORT', () => {
  it.each(Object.entries(CASES))('model_%s', async (_, [calls, rule]) => {
    const session = await modelAdapter().open({ deadlineMs: 1 });
    const r = await runSequence(session, calls);
    expect(r.divergence).toBeUndefined();
    expect(r.steps.at(-1)?.rule).toBe(rule);
  });

  it('connect_to_a_group_of_two_listeners_allows_either_accept_queue', async () => {
    const s = await world(CASES.tcp_connect_to_a_group_reaches_one_listener![0].slice(0, -1));
    const outs = step(s, connect(6, at('127.0.0.1')));
    expect(outs.map((o) => o.rule)).toEqual(['connect/established', 'connect/established']);
    const queues = outs.map((o) => { const n = o.next({ kind: 'returned', ret: 0, bound: { addr: '127.0.0.1', port: 40000 } }); return [4, 5].map((fd) => (n.objs[n.fds[fd]!.obj] as Sock).queue.length); });
    expect(queues).toEqual([[1, 0], [0, 1]]);
  });

  it('a_datagram_to_a_group_goes_to_exactly_one_member', async () => {
    const s = await world(CASES.udp_datagram_to_a_group_reaches_one_member![0].slice(0, -1));
    const outs = step(s, sendto(6, at('127.0.0.1')));
    const queued = outs.map((o) => { const n = o.next({ kind: 'returned', ret: 2, bound: { addr: '0.0.0.0', port: 40000 } }); return [4, 5].map((fd) => (n.objs[n.fds[fd]!.obj] as Sock).rq.length); });
    expect(queued).toEqual([[1, 0], [0, 1]]);
  });

  it('port_unreachable_to_two_connected_sharers_allows_either_to_get_the_error', async () => {
    const calls = CASES.udp_port_unreachable_reaches_one_of_two_connected_sharers![0];
    const s = await world(calls.slice(0, -3));
    const outs = step(s, calls.at(-3)!);
    expect(outs.map((o) => o.rule)).toEqual(['sendto/refused', 'sendto/refused']);
    const errs = outs.map((o) => { const n = o.next({ kind: 'returned', ret: 2, bound: { addr: '127.0.0.1', port: 5000 } }); return [4, 5].map((fd) => (n.objs[n.fds[fd]!.obj] as Sock).err); });
    expect(errs).toEqual([['ECONNREFUSED', null], [null, 'ECONNREFUSED']]);
  });

  it('udp_ephemeral_port_may_land_on_a_SO_REUSEPORT_sharers_port_tcp_never', async () => {
    const u = await world([udp(), rp(4), bind(4, at('127.0.0.1', 40001)), udp(), rp(5)]);
    const uh = step(u, bind(5, at('127.0.0.1', 0)))[0]!.expect;
    expect(uh.kind === 'returned' && uh.bound && typeof uh.bound.port === 'object' ? uh.bound.port.taken : undefined).toEqual([]);
    const t = await world([tcp(), rp(4), bind(4, at('127.0.0.1', 40001)), tcp(), rp(5)]);
    const th = step(t, bind(5, at('127.0.0.1', 0)))[0]!.expect;
    expect(th.kind === 'returned' && th.bound && typeof th.bound.port === 'object' ? th.bound.port.taken : undefined).toEqual([40001]);
  });

  // A port that connect() took (its bucket is connect's own, fastreuseport -1): a bind to it
  // at the same address is checked against the connected socket like any owner.
  const ofConnected = (rpOnBoth: boolean): (Template | Call)[] => [
    tcp(), bind(4, at('127.0.0.1')), listen(4), tcp(), ...(rpOnBoth ? [rp(5)] : []), connect(5, at('127.0.0.1')), tcp(), rp(6),
    { op: 'bind', fd: { sock: 2 }, addr: { ptr: 'ok', len: 16, family: AF_INET, addr: '127.0.0.1', port: { of: 1 } } },
  ];
  it.each([[true, 'bind/port-reuseport'], [false, 'bind/EADDRINUSE']] as const)('bind_to_the_port_of_a_connected_socket_with_SO_REUSEPORT_on_both_%s', async (both, rule) => {
    const sessions = [await modelAdapter().open({ deadlineMs: 1 })];
    if (linuxAvailable() === undefined) sessions.push(await linuxAdapter.open({ deadlineMs: 50 }));
    for (const session of sessions) {
      try {
        const r = await runSequence(session, ofConnected(both));
        expect(r.divergence ?? r.error).toBeUndefined();
        expect(r.steps.at(-1)?.rule).toBe(rule);
      } finally {
        await session.close();
      }
    }
  });

  const why = linuxAvailable();
  (why === undefined ? it : it.skip)(`the_kernel_agrees${why === undefined ? '' : ` (skipped: ${why})`}`, async () => {
    const bad: string[] = [];
    for (const [name, [calls, rule]] of Object.entries(CASES)) {
      const session = await linuxAdapter.open({ deadlineMs: 50 });
      try {
        const r = await runSequence(session, [...calls, ...(name.startsWith('tcp_connect') ? [accept(4)] : [])]);
        if (r.divergence || r.error) bad.push(`${name}: ${JSON.stringify(r.divergence ?? r.error)}`);
        else if (!name.startsWith('tcp_connect') && r.steps.at(-1)?.rule !== rule) bad.push(`${name}: ${r.steps.at(-1)?.rule}`);
      } finally {
        await session.close();
      }
    }
    expect(bad).toEqual([]);
  });
});
