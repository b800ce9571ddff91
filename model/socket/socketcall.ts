/**
 * socketcall(2) as the 32-bit compat entry implements it (net/compat.c,
 * compat_sys_socketcall), in its order:
 *   1. call < SYS_SOCKET or call > SYS_SENDMMSG: EINVAL;
 *   2. copy_from_user of nas[call] bytes (the argument-count table, 32-bit words) from
 *      `args`: EFAULT when any of them cannot be read;
 *   3. dispatch to the call the number names (__sys_socket, __sys_bind, ...), which then
 *      answers exactly as the direct system call does: its outcomes and rules are the
 *      call's own.
 * net/socket.c's native sys_socketcall (32-bit kernels) has the same three steps with
 * nargs[] counted in longs.
 */
import type { Call } from '../../spec/call.js';
import { SOCKETCALL_NARGS, SOCKETCALL_NUM, SYS_SENDMMSG, SYS_SOCKET } from '../../spec/constants.js';
import { recvmsgStep, sendmsgStep } from './msg.js';
import { fail, type Outcome } from '../core/outcome.js';
import type { State } from '../core/state.js';
import { sockfdLookup } from './fd.js';
import { opsOf } from './proto_ops.js';

export const SOCKETCALL_RULES = ['socketcall/EINVAL-call', 'socketcall/EFAULT', 'socketcall/EFAULT-short'] as const;

type SocketcallCall = Extract<Call, { op: 'socketcall' }>;

/** `inner` is the model's step, so that a dispatched call is answered as the direct one. */
export function socketcallStep(s: State, c: SocketcallCall, inner: (s: State, c: Call) => Outcome[]): Outcome[] {
  if (c.num < SYS_SOCKET || c.num > SYS_SENDMMSG) return [fail(s, 'socketcall/EINVAL-call', 'EINVAL')];
  if (c.args !== 'ok') return [fail(s, 'socketcall/EFAULT', 'EFAULT')];
  const words = SOCKETCALL_NARGS[c.num]!;
  if (c.readable !== undefined && c.readable < words) return [asIs(s, c, 'socketcall/EFAULT-short')];
  if (c.call === undefined)
    throw new Error(`model: socketcall(${c.num}) with readable arguments needs the call they hold`);
  if (SOCKETCALL_NUM[c.call.op] !== c.num)
    throw new Error(
      `model: socketcall(${c.num}) cannot carry ${c.call.op} (its number is ${SOCKETCALL_NUM[c.call.op]})`,
    );
  // The msghdr calls take the compat layout and their compat paths (model/socket/msg.ts).
  if (c.call.op === 'sendmsg') return sendmsgStep(s, c.call, true);
  if (c.call.op === 'recvmsg') return recvmsgStep(s, c.call, true);
  return inner(s, c.call);
}

/**
 * A fault before dispatch changes nothing; the carried call's socket keeps its name (the
 * adapters report a bind, listen or connect target's local address after every call).
 */
function asIs(s: State, c: SocketcallCall, rule: string): Outcome {
  const o = fail(s, rule, 'EFAULT');
  const inner = c.call;
  if (
    inner === undefined ||
    (inner.op !== 'bind' &&
      inner.op !== 'listen' &&
      inner.op !== 'connect' &&
      inner.op !== 'send' &&
      inner.op !== 'sendto' &&
      inner.op !== 'sendmsg')
  )
    return o;
  const l = sockfdLookup(s, inner.fd);
  return l.errno ? o : opsOf(l.sk).named(o, l.sk);
}
