/**
 * The AF_UNIX model (model/unix/) on its own: facts of af_unix.c that the per-rule
 * scenarios only touch, pinned on the model (the same sequences agree with the kernel in
 * test/property/unixdata.test.ts and the per-rule test). Names read <state>_<event>.
 */
import { describe, expect, it } from 'vitest';
import type { AddrIn, Call } from '../../spec/call.js';
import { AF_UNIX, AF_UNSPEC, MSG_DONTWAIT, MSG_PEEK, MSG_TRUNC, MSG_WAITALL, POLLIN, POLLOUT, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_STREAM, SOL_SOCKET, SO_ERROR, SO_SNDBUF } from '../../spec/constants.js';
import { close, connect, getpeername, getsockopt, last as lastOf, runModel as runOnModel, shutdown } from './helpers.js';
import { linuxAdapter, linuxAvailable } from '../../adapters/linux/index.js';
import { runSequence } from '../../harness/runner.js';

/** Every sequence pinned here, replayed on the kernel at the end. */
const seen: Call[][] = [];
const runModel = (calls: Call[]): ReturnType<typeof runOnModel> => { seen.push(calls); return runOnModel(calls); };
const last = (calls: Call[]): ReturnType<typeof lastOf> => { seen.push(calls); return lastOf(calls); };
const why = linuxAvailable();

const pair = (type: number): Call => ({ op: 'socketpair', domain: AF_UNIX, type, protocol: 0, sv: 'ok' });
const uname: AddrIn = { ptr: 'ok', len: 16, family: AF_UNIX, addr: '127.0.0.1', port: 0 };
const unspec: AddrIn = { ptr: 'ok', len: 2, family: AF_UNSPEC, addr: '0.0.0.0', port: 0 };
const snd = (fd: number, data: string, flags = 0): Call => ({ op: 'send', fd, data, flags });
const recv = (fd: number, len: number, flags = 0): Call => ({ op: 'recv', fd, len, flags });
const poll = (fd: number): Call => ({ op: 'poll', fds: 'ok', entries: [{ fd, events: 0xffff }], nfds: 1, timeout: 0 });

describe('socketpair', () => {
  it('fresh_world_stores_the_two_lowest_free_fds', async () => {
    const r = await runModel([close(1), pair(SOCK_STREAM)]);
    expect(r[1]!.obs).toMatchObject({ ret: 0, sv: [1, 4] });
  });
});

describe('stream pair', () => {
  it('two_sends_read_as_one_byte_stream_across_skbs', async () => {
    const r = await runModel([pair(SOCK_STREAM), snd(4, '6162'), snd(4, '6364'), recv(5, 3), recv(5, 16, MSG_DONTWAIT)]);
    expect(r[3]!.obs).toMatchObject({ ret: 3, data: '616263' });
    expect(r[4]!.obs).toMatchObject({ ret: 1, data: '64' });
  });
  it('queued_bytes_peek_across_skbs_without_taking_them_and_MSG_TRUNC_reads_as_usual', async () => {
    const r = await runModel([pair(SOCK_STREAM), snd(4, '61'), snd(4, '6263'), recv(5, 16, MSG_PEEK), recv(5, 2, MSG_TRUNC)]);
    expect(r[3]!.obs).toMatchObject({ ret: 3, data: '616263' });
    expect(r[4]!.obs).toMatchObject({ ret: 2, data: '6162' });
  });
  it('short_of_MSG_WAITALL_nonblocking_returns_what_there_is', async () => {
    expect((await last([pair(SOCK_STREAM), snd(4, '6162'), recv(5, 16, MSG_WAITALL | MSG_DONTWAIT)])).obs).toMatchObject({ ret: 2 });
  });
  it('peer_shut_write_reads_its_bytes_then_eof_and_polls_rdhup', async () => {
    const r = await runModel([pair(SOCK_STREAM), snd(4, '61'), shutdown(4, 1), recv(5, 16), recv(5, 16), poll(5)]);
    expect(r[3]!.obs).toMatchObject({ ret: 1 });
    expect(r[4]!.obs).toMatchObject({ ret: 0 });
    expect((r[5]!.obs as { revents: number[] }).revents[0]! & 0x2000).toBe(0x2000);
  });
  it('peer_closed_with_unread_data_reports_ECONNRESET_once_then_eof', async () => {
    const r = await runModel([pair(SOCK_STREAM), snd(4, '61'), close(5), getsockopt(4, SO_ERROR), recv(4, 16), snd(4, '62', 0x4000)]);
    expect(r[3]!.obs).toMatchObject({ ret: 0, optval: '68000000' });
    expect(r[4]!.obs).toMatchObject({ ret: 0 });
    expect(r[5]!.obs).toMatchObject({ ret: -1, errno: 'EPIPE' });
  });
  it('survivor_still_names_its_dead_peer', async () => {
    const r = await runModel([pair(SOCK_STREAM), { op: 'bind', fd: 5, addr: uname }, close(5), getpeername(4)]);
    expect(r[3]!.obs).toMatchObject({ ret: 0, addrlen: 16 });
  });
});

describe('datagram pair', () => {
  it('records_keep_their_boundaries_and_truncate', async () => {
    const r = await runModel([pair(SOCK_DGRAM), snd(4, '616263'), snd(4, '64'), recv(5, 1, MSG_TRUNC), recv(5, 16)]);
    expect(r[3]!.obs).toMatchObject({ ret: 3, data: '61' });
    expect(r[4]!.obs).toMatchObject({ ret: 1, data: '64' });
  });
  it('disconnect_with_queued_data_purges_it_and_resets_the_old_peer', async () => {
    const r = await runModel([pair(SOCK_DGRAM), snd(5, '61'), connect(4, unspec), recv(4, 16, MSG_DONTWAIT), getsockopt(5, SO_ERROR)]);
    expect(r[3]!.obs).toMatchObject({ ret: -1, errno: 'EAGAIN' });
    expect(r[4]!.obs).toMatchObject({ optval: '68000000' });
  });
  it('a_full_send_buffer_frees_as_the_peer_reads', async () => {
    const fill = Array.from({ length: 6 }, () => snd(4, '61'));
    const r = await runModel([pair(SOCK_DGRAM), { op: 'setsockopt', fd: 4, level: SOL_SOCKET, name: SO_SNDBUF, value: 0, optlen: 4 }, ...fill, snd(4, '61', MSG_DONTWAIT), poll(4), recv(5, 16), snd(4, '61', MSG_DONTWAIT)]);
    expect(r[8]!.obs).toMatchObject({ ret: -1, errno: 'EAGAIN' });
    expect((r[9]!.obs as { revents: number[] }).revents[0]! & POLLOUT).toBe(0);
    expect(r[11]!.obs).toMatchObject({ ret: 1 });
  });
});

describe('seqpacket pair', () => {
  it('peer_closed_nonblocking_read_is_eof_not_EAGAIN', async () => {
    const r = await runModel([pair(SOCK_SEQPACKET), close(5), recv(4, 16, MSG_DONTWAIT), poll(4)]);
    expect(r[2]!.obs).toMatchObject({ ret: 0 });
    expect((r[3]!.obs as { revents: number[] }).revents[0]! & POLLIN).toBe(POLLIN);
  });
});

describe('the kernel', () => {
  (why === undefined ? it : it.skip)(why === undefined ? 'agrees_on_every_sequence_above' : `agrees_on_every_sequence_above (skipped: ${why})`, async () => {
    expect(seen.length).toBeGreaterThan(8);
    for (const calls of seen) {
      const session = await linuxAdapter.open({ deadlineMs: 50 });
      try {
        const r = await runSequence(session, calls);
        expect(r.divergence, JSON.stringify(r.steps.at(-1))).toBeUndefined();
        expect(r.error).toBeUndefined();
      } finally {
        await session.close();
      }
    }
  });
});
