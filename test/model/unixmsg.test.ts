/**
 * sendmsg/recvmsg on AF_UNIX and AF_VSOCK sockets and sendfile into them, on the model
 * state by state and on the kernel (each sequence must agree call for call, by the same
 * rules): where scm_send sits in each type's order, msg_namelen for unnamed and abstract
 * senders, MSG_TRUNC, one record per sendfile, the send buffer a spliced stream skb
 * takes, and what a blocking MSG_WAITALL read leaves behind.
 */
import { describe, expect, it } from 'vitest';
import type { World } from '../../spec/adapter.js';
import type { Call } from '../../spec/call.js';
import { MSG_DONTWAIT, MSG_TRUNC, MSG_WAITALL, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_SEQPACKET, SOCK_STREAM, SO_SNDBUF } from '../../spec/constants.js';
import { runSequence } from '../../harness/runner.js';
import { modelAdapter } from '../../adapters/model/index.js';
import { linuxAdapter, linuxAvailable } from '../../adapters/linux/index.js';
import { close, setsockopt } from './helpers.js';
import { bufs, CTL16, pair, rmsg, sf, smsg, snd, uname } from './scenarios/unixmsg.js';

const why = linuxAvailable();
const bind = (fd: number): Call => ({ op: 'bind', fd, addr: uname() });
const recv = (fd: number, len = 16, flags = 0): Call => ({ op: 'recv', fd, len, flags });

/** Sequences whose every answer the kernel must give as the model does (rules listed per call). */
const CASES: Record<string, { world?: World; calls: Call[]; rules: string[] }> = {
  // scm_send is the first thing unix_stream_sendmsg does: EINVAL before the address (EISCONN) and SEND_SHUTDOWN.
  stream_cmsg_before_the_address_and_shutdown: {
    calls: [pair(), smsg(4, { ...CTL16, name: uname() }), { op: 'shutdown', fd: 4, how: 1 }, smsg(4, CTL16), smsg(4)],
    rules: ['socketpair/stream', 'sendmsg/unix-EINVAL-cmsg', 'shutdown/unix-peer', 'sendmsg/unix-EINVAL-cmsg', 'sendmsg/unix-EPIPE'],
  },
  // unix_dgram_sendmsg: scm_send before the peer's death is noticed (which disconnects).
  dgram_cmsg_before_the_dead_peer: {
    calls: [pair(SOCK_DGRAM), close(5), smsg(4, CTL16), smsg(4), smsg(4)],
    rules: ['socketpair/dgram', 'close/unix', 'sendmsg/unix-EINVAL-cmsg', 'sendmsg/unix-ECONNREFUSED', 'sendmsg/unix-ENOTCONN'],
  },
  // A control buffer shorter than a cmsghdr holds no cmsg: the bytes go.
  short_control_buffer_passes: {
    calls: [pair(SOCK_SEQPACKET), smsg(4, { control: 'ok', controllen: 8 }), rmsg(5)],
    rules: ['socketpair/seqpacket', 'sendmsg/unix-sent', 'recvmsg/unix-data'],
  },
  // The peer's abstract name in msg_name; a stream reader glues records, a seqpacket one does not.
  named_sender_and_records: {
    calls: [pair(SOCK_SEQPACKET), bind(4), smsg(4), smsg(4), rmsg(5, bufs(1)), rmsg(5, bufs(1), MSG_TRUNC)],
    rules: ['socketpair/seqpacket', 'bind/unix-abstract', 'sendmsg/unix-sent', 'sendmsg/unix-sent', 'recvmsg/unix-trunc', 'recvmsg/unix-trunc'],
  },
  // Two sendfiles make two records on a datagram pair (splice_to_socket: one sendmsg each).
  sendfile_makes_one_record_per_call: {
    world: { file: true },
    calls: [pair(SOCK_DGRAM), sf(5, 10), sf(5, 300), recv(6, 128), recv(6, 128), recv(6, 16, MSG_DONTWAIT)],
    rules: ['socketpair/dgram', 'sendfile/unix-sent', 'sendfile/unix-sent', 'recv/unix-data', 'recv/unix-data', 'recv/unix-EAGAIN'],
  },
  // A stream skb that splices pages charges 768 + its bytes: at SO_SNDBUF's 4608 minimum five of 300 fit, not four.
  spliced_stream_skbs_take_their_bytes: {
    world: { file: true },
    calls: [pair(SOCK_STREAM | SOCK_NONBLOCK), setsockopt(5, SO_SNDBUF, 0), ...[0, 1, 2, 3, 4].map(() => ({ op: 'sendfile', fd: 5, inFd: 4, offset: { ptr: 'ok', value: 0 }, count: 300 }) as Call), sf(5, 1)],
    rules: ['socketpair/stream', 'setsockopt/SO_SNDBUF', ...Array<string>(5).fill('sendfile/unix-sent'), 'sendfile/unix-EAGAIN'],
  },
  // A blocking MSG_WAITALL read takes the two bytes there were, then sleeps; nothing is left.
  waitall_takes_what_there_was: {
    calls: [pair(), snd(5), rmsg(4, bufs(4, 4), MSG_WAITALL), snd(5, '61'), recv(4, 16), recv(4, 16, MSG_DONTWAIT)],
    rules: ['socketpair/stream', 'send/unix-sent', 'recvmsg/unix-waitall-blocks', 'send/unix-sent', 'recv/unix-data', 'recv/unix-EAGAIN'],
  },
  // Cut short by the deadline, the read returns what it took and the address copy-out runs:
  // its failure is the answer (recvfrom's negative length; recvmsg's faulting msg_name for
  // a named sender), and the bytes are gone either way.
  waitall_then_a_failing_address_copy: {
    calls: [pair(), snd(5), { op: 'recvfrom', fd: 4, len: 16, flags: MSG_WAITALL, out: { ptr: 'ok', lenPtr: 'ok', len: -1 } }, recv(4, 16, MSG_DONTWAIT),
      bind(5), snd(5), rmsg(4, { name: { ptr: 'bad', len: 16 } }, MSG_WAITALL), recv(4, 16, MSG_DONTWAIT)],
    rules: ['socketpair/stream', 'send/unix-sent', 'recvfrom/EINVAL-addrlen', 'recv/unix-EAGAIN', 'bind/unix-abstract', 'send/unix-sent', 'recvmsg/EFAULT-name', 'recv/unix-EAGAIN'],
  },
};

async function rulesOn(adapter: typeof linuxAdapter, c: { world?: World; calls: Call[] }, deadlineMs: number): Promise<{ rules: string[]; error?: string }> {
  const session = await adapter.open({ deadlineMs, ...(c.world ? { world: c.world } : {}) });
  try {
    const r = await runSequence(session, c.calls);
    if (r.error !== undefined) return { rules: [], error: r.error };
    if (r.divergence) return { rules: [], error: `diverged at ${r.divergence.index}: ${JSON.stringify(r.steps.at(-1))}` };
    return { rules: r.steps.map((x) => x.rule ?? '?') };
  } finally {
    await session.close();
  }
}

describe('sendmsg, recvmsg and sendfile on AF_UNIX and AF_VSOCK sockets', () => {
  it.each(Object.entries(CASES))('%s on the model', async (_name, c) => {
    expect(await rulesOn(modelAdapter(), c, 1)).toEqual({ rules: c.rules });
  });

  it('recvmsg_reports_namelen_0_for_an_unnamed_sender_and_the_abstract_name_otherwise', async () => {
    const session = await modelAdapter().open({ deadlineMs: 1 });
    try {
      const r = await runSequence(session, [pair(SOCK_DGRAM), smsg(5), rmsg(4, bufs(1)), bind(5), smsg(5), rmsg(4, { name: { ptr: 'ok', len: 128 } })]);
      const unnamed = r.steps[2]!.observed;
      const named = r.steps[5]!.observed;
      expect(unnamed).toEqual({ kind: 'returned', ret: 1, data: '68', addr: 'a5'.repeat(16), addrlen: 0, msgFlags: MSG_TRUNC, controllen: 0 });
      // sun_family, then sun_path: "\0\0" and 127.0.0.1 and zeros up to the bound length 16.
      expect(named.kind === 'returned' ? [named.addrlen, named.addr?.slice(0, 32), named.msgFlags] : undefined).toEqual([16, '010000007f0000010000000000000000', 0]);
    } finally {
      await session.close();
    }
  });

  (why === undefined ? it : it.skip)(`the_kernel_answers_every_case_by_the_same_rules${why === undefined ? '' : ` (skipped: ${why})`}`, async () => {
    const bad: string[] = [];
    for (const [name, c] of Object.entries(CASES)) {
      const r = await rulesOn(linuxAdapter, c, 50);
      if (r.error !== undefined || JSON.stringify(r.rules) !== JSON.stringify(c.rules)) bad.push(`${name}: ${r.error ?? r.rules.join(' ')}`);
    }
    expect(bad).toEqual([]);
  });
});
