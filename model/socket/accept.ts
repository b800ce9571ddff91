/**
 * accept(2) and accept4(2): __sys_accept4 → __sys_accept4_file (the fd: EBADF; the flags;
 * a free fd: EMFILE) → do_accept (sock_from_file: ENOTSOCK) → the family's ->accept
 * (ipv4/inet_listen.ts, unix/unix_ops.ts, vsock/vsock_ops.ts).
 */
import { SOCK_CLOEXEC, SOCK_NONBLOCK } from '../../spec/constants.js';
import { fail, type Outcome } from '../core/outcome.js';
import type { CallOf } from '../core/proto_ops.js';
import { lowestFreeFd, type State } from '../core/state.js';
import { lookupFile } from './fd.js';
import { opsOf } from './proto_ops.js';

const rulesFor = <P extends string>(p: P) =>
  [
    `${p}/EBADF`,
    `${p}/EINVAL-flags`,
    `${p}/EMFILE`,
    `${p}/ENOTSOCK`,
    `${p}/EOPNOTSUPP`,
    `${p}/EINVAL-not-listening`,
    `${p}/EAGAIN`,
    `${p}/blocks`,
    `${p}/EFAULT`,
    `${p}/EINVAL-addrlen`,
    `${p}/ok`,
  ] as const;

/** accept() passes no flags, so it has no EINVAL-flags rule. */
export const ACCEPT_RULES = [...rulesFor('accept').filter((r) => r !== 'accept/EINVAL-flags'), ...rulesFor('accept4')];

export function acceptStep(s: State, c: CallOf<'accept' | 'accept4'>): Outcome[] {
  const p = c.op;
  const flags = c.op === 'accept4' ? c.flags : 0;
  const f = lookupFile(s, c.fd);
  if (f.errno) return [fail(s, `${p}/EBADF`, 'EBADF')];
  if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK)) return [fail(s, `${p}/EINVAL-flags`, 'EINVAL')];
  const newfd = lowestFreeFd(s);
  if (newfd >= s.profile.nofile) return [fail(s, `${p}/EMFILE`, 'EMFILE')];
  const o = s.objs[f.id];
  if (o === undefined || o.kind === 'file') return [fail(s, `${p}/ENOTSOCK`, 'ENOTSOCK')];
  return opsOf(o).accept(s, f.id, o, c, newfd);
}
