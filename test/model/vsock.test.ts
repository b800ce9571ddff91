/**
 * AF_VSOCK (model/vsock/): the profile fact behind EAFNOSUPPORT, the unbound address,
 * poll, and the safety of everything generated: no bind that vsock_find_cid could accept
 * and no connect vsock_addr_cast would take ever reaches an adapter, and the linux adapter
 * refuses them itself. The renderers carry a sockaddr_vm (text, JSON, wire, C).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AddrIn, Call } from '../../spec/call.js';
import {
  AF_VSOCK, F_GETFL, F_SETFL, IPPROTO_TCP, O_NONBLOCK, POLLIN, POLLOUT, SOCK_NONBLOCK, SOCK_SEQPACKET, SOCK_STREAM, SOL_SOCKET, SO_ACCEPTCONN, SO_DOMAIN,
  SO_ERROR, SO_KEEPALIVE, SO_LINGER, SO_PROTOCOL, SO_RCVBUF, SO_REUSEADDR, SO_REUSEPORT, SO_SNDBUF, SO_TYPE, TCP_NODELAY,
} from '../../spec/constants.js';
import { DEFAULT_PROFILE } from '../../spec/profile.js';
import { encodeCall, parseRunnerMessage, encodeRunnerMessage } from '../../spec/wire.js';
import { caseArb } from '../../harness/generate.js';
import { runSequence } from '../../harness/runner.js';
import { renderCall } from '../../harness/render/text.js';
import { traceFromJson, traceToJson } from '../../harness/render/json.js';
import { modelAdapter } from '../../adapters/model/index.js';
import { linuxAdapter, linuxAvailable } from '../../adapters/linux/index.js';
import { encode, ARG_SLOTS } from '../../adapters/linux/encode.js';
import { buf16, getsockopt, last, reproSkip, runRepro, setsockopt } from './helpers.js';

const vsock = (type = SOCK_STREAM): Call => ({ op: 'socket', domain: AF_VSOCK, type, protocol: 0 });
const vm = (cid: number, o: { len?: number; flags?: number; port?: number } = {}): AddrIn => ({ ptr: 'ok', len: o.len ?? 16, family: AF_VSOCK, addr: '0.0.0.0', port: o.port ?? 1234, vm: { cid, flags: o.flags ?? 0 } });

/** Whether vsock_addr_cast would take `a` (and move_addr_to_kernel let it through). */
function castable(a: AddrIn): boolean {
  return a.ptr === 'ok' && a.family === AF_VSOCK && a.len >= 16 && a.len <= 128 && ((a.vm?.flags ?? 0) & ~1) === 0;
}

describe('vsock in the model', () => {
  it('socket_without_the_vsock_core_is_EAFNOSUPPORT', async () => {
    const { vsock: _, ...noVsock } = DEFAULT_PROFILE;
    const r = await last([vsock()], noVsock);
    expect(r.rule).toBe('socket/EAFNOSUPPORT');
  });

  it('unbound_getsockname_is_cid_any_port_any', async () => {
    const r = await last([vsock(SOCK_SEQPACKET), { op: 'getsockname', fd: 4, out: buf16 }]);
    expect(r.obs).toEqual({ kind: 'returned', ret: 0, addrlen: 16, addr: '2800' + '0000' + 'ffffffff' + 'ffffffff' + '00000000' });
  });

  it('unconnected_socket_polls_writable_only', async () => {
    const r = await last([vsock(), { op: 'poll', fds: 'ok', entries: [{ fd: 4, events: POLLIN | POLLOUT }], nfds: 1, timeout: 0 }]);
    expect(r.obs).toMatchObject({ ret: 1, revents: [POLLOUT] });
  });

  it('bind_to_a_cid_a_transport_makes_local_is_refused_as_not_modelled', async () => {
    await expect(last([vsock(), { op: 'bind', fd: 4, addr: vm(1) }], { ...DEFAULT_PROFILE, vsock: { loopback: true, h2g: false, dgram: false } })).rejects.toThrow(/not modelled/);
  });
});

describe('vsock safety', () => {
  it('generated_sequences_never_make_a_vsock_bind_or_connect_that_could_succeed', async () => {
    const cases = fc.sample(caseArb({ maxLength: 30, invalid: 0.3 }), { numRuns: 400, seed: 20261121 });
    let vsockBinds = 0;
    for (const c of cases) {
      const session = await modelAdapter().open({ deadlineMs: 1, world: c.world });
      const r = await runSequence(session, c.calls);
      await session.close();
      expect(r.error).toBeUndefined();
      for (const st of r.steps) {
        const call = st.call.op === 'socketcall' && st.call.call !== undefined ? st.call.call : st.call;
        if (call.op === 'bind' && castable(call.addr)) {
          vsockBinds++;
          expect([0, 1, 2]).toContain(call.addr.ptr === 'ok' ? call.addr.vm?.cid ?? 0 : -1);
        }
        if (call.op === 'connect') expect(castable(call.addr)).toBe(false);
      }
    }
    expect(vsockBinds).toBeGreaterThan(0);
  });

  it('the_linux_adapter_refuses_an_unsafe_vsock_bind_or_connect_before_any_syscall', () => {
    const a = new Float64Array(ARG_SLOTS);
    expect(encode({ op: 'bind', fd: 4, addr: vm(3) }, a)).toMatch(/CID 3/);
    expect(encode({ op: 'bind', fd: 4, addr: vm(0xffffffff) }, a)).toMatch(/CID 4294967295/);
    expect(encode({ op: 'connect', fd: 4, addr: vm(2) }, a)).toMatch(/never connects/);
    expect(encode({ op: 'bind', fd: 4, addr: vm(0) }, a)).toBeUndefined();
    expect(encode({ op: 'connect', fd: 4, addr: vm(2, { flags: 2 }) }, a)).toBeUndefined();
    expect(encode({ op: 'connect', fd: 4, addr: vm(2, { len: 15 }) }, a)).toBeUndefined();
  });
});

describe('vsock addresses in renderers', () => {
  const bind: Call = { op: 'bind', fd: 4, addr: vm(1, { flags: 1, port: 0xffffffff }) };
  it('text', () => {
    expect(renderCall(bind)).toBe('bind(4, {AF_VSOCK, cid 1, port 4294967295, flags 0x1}, 16)');
  });
  it('json_and_wire_round_trip', () => {
    const t = { version: 1 as const, adapter: 'linux', profile: DEFAULT_PROFILE, steps: [{ call: bind, observed: { kind: 'returned' as const, ret: -1, errno: 'EADDRNOTAVAIL' as const } }] };
    expect(traceFromJson(traceToJson(t), 't.json')).toEqual(t);
    const line = encodeRunnerMessage({ type: 'call', id: 1, call: bind });
    expect(parseRunnerMessage(line)).toEqual({ ok: true, msg: { type: 'call', id: 1, call: bind } });
    expect(encodeCall(bind)).toMatchObject({ addr: { vm: { cid: 1, flags: 1 } } });
  });

  it.skipIf(reproSkip !== undefined)(`c_reproducer_builds_the_sockaddr_vm${reproSkip ? ` (skipped: ${reproSkip})` : ''}`, () => {
    const calls: Call[] = [vsock(), { op: 'bind', fd: 4, addr: vm(1) }, { op: 'bind', fd: 4, addr: vm(1, { flags: 2 }) }];
    const lines = runRepro(calls, 'vsock');
    expect(lines[1]).toMatch(/EADDRNOTAVAIL/);
    expect(lines[2]).toMatch(/EINVAL/);
  });
});

describe('vsock on the kernel', () => {
  // Every option sk_getsockopt answers for both types, after setsockopt changed some; fcntl,
  // mmap, poll, accept4 with flags, shutdown, and a close: the model must allow each answer.
  const opts = [SO_TYPE, SO_DOMAIN, SO_PROTOCOL, SO_ACCEPTCONN, SO_ERROR, SO_KEEPALIVE, SO_REUSEADDR, SO_REUSEPORT, SO_RCVBUF, SO_SNDBUF];
  const calls: Call[] = [
    vsock(SOCK_STREAM | SOCK_NONBLOCK), vsock(SOCK_SEQPACKET),
    ...[4, 5].flatMap((fd) => opts.map((n) => getsockopt(fd, n))),
    setsockopt(4, SO_REUSEADDR, 1), setsockopt(4, SO_KEEPALIVE, 1), setsockopt(4, SO_RCVBUF, 5000), setsockopt(4, SO_SNDBUF, 7000),
    setsockopt(4, SO_REUSEPORT, 0), setsockopt(4, SO_REUSEPORT, 1), setsockopt(5, SO_RCVBUF, 1, { optlen: 2 }),
    { op: 'setsockopt', fd: 5, level: SOL_SOCKET, name: SO_LINGER, value: 1, linger: 2, optlen: 8 },
    getsockopt(5, SO_LINGER, { opt: { ptr: 'ok', lenPtr: 'ok', len: 16 } }),
    ...opts.map((n) => getsockopt(4, n)),
    getsockopt(4, TCP_NODELAY, { level: IPPROTO_TCP }), getsockopt(4, SO_TYPE, { opt: { ptr: 'ok', lenPtr: 'ok', len: 2 } }),
    { op: 'fcntl', fd: 4, cmd: F_GETFL, arg: 0 }, { op: 'fcntl', fd: 5, cmd: F_SETFL, arg: O_NONBLOCK }, { op: 'fcntl', fd: 5, cmd: F_GETFL, arg: 0 },
    { op: 'mmap', fd: 4, len: 4096, prot: 1, flags: 1, offset: 0 }, { op: 'mmap', fd: 5, len: 4096, prot: 4, flags: 2, offset: 0 },
    { op: 'poll', fds: 'ok', entries: [{ fd: 4, events: 0xffff }, { fd: 5, events: POLLIN }], nfds: 2, timeout: 0 },
    { op: 'select', nfds: 6, read: { ptr: 'ok', fds: [4, 5] }, write: { ptr: 'ok', fds: [4, 5] }, except: { ptr: 'ok', fds: [4, 5] }, timeout: { ptr: 'ok', sec: 0, usec: 0 } },
    { op: 'accept4', fd: 5, out: buf16, flags: SOCK_NONBLOCK }, { op: 'shutdown', fd: 5, how: 1 }, { op: 'recv', fd: 5, len: 16, flags: 0 },
    { op: 'getsockname', fd: 4, out: { ptr: 'ok', lenPtr: 'ok', len: 8 } },
    // A sockaddr_in-shaped buffer of family AF_VSOCK: CID 0 (sin_zero), so EADDRNOTAVAIL.
    { op: 'bind', fd: 4, addr: { ptr: 'ok', len: 16, family: AF_VSOCK, addr: '127.0.0.1', port: 5000 } },
    { op: 'close', fd: 5 }, { op: 'close', fd: 4 },
  ];
  const why = linuxAvailable();
  it.skipIf(why !== undefined)(`agrees_on_options_files_and_poll${why ? ` (skipped: ${why})` : ''}`, async () => {
    const session = await linuxAdapter.open({ deadlineMs: 50 });
    try {
      const r = await runSequence(session, calls);
      expect(r.error).toBeUndefined();
      expect(r.divergence, JSON.stringify(r.steps.at(-1))).toBeUndefined();
      expect(r.steps).toHaveLength(calls.length);
      expect(r.steps.at(-3)?.rule).toBe('bind/vsock-EADDRNOTAVAIL');
    } finally {
      await session.close();
    }
  });
});
