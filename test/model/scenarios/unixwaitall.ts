/**
 * MSG_WAITALL on AF_UNIX stream reads (model/unixdata.ts): fewer bytes queued than asked, a
 * blocking read takes them and waits for more until the adapter's deadline ends it.
 */
import type { Call } from '../../../spec/call.js';
import { AF_UNIX, MSG_DONTWAIT, MSG_PEEK, MSG_WAITALL, SOCK_STREAM } from '../../../spec/constants.js';
import { buf16 } from '../helpers.js';
import type { Scenario } from '../scenario.js';

const pair: Call = { op: 'socketpair', domain: AF_UNIX, type: SOCK_STREAM, protocol: 0, sv: 'ok' };
const two: Call = { op: 'send', fd: 4, data: '6869', flags: 0 };

export const SCENARIOS: Record<string, Scenario> = {
  // (then the bytes taken by the interrupted read are gone: a non-blocking read finds none,
  // and a second MSG_WAITALL read takes nothing and waits as well).
  'recv/unix-waitall-blocks': { calls: [pair, two, { op: 'recv', fd: 5, len: 16, flags: MSG_WAITALL }, { op: 'recv', fd: 5, len: 16, flags: MSG_DONTWAIT }, two, { op: 'recv', fd: 5, len: 16, flags: MSG_WAITALL }] },
  // (MSG_PEEK|MSG_WAITALL returns what it peeked at once: unix_stream_read_generic breaks
  // after the first skb when peeking; the model names it unix-peek, checked here first.)
  'recvfrom/unix-waitall-blocks': { calls: [pair, two, { op: 'recvfrom', fd: 5, len: 16, flags: MSG_WAITALL | MSG_PEEK, out: buf16 }, { op: 'recvfrom', fd: 5, len: 16, flags: MSG_WAITALL, out: buf16 }] },
};
