/**
 * close(2): close_fd (EBADF) → fput → for the last reference, sock_close →
 * inet_release → tcp_close / udp_lib_close.
 */
import { produce } from 'immer';
import type { Call } from '../../spec/call.js';
import { lookupFile } from './fd.js';
import { fail, ok, type Outcome } from '../core/outcome.js';
import type { Sock, State } from '../core/state.js';
import { lingerResets, release, resetsOnClose } from '../ipv4/tcp.js';
import { unixClose } from '../unix/unix_ops.js';

export const CLOSE_RULES = [
  'close/EBADF', 'close/file', 'close/udp', 'close/tcp-unconnected', 'close/tcp-listener',
  'close/tcp-fin', 'close/tcp-last-ack', 'close/tcp-self', 'close/tcp-fin-wait2', 'close/tcp-reset-unread',
  'close/tcp-linger-reset',
] as const;

type CloseCall = Extract<Call, { op: 'close' }>;

export function closeStep(s: State, c: CloseCall): Outcome[] {
  const f = lookupFile(s, c.fd);
  if (f.errno) return [fail(s, 'close/EBADF', 'EBADF')];
  const o = s.objs[f.id];
  if (o !== undefined && o.kind === 'unix') return unixClose(s, c.fd, f.id, o); // AF_UNIX (model/unix*.ts): unix_release
  const rule = o === undefined || o.kind === 'file' ? 'close/file'
    // vsock_release → __vsock_release: off the unbound list, nothing sent (never connected).
    : o.kind === 'vsock' ? 'close/vsock'
    : o.proto === 'udp' ? 'close/udp'
    : tcpRule(o, f.id);
  const next = produce(s, (d) => {
    delete d.fds[c.fd];
    const obj = d.objs[f.id];
    if (obj === undefined) return;
    obj.refs--;
    if (obj.refs > 0) return;
    if (obj.kind === 'unix') return;
    if (obj.kind === 'file' || obj.kind === 'vsock' || obj.proto === 'udp') delete d.objs[f.id];
    else release(d, f.id);
  });
  return [ok(rule, 0, () => next)];
}

/** Which tcp_close path the last close of `sk` takes (see release in tcp.ts). */
function tcpRule(sk: Sock, id: number): (typeof CLOSE_RULES)[number] {
  if (sk.refs === 1 && resetsOnClose(sk)) return 'close/tcp-reset-unread';
  if (sk.refs === 1 && lingerResets(sk)) return 'close/tcp-linger-reset';
  switch (sk.st) {
    case 'LISTEN': return 'close/tcp-listener';
    case 'ESTABLISHED': return sk.peer === id ? 'close/tcp-self' : 'close/tcp-fin';
    case 'CLOSE_WAIT': return 'close/tcp-last-ack';
    // FIN already sent by shutdown(): the socket becomes a timewait socket as it is.
    case 'FIN_WAIT2': return 'close/tcp-fin-wait2';
    case 'CLOSE':
    case 'SYN_SENT':
    case 'LAST_ACK':
    case 'TIME_WAIT':
      return 'close/tcp-unconnected';
  }
}
