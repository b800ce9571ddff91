/**
 * AF_INET6 sockets against the kernel: dual-stack sequences (v4-mapped addresses,
 * IPV6_V6ONLY, port conflicts between the families, accept's and getname's sockaddr_in6)
 * must run without a divergence, on the model and on Linux.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { traceToC } from '../../harness/render/c.js';
import { renderCall, renderObserved } from '../../harness/render/text.js';
import type { AddrIn, AddrOut, Call } from '../../spec/call.js';
import { AF_INET, AF_UNSPEC, IPPROTO_IPV6, IPV6_V6ONLY, MSG_DONTWAIT, MSG_OOB, SO_DOMAIN, SO_REUSEADDR, SO_REUSEPORT } from '../../spec/constants.js';
import { runSequence } from '../../harness/runner.js';
import { modelAdapter } from '../../adapters/model/index.js';
import { linuxAdapter, linuxAvailable } from '../../adapters/linux/index.js';
import { accept, bind, close, connect, getpeername, getsockname, getsockopt, inet, listen, setsockopt, shutdown, tcp, udp } from './helpers.js';
import { in6, tcp6, udp6, v6only } from './scenarios/inet6.js';

const buf28: AddrOut = { ptr: 'ok', lenPtr: 'ok', len: 28 };
const names = (fd: number): Call[] => [getsockname(fd, buf28), getpeername(fd, buf28)];
const gv6 = (fd: number): Call => getsockopt(fd, IPV6_V6ONLY, { level: IPPROTO_IPV6 });
const sendto = (fd: number, addr: AddrIn, flags = 0): Call => ({ op: 'sendto', fd, data: '6869', flags, addr });
const send = (fd: number, flags = 0): Call => ({ op: 'send', fd, data: '6869', flags });
const recvfrom = (fd: number): Call => ({ op: 'recvfrom', fd, len: 64, flags: MSG_DONTWAIT, out: buf28 });
const recv = (fd: number): Call => ({ op: 'recv', fd, len: 64, flags: MSG_DONTWAIT });
/** sendmsg(fd, {name, iov=["6869"]}, 0) and a non-blocking recvmsg(fd, {name=&addr[len], iov=[buf[16]]}). */
const smsg = (fd: number, name: AddrIn): Call => ({
  op: 'sendmsg', fd, flags: 0, msg: { ptr: 'ok', name, iov: 'ok', iovs: [{ ptr: 'ok', data: '6869' }], iovlen: 1, control: 'ok', controllen: 0, flags: 0 },
});
const rmsg = (fd: number, len = 28): Call => ({
  op: 'recvmsg', fd, flags: MSG_DONTWAIT, msg: { ptr: 'ok', name: { ptr: 'ok', len }, iov: 'ok', iovs: [{ ptr: 'ok', len: 16 }], iovlen: 1, control: 'ok', controllen: 0, flags: 0 },
});
const rp = (fd: number, value = 1): Call => setsockopt(fd, SO_REUSEPORT, value);

/** Sequences by name; each must run without divergence on both. */
export const DUAL: Record<string, Call[]> = {
  'v6 wildcard then v4 on the port': [tcp6(), tcp(), bind(4, in6('::', 6000)), bind(5, inet('0.0.0.0', 6000)), bind(5, inet('127.0.0.1', 6000))],
  'v4 then v6 wildcard': [tcp(), tcp6(), bind(4, inet('127.0.0.1', 6001)), bind(5, in6('::', 6001))],
  'v6only wildcard and v4 share': [tcp6(), tcp(), v6only(4), bind(4, in6('::', 6002)), bind(5, inet('0.0.0.0', 6002)), gv6(4)],
  'v6 :: then v6only ::': [tcp6(), tcp6(), bind(4, in6('::', 6003)), v6only(5), bind(5, in6('::', 6003))],
  '::1 then ::': [tcp6(), tcp6(), bind(4, in6('::1', 6004)), bind(5, in6('::', 6004)), gv6(4)],
  '::1 and v4 wildcard': [tcp6(), tcp(), bind(4, in6('::1', 6005)), bind(5, inet('0.0.0.0', 6005))],
  'mapped and v4': [tcp6(), tcp(), bind(4, in6('::ffff:127.0.0.1', 6006)), bind(5, inet('127.0.0.1', 6006)), tcp(), bind(6, inet('0.0.0.0', 6006)), tcp6(), bind(7, in6('::', 6006)), tcp6(), v6only(8), bind(8, in6('::', 6006))],
  'mapped any': [tcp6(), tcp6(), bind(4, in6('::ffff:0.0.0.0', 6007)), bind(5, in6('::', 6007)), tcp6(), v6only(6), bind(6, in6('::', 6007)), tcp(), bind(7, inet('127.0.0.1', 6007)), tcp6(), bind(8, in6('::1', 6007))],
  'reuseaddr dual listen': [tcp6(), tcp(), setsockopt(4, SO_REUSEADDR), setsockopt(5, SO_REUSEADDR), bind(4, in6('::', 6010)), bind(5, inet('0.0.0.0', 6010)), listen(4), listen(5)],
  'udp dual': [udp6(), udp(), bind(4, in6('::', 6100)), bind(5, inet('127.0.0.1', 6100)), udp6(), bind(6, in6('::ffff:0.0.0.0', 6101)), bind(6, in6('::1', 6101))],
  'v4 and v6 clients of a dual-stack listener': [
    tcp6(), bind(4, in6('::', 7000)), listen(4, 5), tcp(), connect(5, inet('127.0.0.1', 7000)), accept(4, buf28),
    tcp6(), connect(7, in6('::1', 7000)), accept(4, buf28), ...names(7), ...names(8),
    tcp6(), connect(9, in6('::ffff:127.0.0.1', 7000)), accept(4, buf28), ...names(9), ...names(10), ...names(6), ...names(5),
  ],
  'v6 client of a v4 listener': [tcp(), bind(4, inet('127.0.0.1', 7001)), listen(4, 5), tcp6(), connect(5, in6('::ffff:127.0.0.1', 7001)), accept(4, buf28), ...names(5), ...names(6)],
  'v6 connects': [
    tcp(), bind(4, inet('127.0.0.1', 7001)), listen(4, 5),
    tcp6(), connect(5, in6('::', 7001)), tcp6(), connect(6, in6('::1', 7001)), tcp6(), connect(7, in6('::ffff:0.0.0.0', 7001)),
    tcp6(), connect(8, in6('2001:db8::1', 7001)), tcp6(), connect(9, in6('ff02::1', 7001)), tcp6(), connect(10, in6('fe80::1', 7001, { scope: 1 })),
    tcp6(), connect(11, in6('::ffff:10.0.0.1', 7001)), tcp6(), connect(12, in6('::1', 7001, { len: 23 })), connect(12, { ...in6('::1', 7001), family: AF_INET }),
    connect(12, inet('127.0.0.1', 7001)),
  ],
  'mapped-bound connects to ::': [tcp(), bind(4, inet('127.0.0.1', 7001)), listen(4, 5), tcp6(), bind(5, in6('::ffff:127.0.0.1', 0)), connect(5, in6('::', 7001)), ...names(5)],
  'v4 socket given sockaddr_in6': [tcp(), connect(4, in6('::1', 7000)), bind(4, in6('::1', 7000)), udp(), connect(5, in6('::1', 7000))],
  'udp connects': [
    udp6(), connect(4, in6('fe80::1', 9, { scope: 1 })), ...names(4), udp6(), connect(5, in6('ff02::1', 9)), udp6(), connect(6, in6('2001:db8::1', 9)), ...names(6),
    udp6(), connect(7, in6('::1', 9)), ...names(7), udp6(), connect(8, in6('::', 9)), ...names(8),
    udp6(), connect(9, in6('::ffff:127.0.0.1', 9)), ...names(9), connect(9, { ...in6('::', 0), family: AF_UNSPEC, len: 2 }), ...names(9),
    udp6(), connect(10, inet('127.0.0.1', 9)), ...names(10), connect(10, inet('127.0.0.1', 9, 8)),
    udp6(), v6only(11), connect(11, inet('127.0.0.1', 9)), connect(11, in6('::ffff:127.0.0.1', 9)),
    udp6(), connect(12, in6('::ffff:10.1.2.3', 9)), ...names(12),
    // Connected over IPv6, then over IPv4: the IPv4 connect sets inet_saddr, the IPv6 source stays.
    udp6(), connect(13, in6('::1', 9)), connect(13, in6('::ffff:127.0.0.1', 9)), ...names(13),
    connect(13, in6('::ffff:255.255.255.255', 9)), connect(13, inet('224.0.0.1', 9)), ...names(13),
  ],
  'binds': [
    tcp6(), bind(4, in6('::1', 0, { len: 23 })), bind(4, in6('::1', 0, { len: 24 })), ...names(4), gv6(4), v6only(4, 0),
    tcp6(), bind(5, in6('fe80::1', 0, { scope: 1 })), bind(5, in6('fe80::1', 0, { len: 24 })), bind(5, in6('::1', 0)),
    tcp6(), bind(6, in6('::2', 0)), bind(6, in6('2001:db8::1', 0)), bind(6, in6('::ffff:127.0.0.2', 0)), ...names(6),
    tcp6(), bind(7, in6('::ffff:10.0.0.1', 0)), bind(7, in6('::ffff:255.255.255.255', 0)), ...names(7),
    tcp6(), bind(8, in6('::127.0.0.1', 0)), bind(8, { ...in6('::1', 0), family: AF_INET }), bind(8, { ...in6('::1', 0), family: AF_UNSPEC }),
    bind(8, in6('::1', 80)), bind(8, in6('::', 0)), ...names(8), bind(8, in6('::1', 80)), bind(8, in6('::2', 5001)),
    udp6(), bind(9, in6('ff02::1', 0)), close(9), tcp6(), listen(9), ...names(9), v6only(9),
  ],
  'udp data between the families': [
    udp6(), bind(4, in6('::', 7200)), udp(), udp6(), udp6(),
    sendto(5, inet('127.0.0.1', 7200)), recvfrom(4), sendto(6, in6('::1', 7200)), recvfrom(4), sendto(6, in6('::ffff:127.0.0.1', 7200)), recvfrom(4),
    sendto(6, in6('::', 7200)), recvfrom(4), getsockname(6, buf28),
    sendto(7, in6('::1', 7200), MSG_OOB), sendto(7, in6('::ffff:127.0.0.1', 7200), MSG_OOB), send(7), send(7, MSG_OOB),
    sendto(7, in6('ff02::1', 9)), sendto(7, in6('fe80::1', 9, { scope: 1 })), sendto(7, in6('::ffff:224.0.0.1', 9)), sendto(7, in6('::ffff:255.255.255.255', 9)),
    sendto(7, in6('::ffff:10.1.2.3', 9)), sendto(7, in6('::1', 9, { len: 23 })), sendto(7, in6('::1', 9, { len: 24 })), sendto(7, in6('::1', 0)),
    sendto(7, inet('127.0.0.1', 7200)), recvfrom(4), sendto(7, { ...in6('::1', 7200), family: AF_INET }), recvfrom(4),
    sendto(7, { ...in6('::1', 7200), family: AF_UNSPEC }),
  ],
  'udp6 connected refusals': [
    udp6(), connect(4, in6('::1', 9)), send(4), send(4), udp6(), connect(5, in6('::ffff:127.0.0.1', 9)), send(5), send(5),
    udp6(), connect(6, in6('::1', 9)), sendto(6, in6('::1', 10)), send(6), udp6(), bind(7, in6('::ffff:0.0.0.0', 7201)), sendto(6, in6('::1', 7201)), recvfrom(7),
    udp6(), connect(8, in6('::1', 7200)), sendto(8, inet('127.0.0.1', 7201)), recvfrom(7), shutdown(8, 1), sendto(8, in6('::1', 7201)),
    udp6(), v6only(9), sendto(9, in6('::ffff:127.0.0.1', 9)), sendto(9, inet('127.0.0.1', 9)),
  ],
  'tcp6 data': [
    tcp6(), bind(4, in6('::', 7300)), listen(4), tcp6(), connect(5, in6('::1', 7300)), accept(4, buf28), send(5), recvfrom(6), send(6), recv(5),
    tcp(), connect(7, inet('127.0.0.1', 7300)), accept(4, buf28), send(7), recvfrom(8), send(8), recv(7),
  ],
  // SO_REUSEPORT sharing across the families (ipv4/inet_connection_sock.ts portShare with inet_rcv_saddr_equal),
  // the bucket's fast path with an AF_INET6 fast_sk_family, and a dual-stack reuseport listener.
  'reuseport between the families': [
    tcp6(), tcp(), rp(4), rp(5), bind(4, in6('::', 6200)), bind(5, inet('0.0.0.0', 6200)), listen(4), listen(5),
    tcp(), connect(6, inet('127.0.0.1', 6200)), tcp6(), connect(7, in6('::1', 6200)),
    tcp6(), tcp(), rp(8), rp(9), bind(8, in6('::ffff:127.0.0.1', 6201)), bind(9, inet('127.0.0.1', 6201)), tcp6(), rp(10), bind(10, in6('::ffff:127.0.0.2', 6201)),
    tcp6(), tcp(), rp(11), rp(12), bind(11, in6('::1', 6202)), bind(12, inet('127.0.0.1', 6202)), tcp6(), rp(13), v6only(13), bind(13, in6('::', 6202)),
  ],
  'reuseport fast path of an AF_INET6 bucket': [
    tcp6(), rp(4), bind(4, in6('::', 6210)), rp(4, 0), tcp(), rp(5), bind(5, inet('127.0.0.1', 6210)), tcp(), rp(6), bind(6, inet('0.0.0.0', 6210)),
    tcp6(), rp(7), bind(7, in6('::ffff:127.0.0.1', 6211)), rp(7, 0), tcp6(), rp(8), bind(8, in6('::ffff:127.0.0.1', 6211)), tcp(), rp(9), bind(9, inet('127.0.0.1', 6211)),
  ],
  'udp reuseport between the families': [
    udp6(), udp(), rp(4), rp(5), bind(4, in6('::', 6220)), bind(5, inet('127.0.0.1', 6220)), udp(), sendto(6, inet('127.0.0.1', 6220)), recvfrom(4), recvfrom(5),
    udp6(), rp(7), bind(7, in6('::1', 6220)), sendto(6, in6('::1', 6220)), udp6(), sendto(8, in6('::1', 6220)), recvfrom(7), recvfrom(4),
  ],
  // sendmsg's msg_name through udpv6_sendmsg, recvmsg's sockaddr_in6 (v4-mapped for an IPv4 sender).
  'sendmsg and recvmsg of AF_INET6 sockets': [
    udp6(), bind(4, in6('::', 7400)), udp6(), udp(),
    smsg(5, in6('::1', 7400)), rmsg(4), smsg(5, in6('::ffff:127.0.0.1', 7400)), rmsg(4), smsg(6, inet('127.0.0.1', 7400)), rmsg(4), rmsg(4, 16),
    smsg(5, in6('::1', 0)), smsg(5, in6('ff02::1', 9)), smsg(5, { ptr: 'ok', len: 28, family: AF_UNSPEC, addr: '::1', port: 7400 }),
    smsg(5, { ...in6('::1', 7400), family: AF_INET }), rmsg(4), smsg(5, in6('::1', 7400, { len: 23 })), smsg(5, inet('127.0.0.1', 7400)), rmsg(4),
    udp6(), bind(7, in6('::ffff:127.0.0.1', 0)), smsg(7, in6('::1', 7400)), connect(5, in6('::1', 7400)), smsg(5, { ptr: 'null', len: 0 }), rmsg(4),
  ],
  'options': [
    udp6(), v6only(4, 2), gv6(4), v6only(4, 1, { optlen: 3 }), v6only(4, 1, { optlen: 8 }),
    { op: 'setsockopt', fd: 4, level: IPPROTO_IPV6, name: IPV6_V6ONLY, value: 1, optlen: 4, ptr: 'null' }, gv6(4),
    { op: 'setsockopt', fd: 4, level: IPPROTO_IPV6, name: IPV6_V6ONLY, value: 1, optlen: 4, ptr: 'bad' },
    { op: 'setsockopt', fd: 4, level: IPPROTO_IPV6, name: 9999, value: 1, optlen: 4, ptr: 'bad' },
    { op: 'setsockopt', fd: 4, level: IPPROTO_IPV6, name: 9999, value: 1, optlen: 4 },
    { op: 'setsockopt', fd: 4, level: 999, name: 1, value: 1, optlen: 4 },
    getsockopt(4, IPV6_V6ONLY, { level: IPPROTO_IPV6, opt: { ptr: 'null', lenPtr: 'ok', len: 4 } }),
    getsockopt(4, IPV6_V6ONLY, { level: IPPROTO_IPV6, opt: { ptr: 'ok', lenPtr: 'ok', len: -1 } }),
    getsockopt(4, IPV6_V6ONLY, { level: IPPROTO_IPV6, opt: { ptr: 'ok', lenPtr: 'ok', len: 2 } }),
    getsockopt(4, IPV6_V6ONLY, { level: IPPROTO_IPV6, opt: { ptr: 'ok', lenPtr: 'null', len: 2 } }),
    getsockopt(4, 9999, { level: IPPROTO_IPV6 }), getsockopt(4, SO_DOMAIN), getsockopt(4, 1, { level: 999 }),
    tcp(), setsockopt(5, IPV6_V6ONLY, 1, { level: IPPROTO_IPV6 }), getsockopt(5, IPV6_V6ONLY, { level: IPPROTO_IPV6 }),
  ],
};

describe('AF_INET6', () => {
  it.each(Object.entries(DUAL))('model_runs_%s', async (_name, calls) => {
    const session = await modelAdapter().open({ deadlineMs: 1 });
    const r = await runSequence(session, calls);
    expect(r.error).toBeUndefined();
    expect(r.divergence).toBeUndefined();
  });

  const why = linuxAvailable();
  (why === undefined ? it : it.skip)(`the_kernel_agrees_on_every_dual_stack_sequence${why === undefined ? '' : ` (skipped: ${why})`}`, async () => {
    const bad: string[] = [];
    for (const [name, calls] of Object.entries(DUAL)) {
      const session = await linuxAdapter.open({ deadlineMs: 50 });
      try {
        const r = await runSequence(session, calls);
        if (r.divergence || r.error) bad.push(`${name}: ${JSON.stringify(r.divergence ?? r.error)}`);
      } finally {
        await session.close();
      }
    }
    expect(bad).toEqual([]);
  });

  (why === undefined ? it : it.skip)(`the_c_reproducer_of_v6_sends_prints_what_the_adapter_saw${why === undefined ? '' : ` (skipped: ${why})`}`, async () => {
    // sendto, sendmsg's msg_name and a bind as sockaddr_in6 in the C program, directly and the adapter's way.
    const calls = [...DUAL['sendmsg and recvmsg of AF_INET6 sockets']!, sendto(5, in6('::1', 7400)), recvfrom(4)];
    const session = await linuxAdapter.open({ deadlineMs: 50 });
    let steps;
    try {
      const r = await runSequence(session, calls);
      expect(r.divergence).toBeUndefined();
      steps = r.steps.map((x) => ({ call: x.call, observed: x.observed }));
    } finally {
      await session.close();
    }
    const dir = mkdtempSync(join(tmpdir(), 'sockspec-inet6-repro-'));
    try {
      writeFileSync(join(dir, 'repro.c'), traceToC({ version: 1, adapter: 'linux', profile: session.profile, steps }));
      const cc = spawnSync('cc', ['-Wall', '-Werror', 'repro.c', '-o', 'repro'], { cwd: dir, encoding: 'utf8' });
      expect(cc.status, cc.stderr).toBe(0);
      const run = spawnSync('unshare', ['-rn', './repro'], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
      expect(run.status, run.stderr).toBe(0);
      // Ephemeral ports differ between the two runs: in names (:port) and in raw sockaddr bytes (the sender's sin6_port/sin_port).
      const mask = (l: string): string => l.replace(/:(3[2-9]\d{3}|[4-5]\d{4}|60\d{3})\b/g, ':EPH').replace(/addr=(0a00|0200)[0-9a-f]{4}/g, 'addr=$1EPH');
      const printed = run.stdout.split('\n').filter((l) => /^\d+: /.test(l)).map(mask);
      expect(printed).toEqual(steps.map((x, i) => mask(`${i + 1}: ${renderCall(x.call)} ${renderObserved(x.observed, x.call)}`)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
