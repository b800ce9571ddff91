/**
 * sendmsg and recvmsg on the model, state by state, and the same sequences on the kernel
 * (each must agree call for call): what a control buffer does to a connected UDP send,
 * msg_namelen's clamp and write-back, msg_flags out, scatter, MSG_WAITALL's taken bytes.
 */
import { describe, expect, it } from 'vitest';
import { linuxAdapter, linuxAvailable } from '../../adapters/linux/index.js';
import { runSequence } from '../../harness/runner.js';
import type { AddrIn, Call, IovOut } from '../../spec/call.js';
import { MSG_DONTWAIT, MSG_TRUNC, MSG_WAITALL } from '../../spec/constants.js';
import { accept, bind, connect, inet, last, listen, runModel, sin, tcp, udp } from './helpers.js';

const why = linuxAvailable();
const to5000 = inet('127.0.0.1', 5000);
const smsg = (fd: number, name: AddrIn, controllen = 0, data = '6869'): Call => ({
  op: 'sendmsg', fd, flags: 0,
  msg: { ptr: 'ok', name, iov: 'ok', iovs: [{ ptr: 'ok', data }], iovlen: 1, control: 'ok', controllen, flags: 0 },
});
const rmsg = (fd: number, lens: number[], flags = 0, nameLen = 16): Call => ({
  op: 'recvmsg', fd, flags,
  msg: { ptr: 'ok', name: { ptr: 'ok', len: nameLen }, iov: 'ok', iovs: lens.map((len): IovOut => ({ ptr: 'ok', len })), iovlen: lens.length, control: 'ok', controllen: 99, flags: 0x1234 },
});
const none: AddrIn = { ptr: 'null', len: 0 };
const snd = (fd: number): Call => ({ op: 'send', fd, data: '6869', flags: 0 });

/** Sequences whose every answer the kernel must give as the model does (rules listed per call). */
const CASES: Record<string, { calls: Call[]; rules: string[] }> = {
  // A failed re-connect leaves 10.1.2.3:5000 in the flow key; a send on the cached route
  // goes there (stale-flow). A control buffer with no cmsg in it leaves udp_sendmsg's
  // `connected` set (only a parsed IP-level cmsg clears it): the sendmsg follows the same
  // stale key, and no ICMP error comes back for the send after it.
  control_buffer_without_a_cmsg_keeps_the_cached_route: {
    calls: [udp(), connect(4, inet('127.0.0.1', 7777)), connect(4, inet('10.1.2.3', 5000)), snd(4), snd(4), snd(4), smsg(4, none, 8), snd(4)],
    rules: ['socket/udp', 'connect/udp', 'connect/udp-ENETUNREACH', 'send/refused', 'send/sock-error', 'send/stale-flow', 'sendmsg/stale-flow', 'send/stale-flow'],
  },
  // udp_sendmsg parses the control buffer after the destination checks and before the
  // route lookup, a pending error and SEND_SHUTDOWN (sock_alloc_send_pskb): EINVAL wins.
  cmsg_between_the_destination_and_the_route: {
    calls: [udp(), smsg(4, { ...to5000, family: 10 }, 16), smsg(4, inet('10.1.2.3', 5000), 16)],
    rules: ['socket/udp', 'sendmsg/EAFNOSUPPORT', 'sendmsg/EINVAL-cmsg'],
  },
  cmsg_before_a_pending_error_and_shutdown: {
    calls: [udp(), connect(4, inet('127.0.0.1', 7777)), snd(4), smsg(4, none, 16), snd(4), { op: 'shutdown', fd: 4, how: 1 }, smsg(4, none, 16)],
    rules: ['socket/udp', 'connect/udp', 'send/refused', 'sendmsg/EINVAL-cmsg', 'send/sock-error', 'shutdown/other', 'sendmsg/EINVAL-cmsg'],
  },
  // msg_namelen 200 is clamped to sockaddr_storage (sendto would refuse it: EINVAL).
  namelen_beyond_sockaddr_storage_is_clamped: {
    calls: [udp(), bind(4, to5000), udp(), smsg(5, { ...to5000, len: 200 }), rmsg(4, [1, 1], 0, 200)],
    rules: ['socket/udp', 'bind/port', 'socket/udp', 'sendmsg/delivered', 'recvmsg/datagram'],
  },
  // MSG_TRUNC in msg_flags for a short buffer; the true length with MSG_TRUNC in flags.
  msg_flags_say_truncated: {
    calls: [udp(), bind(4, to5000), udp(), smsg(5, to5000, 0, '0102030405'), smsg(5, to5000, 0, '0102030405'), rmsg(4, [1, 2]), rmsg(4, [2], MSG_TRUNC)],
    rules: ['socket/udp', 'bind/port', 'socket/udp', 'sendmsg/delivered', 'sendmsg/delivered', 'recvmsg/datagram-trunc', 'recvmsg/datagram-trunc'],
  },
  // MSG_WAITALL: three bytes of eight are taken while the read waits; a later read finds none.
  waitall_takes_what_there_was: {
    calls: [tcp(), bind(4, to5000), listen(4), tcp(), connect(5, to5000), accept(4), smsg(5, none, 0, '616263'), rmsg(6, [4, 4], MSG_WAITALL), rmsg(6, [8], MSG_DONTWAIT)],
    rules: ['socket/tcp', 'bind/port', 'listen/bound', 'socket/tcp', 'connect/established', 'accept/ok', 'sendmsg/tcp-sent', 'recvmsg/tcp-waitall-blocks', 'recvmsg/tcp-EAGAIN'],
  },
};

describe('sendmsg and recvmsg on the model', () => {
  it.each(Object.entries(CASES))('%s', async (_name, c) => {
    const r = await runModel(c.calls);
    expect(r.map((x) => x.rule)).toEqual(c.rules);
  });

  it('recvmsg_writes_namelen_flags_and_controllen_and_scatters_the_bytes', async () => {
    const r = await last([udp(), bind(4, to5000), udp(), bind(5, inet('127.0.0.1', 6000)), smsg(5, to5000, 0, '0102030405'), rmsg(4, [2, 0, 8])]);
    expect(r.obs).toEqual({ kind: 'returned', ret: 5, data: '0102030405', addr: sin('127.0.0.1', 6000), addrlen: 16, msgFlags: 0, controllen: 0 });
  });

  it('a_failed_recvmsg_leaves_the_msghdr_as_passed', async () => {
    const r = await last([udp(), rmsg(4, [4], MSG_DONTWAIT)]);
    expect(r.obs).toEqual({ kind: 'returned', ret: -1, errno: 'EAGAIN', addr: 'a5'.repeat(16), addrlen: 16, msgFlags: 0x1234, controllen: 99 });
  });

  (why === undefined ? it : it.skip)(`the_kernel_answers_every_case_by_the_same_rules${why === undefined ? '' : ` (skipped: ${why})`}`, async () => {
    const bad: string[] = [];
    for (const [name, c] of Object.entries(CASES)) {
      const session = await linuxAdapter.open({ deadlineMs: 50 });
      try {
        const r = await runSequence(session, c.calls);
        if (r.divergence || r.error) bad.push(`${name}: ${r.error ?? JSON.stringify(r.steps.at(-1))}`);
        else if (JSON.stringify(r.steps.map((x) => x.rule)) !== JSON.stringify(c.rules)) bad.push(`${name}: ${r.steps.map((x) => x.rule).join(' ')}`);
      } finally {
        await session.close();
      }
    }
    expect(bad).toEqual([]);
  });
});
