/**
 * The blocking MSG_WAITALL read of an AF_UNIX stream socket that finds fewer bytes queued
 * than it wants (recv, recvfrom and recvmsg share it). unix_stream_read_generic copies and
 * consumes what is queued, then, with no skb left and "copied < target" (target = the
 * length, sock_rcvlowat with MSG_WAITALL), no sock_error and no RCV_SHUTDOWN, sleeps in
 * unix_stream_data_wait; the adapter's deadline signal ends the sleep and the call returns
 * what it copied ("return copied ? : err"), which the adapters report as blocked (the
 * linux shim: waitall_cut). So: blocked, with the queue emptied.
 */
import { produce } from 'immer';
import { MSG_DONTWAIT, MSG_PEEK, MSG_WAITALL, O_NONBLOCK } from '../../spec/constants.js';
import { blocked, type Outcome } from '../core/outcome.js';
import { type State } from '../core/state.js';
import type { UnixSock } from '../core/unix_sock.js';
import { RCV_SHUTDOWN } from '../core/inet_sock.js';

export const UNIX_WAIT_RULES = [
  'recv/unix-waitall-blocks',
  'recvfrom/unix-waitall-blocks',
  'recvmsg/unix-waitall-blocks',
] as const;

/**
 * The outcome of such a read of `len` bytes on socket `id`, or undefined when the read does
 * not sleep for more. `finish` answers the cut-short read (its `n` bytes, from the first
 * skb's sender `from`, in the world `next`) as a read that returned: when it fails (the
 * address copy-out of recvfrom or recvmsg, move_addr_to_user after "return copied"), that
 * failure is the call's answer, which the adapters see as such, not as blocked.
 */
export function unixWaitall(
  s: State,
  p: 'recv' | 'recvfrom' | 'recvmsg',
  id: number,
  u: UnixSock,
  len: number,
  flags: number,
  finish?: (n: number, data: string, from: number, next: State) => Outcome,
): Outcome | undefined {
  if (u.type !== 'stream' || !(flags & MSG_WAITALL) || flags & (MSG_PEEK | MSG_DONTWAIT) || u.fileFlags & O_NONBLOCK)
    return undefined;
  const avail = u.rq.reduce((n, k) => n + k.data.length / 2, 0);
  if (avail === 0 || avail >= len || u.err !== null || u.shut & RCV_SHUTDOWN) return undefined;
  const next = produce(s, (d) => {
    (d.objs[id] as UnixSock).rq = [];
  });
  const done = finish?.(avail, u.rq.map((k) => k.data).join(''), u.rq[0]!.from, next);
  if (done !== undefined && done.expect.kind === 'returned' && done.expect.ret < 0) return done;
  return blocked(`${p}/unix-waitall-blocks`, () => next);
}
