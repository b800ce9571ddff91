/**
 * AF_VSOCK sockets (net/vmw_vsock/af_vsock.c), as far as sequences can go without a bind,
 * listen or connect that succeeds (see vsockstate.ts): socket() through vsock_create, and
 * the entry point for every call whose fd is a vsock socket. The calls themselves are in
 * vsockcalls.ts (addresses, accept, listen, shutdown, data) and vsockopt.ts (options).
 * Checks in the kernel's order, each citing its function; measured on Linux 6.18 with the
 * virtio guest transport only.
 */
import { produce } from 'immer';
import type { Call } from '../../spec/call.js';
import { AF_VSOCK, O_RDWR, SOCK_CLOEXEC, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_SEQPACKET, SOCK_STREAM } from '../../spec/constants.js';
import { fail, ok, type Outcome } from '../core/outcome.js';
import { lowestFreeFd, type State } from '../core/state.js';
import { VSOCK_CALL_RULES, vsockCallStep } from './vsock_ops.js';
import { VSOCK_OPT_RULES, vsockGetsockopt, vsockSetsockopt } from './vsock_sockopt.js';
import { newVsock, type VsockSock } from '../core/vsock_sock.js';
import { POLLOUT, POLLWRNORM } from '../../spec/constants.js';

export const VSOCK_RULES = [
  'socket/vsock-EPROTONOSUPPORT', 'socket/vsock-ESOCKTNOSUPPORT', 'socket/vsock-ENODEV-dgram',
  'socket/vsock-stream', 'socket/vsock-seqpacket', 'close/vsock',
  ...VSOCK_CALL_RULES, ...VSOCK_OPT_RULES,
] as const;

type SocketCall = Extract<Call, { op: 'socket' }>;

/**
 * socket(AF_VSOCK, type, protocol) once __sock_create found the family registered (the
 * flags and the type range are checked before, by the caller): vsock_create, then
 * sock_map_fd (EMFILE).
 */
export function vsockSocketStep(s: State, c: SocketCall, type: number, flags: number): Outcome[] {
  // vsock_create: "if (protocol && protocol != PF_VSOCK) return -EPROTONOSUPPORT;" before the type.
  if (c.protocol !== 0 && c.protocol !== AF_VSOCK) return [fail(s, 'socket/vsock-EPROTONOSUPPORT', 'EPROTONOSUPPORT')];
  if (type !== SOCK_STREAM && type !== SOCK_SEQPACKET && type !== SOCK_DGRAM) return [fail(s, 'socket/vsock-ESOCKTNOSUPPORT', 'ESOCKTNOSUPPORT')];
  // SOCK_DGRAM: vsock_assign_transport → "if (!new_transport || ...) return -ENODEV" without a
  // datagram transport (only vmci registers one).
  if (type === SOCK_DGRAM) {
    if (s.profile.vsock?.dgram) throw new Error('model: AF_VSOCK datagram sockets (a dgram transport) are not modelled');
    return [fail(s, 'socket/vsock-ENODEV-dgram', 'ENODEV')];
  }
  const fd = lowestFreeFd(s);
  if (fd >= s.profile.nofile) return [fail(s, 'socket/EMFILE', 'EMFILE')];
  const kind = type === SOCK_STREAM ? 'stream' : 'seqpacket';
  return [ok(`socket/vsock-${kind}`, fd, () => produce(s, (d) => {
    const id = d.nextObj++;
    const v = newVsock(kind, O_RDWR | (flags & SOCK_NONBLOCK), s.profile);
    v.refs = 1;
    d.objs[id] = v;
    d.fds[fd] = { obj: id, cloexec: (flags & SOCK_CLOEXEC) !== 0 };
  }))];
}

/** The vsock socket an fd refers to, if any. */
export function vsockAt(s: State, fd: number): { id: number; v: VsockSock } | undefined {
  const e = fd >= 0 ? s.fds[fd] : undefined;
  if (e === undefined) return undefined;
  const o = s.objs[e.obj];
  return o !== undefined && o.kind === 'vsock' ? { id: e.obj, v: o } : undefined;
}

/**
 * The outcomes of `c` when it names a vsock socket by its fd (undefined otherwise: the
 * inet model answers). close, fcntl, mmap, poll, select, sendfile, sendmsg and recvmsg
 * handle the kind themselves.
 */
export function vsockStep(s: State, c: Call): Outcome[] | undefined {
  if (c.op === 'socket' || c.op === 'socketpair' || c.op === 'sendfile' || c.op === 'socketcall' || c.op === 'poll' || c.op === 'select' || c.op === 'close' || c.op === 'fcntl' || c.op === 'mmap') return undefined;
  // sendmsg and recvmsg check the msghdr before the family is asked (model/msg.ts).
  if (c.op === 'sendmsg' || c.op === 'recvmsg') return undefined;
  const at = vsockAt(s, c.fd);
  if (at === undefined) return undefined;
  if (c.op === 'setsockopt') return vsockSetsockopt(s, at.id, c);
  if (c.op === 'getsockopt') return vsockGetsockopt(s, at.v, c);
  return vsockCallStep(s, at.v, c);
}

/**
 * vsock_poll on a connectible socket that never connected: no sk_err, sk_shutdown still 0
 * (vsock_shutdown leaves an unconnected socket before it sets bits), no transport (so no
 * POLLIN), and "if (sk->sk_state == TCP_CLOSE || ...) if (!(sk->sk_shutdown &
 * SEND_SHUTDOWN)) mask |= EPOLLOUT | EPOLLWRNORM". Measured: POLLOUT.
 */
export function vsockPoll(_v: VsockSock): number {
  return POLLOUT | POLLWRNORM;
}
