/**
 * Deliberately wrong models, for self-checks: a run against a correct implementation
 * must catch each and shrink it to a short trace.
 */
import type { Call } from '../../spec/call.js';
import { step, type Outcome, type State } from '../../model/index.js';

/** Claims listen() on an unbound TCP socket fails with EINVAL (Linux autobinds it). */
export function listenNeverAutobinds(s: State, c: Call): Outcome[] {
  const outs = step(s, c);
  if (c.op !== 'listen' || outs[0]?.rule !== 'listen/autobind') return outs;
  return [{ rule: 'mutant/listen-EINVAL', expect: { kind: 'returned', ret: -1, errno: 'EINVAL', bound: null }, next: () => s }];
}

/** Claims accept() hands the listener's O_NONBLOCK to the new socket (Linux does not). */
export function acceptInheritsNonblock(s: State, c: Call): Outcome[] {
  const outs = step(s, c);
  if (c.op !== 'fcntl' || c.cmd !== 3) return outs;
  const o = outs[0];
  if (o === undefined || o.expect.kind !== 'returned' || o.expect.ret < 0) return outs;
  const fd = s.fds[c.fd];
  const sk = fd && s.objs[fd.obj];
  if (!sk || sk.kind !== 'socket' || sk.remote === null || sk.ss !== 'CONNECTED') return outs;
  return [{ ...o, expect: { ...o.expect, ret: o.expect.ret | 0o4000 } }];
}
