/**
 * setsockopt(2), the part in scope: SOL_SOCKET/SO_REUSEADDR. __sys_setsockopt (fd,
 * ENOTSOCK) → do_sock_setsockopt (optlen < 0) → sk_setsockopt (optlen < sizeof(int)).
 */
import { produce } from 'immer';
import type { Call } from '../spec/call.js';
import { SOL_SOCKET, SO_REUSEADDR } from '../spec/constants.js';
import { lookupSock } from './fd.js';
import { fail, ok, type Outcome } from './outcome.js';
import type { Sock, State } from './state.js';

export const SETSOCKOPT_RULES = [
  'setsockopt/EBADF', 'setsockopt/ENOTSOCK', 'setsockopt/EINVAL-optlen', 'setsockopt/SO_REUSEADDR',
] as const;

type SetsockoptCall = Extract<Call, { op: 'setsockopt' }>;

export function setsockoptStep(s: State, c: SetsockoptCall): Outcome[] {
  const l = lookupSock(s, c.fd);
  if (l.errno) return [fail(s, `setsockopt/${l.errno}`, l.errno)];
  if (c.level !== SOL_SOCKET || c.name !== SO_REUSEADDR) throw new Error(`model: setsockopt level ${c.level} name ${c.name} is not modelled`);
  if (c.optlen < 4) return [fail(s, 'setsockopt/EINVAL-optlen', 'EINVAL')];
  const next = produce(s, (d) => { (d.objs[l.id] as Sock).reuse = c.value !== 0; });
  return [ok('setsockopt/SO_REUSEADDR', 0, () => next)];
}
