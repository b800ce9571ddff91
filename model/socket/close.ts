/**
 * close(2): close_fd (EBADF) → fput → for the last reference, the file's release: a
 * socket's family (->release: ipv4/af_inet.ts, unix/unix_ops.ts, vsock/af_vsock.ts), or
 * the file's own.
 */
import { produce } from 'immer';
import { fail, ok, type Outcome } from '../core/outcome.js';
import type { CallOf } from '../core/proto_ops.js';
import type { State } from '../core/state.js';
import { lookupFile } from './fd.js';
import { opsOf } from './proto_ops.js';

export const CLOSE_RULES = [
  'close/EBADF',
  'close/file',
  'close/udp',
  'close/tcp-unconnected',
  'close/tcp-listener',
  'close/tcp-fin',
  'close/tcp-last-ack',
  'close/tcp-self',
  'close/tcp-fin-wait2',
  'close/tcp-reset-unread',
  'close/tcp-linger-reset',
] as const;

export function closeStep(s: State, c: CallOf<'close'>): Outcome[] {
  const f = lookupFile(s, c.fd);
  if (f.errno) return [fail(s, 'close/EBADF', 'EBADF')];
  const o = s.objs[f.id];
  if (o !== undefined && o.kind !== 'file') return opsOf(o).release(s, c.fd, f.id, o);
  const next = produce(s, (d) => {
    delete d.fds[c.fd];
    const obj = d.objs[f.id];
    if (obj === undefined) return;
    obj.refs--;
    if (obj.refs > 0) return;
    delete d.objs[f.id];
  });
  return [ok('close/file', 0, () => next)];
}
