/**
 * One test per model rule family, each building its state from a short call sequence
 * and checking the rule and the answer, both derived from the kernel paths cited in
 * model/. These check the model alone; the property suite checks it against Linux.
 */
import { describe, expect, it } from 'vitest';
import {
  AF_UNSPEC, F_GETFD, F_GETFL, F_SETFD, F_SETFL, IPPROTO_TCP, O_NONBLOCK, O_RDWR, SOCK_CLOEXEC, SOCK_NONBLOCK, SOL_SOCKET, SO_ERROR,
  SO_PROTOCOL, SO_RCVBUF, SO_REUSEADDR, SO_SNDBUF, TCP_NODELAY,
  POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLRDHUP, POLLRDNORM, POLLWRBAND, POLLWRNORM,
} from '../../spec/constants.js';
import type { Call } from '../../spec/call.js';
import { ERRNO } from '../../spec/errno.js';
import { REVENTS_UNTOUCHED, type Observed } from '../../spec/observed.js';
import { DEFAULT_PROFILE, LINUX_BUFFERS } from '../../spec/profile.js';
import { initialState, step } from '../../model/index.js';
import { valueHex } from '../../model/core/sock.js';
import { rcvbufFor, sndbufFor } from '../../model/core/sock.js';
import { accept, bind, buf16, close, connect, getpeername, getsockname, getsockopt, inet, last, listen, runModel, setsockopt, shutdown, sin, tcp, udp } from './helpers.js';

const listener = [tcp(), bind(4, inet('127.0.0.1', 5000)), listen(4, 0)];

describe('fd lookup', () => {
  it('closed_fd_EBADF', async () => {
    const r = await last([tcp(), close(4), bind(4, inet('127.0.0.1', 5000))]);
    expect(r.rule).toBe('bind/EBADF');
    expect(r.obs).toMatchObject({ ret: -1, errno: 'EBADF' });
  });
  it('negative_and_huge_fd_EBADF', async () => {
    expect((await last([listen(-1)])).rule).toBe('listen/EBADF');
    expect((await last([listen(2147483647)])).rule).toBe('listen/EBADF');
  });
  it('pipe_fd_ENOTSOCK', async () => {
    expect((await last([listen(3)])).obs).toMatchObject({ ret: -1, errno: 'ENOTSOCK' });
  });
  it('new_fds_take_the_lowest_free_number', async () => {
    const r = await runModel([tcp(), tcp(), close(4), udp()]);
    expect(r.map((x) => x.obs)).toMatchObject([{ ret: 4 }, { ret: 5 }, { ret: 0 }, { ret: 4 }]);
  });
});

describe('socket', () => {
  it('flag_bits_beyond_cloexec_nonblock_EINVAL', async () => {
    expect((await last([{ op: 'socket', domain: 2, type: 1 | 0x100, protocol: 0 }])).rule).toBe('socket/EINVAL-flags');
  });
  it('family_out_of_range_EAFNOSUPPORT', async () => {
    expect((await last([{ op: 'socket', domain: 46, type: 1, protocol: 0 }])).rule).toBe('socket/EAFNOSUPPORT-range');
  });
  it('stream_with_udp_protocol_EPROTONOSUPPORT', async () => {
    expect((await last([{ op: 'socket', domain: 2, type: 1, protocol: 17 }])).obs).toMatchObject({ errno: 'EPROTONOSUPPORT' });
  });
  it('type_without_protocols_ESOCKTNOSUPPORT', async () => {
    expect((await last([{ op: 'socket', domain: 2, type: 7, protocol: 0 }])).obs).toMatchObject({ errno: 'ESOCKTNOSUPPORT' });
  });
  it('nonblock_and_cloexec_flags_land_on_file_and_fd', async () => {
    const r = await runModel([tcp(SOCK_NONBLOCK | SOCK_CLOEXEC), { op: 'fcntl', fd: 4, cmd: F_GETFL, arg: 0 }, { op: 'fcntl', fd: 4, cmd: F_GETFD, arg: 0 }]);
    expect(r.map((x) => x.obs)).toMatchObject([{ ret: 4 }, { ret: O_RDWR | O_NONBLOCK }, { ret: 1 }]);
  });
  it('EMFILE_when_the_table_is_full', async () => {
    const r = await last([tcp()], { ...DEFAULT_PROFILE, nofile: 4 });
    expect(r.rule).toBe('socket/EMFILE');
  });
});

describe('bind', () => {
  it('short_addrlen_EINVAL', async () => {
    expect((await last([tcp(), bind(4, inet('127.0.0.1', 5000, 15))])).rule).toBe('bind/EINVAL-short');
  });
  it('addrlen_above_sockaddr_storage_EINVAL_before_anything', async () => {
    expect((await last([tcp(), bind(4, inet('127.0.0.1', 5000, 129))])).rule).toBe('bind/EINVAL-addrlen');
  });
  it('bad_pointer_EFAULT', async () => {
    expect((await last([tcp(), bind(4, { ptr: 'bad', len: 16 })])).rule).toBe('bind/EFAULT');
  });
  it('unspec_family_only_with_any', async () => {
    expect((await last([tcp(), bind(4, { ...inet('0.0.0.0', 5000), family: AF_UNSPEC })])).rule).toBe('bind/port');
    expect((await last([tcp(), bind(4, { ...inet('127.0.0.1', 5000), family: AF_UNSPEC })])).rule).toBe('bind/EAFNOSUPPORT');
  });
  it('non_local_address_EADDRNOTAVAIL', async () => {
    expect((await last([tcp(), bind(4, inet('10.1.2.3', 5000))])).rule).toBe('bind/EADDRNOTAVAIL');
  });
  it('privileged_port_without_capability_EACCES', async () => {
    const r = await last([tcp(), bind(4, inet('127.0.0.1', 80))], { ...DEFAULT_PROFILE, capNetBindService: false });
    expect(r.rule).toBe('bind/EACCES');
  });
  it('double_bind_EINVAL', async () => {
    expect((await last([tcp(), bind(4, inet('127.0.0.1', 5000)), bind(4, inet('127.0.0.1', 5001))])).rule).toBe('bind/EINVAL-bound');
  });
  it('wildcard_overlaps_specific_EADDRINUSE', async () => {
    expect((await last([tcp(), tcp(), bind(4, inet('127.0.0.1', 5000)), bind(5, inet('0.0.0.0', 5000))])).rule).toBe('bind/EADDRINUSE');
  });
  it('distinct_specific_addresses_share_a_port', async () => {
    expect((await last([tcp(), tcp(), bind(4, inet('127.0.0.1', 5000)), bind(5, inet('127.0.0.2', 5000))])).rule).toBe('bind/port');
  });
  it('reuseaddr_on_both_shares_until_one_listens', async () => {
    const reuse = (fd: number) => ({ op: 'setsockopt' as const, fd, level: SOL_SOCKET, name: SO_REUSEADDR, value: 1, optlen: 4 });
    const r = await runModel([tcp(), tcp(), reuse(4), reuse(5), bind(4, inet('127.0.0.1', 5000)), bind(5, inet('127.0.0.1', 5000)), listen(4), listen(5)]);
    expect(r.map((x) => x.rule).slice(4)).toEqual(['bind/port', 'bind/port', 'listen/bound', 'listen/EADDRINUSE']);
  });
  it('udp_and_tcp_ports_are_separate', async () => {
    expect((await last([tcp(), udp(), bind(4, inet('127.0.0.1', 5000)), bind(5, inet('127.0.0.1', 5000))])).rule).toBe('bind/port');
  });
  it('port_zero_picks_an_odd_ephemeral_port', async () => {
    const r = await last([tcp(), bind(4, inet('127.0.0.1', 0))]);
    expect(r.rule).toBe('bind/ephemeral');
    const b = r.obs.kind === 'returned' ? r.obs.bound : undefined;
    expect(b && b.port % 2 === 1 && b.port >= 32768 && b.port <= 60999).toBe(true);
  });
});

describe('listen', () => {
  it('udp_EOPNOTSUPP', async () => {
    expect((await last([udp(), listen(4)])).rule).toBe('listen/EOPNOTSUPP');
  });
  it('unbound_socket_is_autobound', async () => {
    const r = await last([tcp(), listen(4)]);
    expect(r.rule).toBe('listen/autobind');
    expect(r.obs).toMatchObject({ ret: 0, bound: { addr: '0.0.0.0' } });
  });
  it('listen_again_adjusts_the_backlog', async () => {
    const r = await last([...listener, listen(4, -1)]);
    expect(r.rule).toBe('listen/again');
    const sk = r.state.objs[r.state.fds[4]!.obj];
    expect(sk?.kind === 'socket' && sk.backlog).toBe(DEFAULT_PROFILE.somaxconn);
  });
  it('connected_socket_EINVAL', async () => {
    expect((await last([...listener, tcp(), connect(5, inet('127.0.0.1', 5000)), listen(5)])).rule).toBe('listen/EINVAL-sockstate');
  });
});

describe('connect and accept', () => {
  it('blocking_connect_to_a_listener_completes_and_accept_reports_the_peer', async () => {
    const r = await runModel([...listener, tcp(), bind(5, inet('127.0.0.1', 6000)), connect(5, inet('127.0.0.1', 5000)), accept(4)]);
    expect(r[5]!.rule).toBe('connect/established');
    expect(r[6]!.rule).toBe('accept/ok');
    expect(r[6]!.obs).toMatchObject({ ret: 6, addr: sin('127.0.0.1', 6000), addrlen: 16 });
  });
  it('nonblocking_connect_says_EINPROGRESS_then_completes_with_0_then_EISCONN', async () => {
    const r = await runModel([...listener, tcp(SOCK_NONBLOCK), connect(5, inet('127.0.0.1', 5000)), connect(5, inet('127.0.0.1', 5000)), connect(5, inet('127.0.0.1', 5000))]);
    expect(r.slice(4).map((x) => x.rule)).toEqual(['connect/EINPROGRESS', 'connect/completes', 'connect/EISCONN']);
  });
  it('no_listener_ECONNREFUSED', async () => {
    expect((await last([tcp(), connect(4, inet('127.0.0.1', 5000))])).rule).toBe('connect/ECONNREFUSED');
  });
  it('nonblocking_refused_reports_on_the_second_connect', async () => {
    const r = await runModel([tcp(SOCK_NONBLOCK), connect(4, inet('127.0.0.1', 5000)), connect(4, inet('127.0.0.1', 5000))]);
    expect(r.slice(1).map((x) => x.obs)).toMatchObject([{ errno: 'EINPROGRESS' }, { errno: 'ECONNREFUSED' }]);
  });
  it('queue_holds_backlog_plus_one_then_connect_blocks', async () => {
    const r = await runModel([...listener, tcp(), tcp(), connect(5, inet('127.0.0.1', 5000)), connect(6, inet('127.0.0.1', 5000))]);
    expect(r.slice(5).map((x) => x.rule)).toEqual(['connect/established', 'connect/queue-full-blocks']);
    expect(r[6]!.obs.kind).toBe('blocked');
  });
  it('pending_nonblocking_connect_EALREADY', async () => {
    const r = await last([...listener, tcp(), tcp(SOCK_NONBLOCK), connect(5, inet('127.0.0.1', 5000)), connect(6, inet('127.0.0.1', 5000)), connect(6, inet('127.0.0.1', 5000))]);
    expect(r.rule).toBe('connect/EALREADY');
  });
  it('unreachable_destination_ENETUNREACH', async () => {
    expect((await last([tcp(), connect(4, inet('10.1.2.3', 80))])).obs).toMatchObject({ errno: 'ENETUNREACH' });
  });
  it('accept_does_not_inherit_nonblock_but_takes_flags', async () => {
    const r = await runModel([tcp(SOCK_NONBLOCK), bind(4, inet('127.0.0.1', 5000)), listen(4, 4), tcp(), connect(5, inet('127.0.0.1', 5000)), tcp(), connect(6, inet('127.0.0.1', 5000)),
      accept(4), { op: 'accept4', fd: 4, out: buf16, flags: SOCK_NONBLOCK }, { op: 'fcntl', fd: 7, cmd: F_GETFL, arg: 0 }, { op: 'fcntl', fd: 8, cmd: F_GETFL, arg: 0 }]);
    expect(r.slice(9).map((x) => x.obs)).toMatchObject([{ ret: O_RDWR }, { ret: O_RDWR | O_NONBLOCK }]);
  });
  it('accept_on_empty_nonblocking_listener_EAGAIN_blocking_blocks', async () => {
    expect((await last([tcp(SOCK_NONBLOCK), listen(4), accept(4)])).rule).toBe('accept/EAGAIN');
    expect((await last([tcp(), listen(4), accept(4)])).obs.kind).toBe('blocked');
  });
  it('accept_on_udp_EOPNOTSUPP_and_unlistened_EINVAL', async () => {
    expect((await last([udp(), accept(4)])).rule).toBe('accept/EOPNOTSUPP');
    expect((await last([tcp(), accept(4)])).rule).toBe('accept/EINVAL-not-listening');
  });
  it('accept4_bad_flags_EINVAL', async () => {
    expect((await last([tcp(), { op: 'accept4', fd: 4, out: buf16, flags: 1 }])).rule).toBe('accept4/EINVAL-flags');
  });
  it('accept_with_a_faulting_length_pointer_loses_the_connection', async () => {
    const r = await runModel([...listener, tcp(), connect(4 + 1, inet('127.0.0.1', 5000)), accept(4, { ptr: 'ok', lenPtr: 'bad', len: 16 }), { op: 'fcntl', fd: 4, cmd: F_SETFL, arg: O_NONBLOCK }, accept(4)]);
    expect(r[5]!.rule).toBe('accept/EFAULT');
    expect(r[7]!.rule).toBe('accept/EAGAIN');
  });
  it('udp_connect_sets_peer_and_unspec_dissolves_it', async () => {
    const r = await runModel([udp(), connect(4, inet('127.0.0.1', 7000)), getpeername(4), connect(4, { ...inet('0.0.0.0', 0), family: AF_UNSPEC }), getpeername(4)]);
    expect(r.slice(1).map((x) => x.rule)).toEqual(['connect/udp', 'getpeername/ok', 'connect/udp-unspec', 'getpeername/ENOTCONN']);
    expect(r[2]!.obs).toMatchObject({ addr: sin('127.0.0.1', 7000) });
  });
});

describe('names and copy-out', () => {
  it('getsockname_truncates_but_reports_the_true_length', async () => {
    const r = await last([tcp(), bind(4, inet('127.0.0.1', 5000)), getsockname(4, { ptr: 'ok', lenPtr: 'ok', len: 4 })]);
    expect(r.obs).toMatchObject({ ret: 0, addr: sin('127.0.0.1', 5000).slice(0, 8), addrlen: 16 });
  });
  it('negative_length_EINVAL', async () => {
    expect((await last([tcp(), getsockname(4, { ptr: 'ok', lenPtr: 'ok', len: -1 })])).rule).toBe('getsockname/EINVAL');
  });
  it('getpeername_unconnected_ENOTCONN', async () => {
    expect((await last([tcp(), getpeername(4)])).rule).toBe('getpeername/ENOTCONN');
  });
});

describe('close', () => {
  it('closing_a_listener_resets_queued_connections', async () => {
    const r = await runModel([...listener, tcp(), connect(5, inet('127.0.0.1', 5000)), close(4), getpeername(5)]);
    expect(r[5]!.rule).toBe('close/tcp-listener');
    expect(r[6]!.rule).toBe('getpeername/ENOTCONN');
  });
  it('active_close_holds_the_port_in_time_wait', async () => {
    const r = await runModel([...listener, tcp(), connect(5, inet('127.0.0.1', 5000)), accept(4), close(6), close(4), close(5), tcp(), bind(4, inet('0.0.0.0', 5000))]);
    expect(r[r.length - 1]!.rule).toBe('bind/EADDRINUSE');
  });
  it('fcntl_setfd_keeps_only_fd_cloexec', async () => {
    const r = await runModel([tcp(), { op: 'fcntl', fd: 4, cmd: F_SETFD, arg: 3 }, { op: 'fcntl', fd: 4, cmd: F_GETFD, arg: 0 }]);
    expect(r[2]!.obs).toMatchObject({ ret: 1 });
  });
});

describe('regressions found against the kernel', () => {
  it('reset_child_releases_the_listener_port_even_when_it_was_bound_explicitly', async () => {
    // sk_clone_lock drops SOCK_BINDPORT_LOCK, so tcp_done's inet_put_port runs for the child.
    const r = await runModel([tcp(), tcp(), bind(4, inet('0.0.0.0', 5000)), listen(4, 1), connect(5, inet('127.0.0.1', 5000)), accept(4), close(4),
      connect(5, { ...inet('0.0.0.0', 0), family: AF_UNSPEC, len: 2 }), bind(5, inet('0.0.0.0', 5000))]);
    expect(r[r.length - 1]!.rule).toBe('bind/port');
  });
  it('failed_bind_clears_the_addresses_it_set', async () => {
    // Socket 5 has 127.0.0.1 from the route of a refused non-blocking connect; the
    // failing bind sets then clears rcv_saddr/saddr (__inet_bind), leaving 0.0.0.0.
    const r = await runModel([tcp(), bind(4, inet('127.0.0.1', 5000)), listen(4), tcp(SOCK_NONBLOCK), bind(5, inet('127.0.0.1', 6000)),
      close(5), tcp(SOCK_NONBLOCK), connect(5, inet('127.0.0.1', 1)), bind(5, inet('127.0.0.1', 5000))]);
    const b = r[r.length - 1]!;
    expect(b.rule).toBe('bind/EADDRINUSE');
    expect(b.obs).toMatchObject({ bound: { addr: '0.0.0.0' } });
  });
  it('bind_locks_survive_a_refused_connect_and_a_rebind', async () => {
    const r = await runModel([tcp(), bind(4, inet('127.0.0.1', 0)), connect(4, inet('127.0.0.1', 1)), bind(4, inet('0.0.0.0', 5000)), connect(4, inet('127.0.0.1', 1))]);
    expect(r[4]!.obs).toMatchObject({ errno: 'ECONNREFUSED', bound: { addr: '127.0.0.1', port: 5000 } });
  });
});

describe('nondeterminism the model allows', () => {
  it('unbound_connect_to_own_address_may_draw_the_destination_port_and_self_connect', async () => {
    const { initialState, step } = await import('../../model/index.js');
    let s = initialState(DEFAULT_PROFILE);
    s = step(s, tcp())[0]!.next({ kind: 'returned', ret: 4 });
    const rules = step(s, connect(4, inet('127.0.0.1', 40000))).map((o) => o.rule);
    expect(rules).toEqual(['connect/ECONNREFUSED', 'connect/self']);
    // An odd port is never drawn by connect (even parity first), so no self-connect is allowed.
    expect(step(s, connect(4, inet('127.0.0.1', 40001))).map((o) => o.rule)).toEqual(['connect/ECONNREFUSED']);
  });
  it('a_bound_connect_meets_a_closed_sockets_4_tuple_still_in_FIN_WAIT1_or_already_timewait', async () => {
    // The closed socket's FIN waits for the peer's delayed ACK (FIN_WAIT1, a full socket:
    // EADDRNOTAVAIL) before it becomes a FIN_WAIT2 timewait socket that connect takes over.
    const { step } = await import('../../model/index.js');
    const reuse = (fd: number) => ({ op: 'setsockopt' as const, fd, level: SOL_SOCKET, name: SO_REUSEADDR, value: 1, optlen: 4 });
    const r = await runModel([tcp(), bind(4, inet('127.0.0.1', 5000)), listen(4, 4), tcp(), reuse(5), bind(5, inet('127.0.0.1', 6000)),
      connect(5, inet('127.0.0.1', 5000)), close(5), tcp(), reuse(5), bind(5, inet('127.0.0.1', 6000))]);
    expect(step(r.at(-1)!.state, connect(5, inet('127.0.0.1', 5000))).map((o) => o.rule)).toEqual(['connect/EADDRNOTAVAIL-fin-wait1', 'connect/established']);
  });
});

describe('socket options', () => {
  const to5000 = inet('127.0.0.1', 5000);
  const L = [tcp(), bind(4, to5000), listen(4, 0)];
  const int = (v: number) => valueHex(v, 4, 4);
  it('defaults_come_from_the_profile', async () => {
    const r = await runModel([tcp(), udp(), getsockopt(4, SO_RCVBUF), getsockopt(4, SO_SNDBUF), getsockopt(5, SO_RCVBUF), getsockopt(5, SO_SNDBUF)]);
    expect(r.slice(2).map((x) => x.obs)).toMatchObject([
      { optval: int(LINUX_BUFFERS.tcpRmem[1]) }, { optval: int(LINUX_BUFFERS.tcpWmem[1]) },
      { optval: int(LINUX_BUFFERS.rmemDefault) }, { optval: int(LINUX_BUFFERS.wmemDefault) },
    ]);
  });
  it('buffer_sizes_are_doubled_clamped_and_raised_to_the_minimum', () => {
    const p = { ...DEFAULT_PROFILE, buffers: { ...LINUX_BUFFERS, rmemMax: 4194304, wmemMax: 4194304 } };
    expect([0, 1152, 1153, 5000, 4194305, -1, -2147483648].map((v) => rcvbufFor(p, v))).toEqual([2304, 2304, 2306, 10000, 8388608, 8388608, 8388608]);
    expect([0, 2304, 2305, 5000, 2147483647].map((v) => sndbufFor(p, v))).toEqual([4608, 4608, 4610, 10000, 8388608]);
  });
  it('SO_ERROR_is_read_and_cleared_then_connect_reports_ECONNABORTED', async () => {
    const r = await runModel([tcp(SOCK_NONBLOCK), connect(4, to5000), getsockopt(4, SO_ERROR), getsockopt(4, SO_ERROR), connect(4, to5000)]);
    expect(r.slice(2).map((x) => x.obs)).toMatchObject([{ ret: 0, optval: int(ERRNO.ECONNREFUSED) }, { ret: 0, optval: int(0) }, { ret: -1, errno: 'ECONNABORTED' }]);
  });
  it('SO_ERROR_read_that_faults_still_clears_but_one_that_cannot_read_optlen_does_not', async () => {
    const bad = (lenPtr: 'ok' | 'bad') => getsockopt(4, SO_ERROR, { opt: { ptr: lenPtr === 'ok' ? 'bad' : 'ok', lenPtr, len: 4 } });
    const a = await runModel([tcp(SOCK_NONBLOCK), connect(4, to5000), bad('ok'), getsockopt(4, SO_ERROR)]);
    expect(a[3]!.obs).toMatchObject({ optval: int(0) });
    const b = await runModel([tcp(SOCK_NONBLOCK), connect(4, to5000), bad('bad'), getsockopt(4, SO_ERROR)]);
    expect(b[3]!.obs).toMatchObject({ optval: int(ERRNO.ECONNREFUSED) });
  });
  it('reconnect_clears_the_error_a_disconnect_left', async () => {
    const r = await runModel([...L, tcp(), connect(5, to5000), connect(5, { ...inet('0.0.0.0', 0), family: AF_UNSPEC, len: 2 }), getsockopt(5, SO_ERROR)]);
    expect(r.at(-1)!.obs).toMatchObject({ optval: int(ERRNO.ECONNRESET) });
    const again = await runModel([...L, tcp(), connect(5, to5000), connect(5, { ...inet('0.0.0.0', 0), family: AF_UNSPEC, len: 2 }), connect(5, to5000), getsockopt(5, SO_ERROR)]);
    expect(again.at(-1)!.obs).toMatchObject({ optval: int(0) });
  });
  it('short_length_copies_the_first_bytes_and_writes_it_back', async () => {
    const r = await last([tcp(), getsockopt(4, SO_PROTOCOL, { opt: { ptr: 'ok', lenPtr: 'ok', len: 1 } })]);
    expect(r.obs).toMatchObject({ ret: 0, optval: '06', optlen: 1 });
    const z = await last([tcp(), getsockopt(4, SO_PROTOCOL, { opt: { ptr: 'bad', lenPtr: 'ok', len: 0 } })]);
    expect(z.obs).toEqual({ kind: 'returned', ret: 0, optlen: 0 });
  });
  it('tcp_level_on_udp_ENOPROTOOPT_for_set_EOPNOTSUPP_for_get', async () => {
    expect((await last([udp(), setsockopt(4, TCP_NODELAY, 1, { level: IPPROTO_TCP })])).obs).toMatchObject({ errno: 'ENOPROTOOPT' });
    expect((await last([udp(), getsockopt(4, TCP_NODELAY, { level: IPPROTO_TCP })])).obs).toMatchObject({ errno: 'EOPNOTSUPP' });
  });
  it('established_sndbuf_is_a_hole_until_read_then_fixed', () => {
    let s = initialState(DEFAULT_PROFILE);
    const go = (c: Call, obs?: Observed) => { const o = step(s, c)[0]!; s = o.next(obs ?? { kind: 'returned', ret: 0 }); return o; };
    for (const c of L) go(c, { kind: 'returned', ret: c.op === 'socket' ? 4 : 0, ...(c.op !== 'socket' ? { bound: { addr: '127.0.0.1', port: 5000 } } : {}) });
    go(tcp(), { kind: 'returned', ret: 5 });
    go(connect(5, to5000), { kind: 'returned', ret: 0, bound: { addr: '127.0.0.1', port: 40000 } });
    const first = go(getsockopt(5, SO_SNDBUF), { kind: 'returned', ret: 0, optval: int(3939840), optlen: 4 });
    expect(first.expect).toMatchObject({ optval: { lo: LINUX_BUFFERS.tcpWmem[1], hi: LINUX_BUFFERS.tcpWmem[2], bytes: 4, shown: 4 } });
    expect(step(s, getsockopt(5, SO_SNDBUF))[0]!.expect).toMatchObject({ optval: int(3939840) });
  });
  it('sndbuf_set_by_the_user_is_not_expanded_and_is_inherited', async () => {
    const r = await runModel([tcp(), setsockopt(4, SO_SNDBUF, 3000), bind(4, to5000), listen(4), tcp(), connect(5, to5000), accept(4), getsockopt(6, SO_SNDBUF)]);
    expect(r.at(-1)!.obs).toMatchObject({ optval: int(6000) });
  });
});

describe('poll and select', () => {
  const everything = (fds: number[]) => ({ op: 'poll' as const, fds: 'ok' as const, entries: fds.map((fd) => ({ fd, events: 0xffff })), nfds: fds.length, timeout: 0 });
  const revents = async (calls: Parameters<typeof runModel>[0], fds: number[]) => {
    const r = await last([...calls, everything(fds)]);
    return r.obs.kind === 'returned' ? r.obs.revents : undefined;
  };
  it('never_connected_tcp_is_writable_and_hung_up_tcp_poll_TCP_CLOSE', async () => {
    expect(await revents([tcp()], [4])).toEqual([POLLOUT | POLLWRNORM | POLLHUP]);
  });
  it('listener_reads_only_with_a_pending_connection', async () => {
    expect(await revents(listener, [4])).toEqual([0]);
    expect(await revents([...listener, tcp(), connect(5, inet('127.0.0.1', 5000))], [4, 5])).toEqual([POLLIN | POLLRDNORM, POLLOUT | POLLWRNORM]);
  });
  it('peer_FIN_gives_POLLIN_POLLRDHUP_and_own_SHUT_WR_stays_writable', async () => {
    const c = [...listener, tcp(), connect(5, inet('127.0.0.1', 5000)), accept(4), shutdown(5, 1)];
    expect(await revents(c, [5, 6])).toEqual([POLLOUT | POLLWRNORM, POLLIN | POLLRDNORM | POLLRDHUP | POLLOUT | POLLWRNORM]);
  });
  it('reset_gives_POLLERR_POLLHUP_and_tcp_done_s_shutdown_mask', async () => {
    const all = POLLIN | POLLRDNORM | POLLRDHUP | POLLOUT | POLLWRNORM | POLLHUP;
    expect(await revents([...listener, tcp(), connect(5, inet('127.0.0.1', 5000)), close(4)], [5])).toEqual([all | POLLERR]);
  });
  it('udp_is_writable_with_WRBAND_files_and_bad_fds', async () => {
    expect(await revents([udp()], [4, 0, 3, 9, -1])).toEqual([POLLOUT | POLLWRNORM | POLLWRBAND, POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM, POLLHUP, POLLNVAL, 0]);
  });
  it('events_mask_revents_except_POLLERR_POLLHUP_POLLNVAL', async () => {
    const r = await last([tcp(), { op: 'poll', fds: 'ok', entries: [{ fd: 4, events: POLLIN }, { fd: 9, events: 0 }], nfds: 2, timeout: 0 }]);
    expect(r.obs).toMatchObject({ ret: 2, revents: [POLLHUP, POLLNVAL] });
  });
  it('nfds_above_RLIMIT_NOFILE_EINVAL_and_revents_untouched', async () => {
    const r = await last([{ op: 'poll', fds: 'ok', entries: [{ fd: 0, events: POLLIN }], nfds: 1025, timeout: 0 }]);
    expect(r).toMatchObject({ rule: 'poll/EINVAL-nfds', obs: { ret: -1, errno: 'EINVAL', revents: [REVENTS_UNTOUCHED] } });
  });
  it('select_counts_each_ready_set_and_clears_the_rest_of_the_long', async () => {
    const r = await last([tcp(), { op: 'select', nfds: 1, read: { ptr: 'ok', fds: [0, 4] }, write: { ptr: 'ok', fds: [0] }, except: { ptr: 'ok', fds: [0] }, timeout: { ptr: 'ok', sec: 0, usec: 0 } }]);
    expect(r.obs).toMatchObject({ ret: 2, sets: { read: [0], write: [0], except: [] } });
  });
  it('select_timeout_checked_before_nfds_and_EBADF_for_a_closed_member', async () => {
    expect((await last([{ op: 'select', nfds: -1, read: { ptr: 'null' }, write: { ptr: 'null' }, except: { ptr: 'null' }, timeout: { ptr: 'ok', sec: -1, usec: 0 } }])).rule).toBe('select/EINVAL-timeout');
    expect((await last([{ op: 'select', nfds: 10, read: { ptr: 'ok', fds: [9] }, write: { ptr: 'null' }, except: { ptr: 'null' }, timeout: { ptr: 'ok', sec: 0, usec: 0 } }])).rule).toBe('select/EBADF');
  });
});
