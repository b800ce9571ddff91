/**
 * AF_VSOCK sockets (net/vmw_vsock/af_vsock.c), as far as sequences can go without a bind,
 * listen or connect that succeeds (see core/vsock_sock.ts): socket() through vsock_create, and
 * the family's ops table (core/proto_ops.ts). The calls themselves are in vsock_ops.ts
 * (addresses, accept, listen, shutdown, data) and vsock_sockopt.ts (options).
 * Checks in the kernel's order, each citing its function; measured on Linux 6.18 with the
 * virtio guest transport only.
 */
import { produce } from 'immer';
import type { Call } from '../../spec/call.js';
import {
  AF_VSOCK,
  O_RDWR,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOCK_SEQPACKET,
  SOCK_STREAM,
  POLLOUT,
  POLLWRNORM,
} from '../../spec/constants.js';
import { fail, ok, type Outcome } from '../core/outcome.js';
import { lowestFreeFd, type State } from '../core/state.js';
import { VSOCK_CALL_RULES, vsockCallStep, vsockSendmsg, vsockRecvmsg } from './vsock_ops.js';
import { VSOCK_OPT_RULES, vsockGetsockopt, vsockSetsockopt } from './vsock_sockopt.js';
import { newVsock, type VsockSock } from '../core/vsock_sock.js';
import type { ProtoOps } from '../core/proto_ops.js';

export const VSOCK_RULES = [
  'socket/vsock-EPROTONOSUPPORT',
  'socket/vsock-ESOCKTNOSUPPORT',
  'socket/vsock-ENODEV-dgram',
  'socket/vsock-stream',
  'socket/vsock-seqpacket',
  'close/vsock',
  ...VSOCK_CALL_RULES,
  ...VSOCK_OPT_RULES,
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
  if (type !== SOCK_STREAM && type !== SOCK_SEQPACKET && type !== SOCK_DGRAM)
    return [fail(s, 'socket/vsock-ESOCKTNOSUPPORT', 'ESOCKTNOSUPPORT')];
  // SOCK_DGRAM: vsock_assign_transport → "if (!new_transport || ...) return -ENODEV" without a
  // datagram transport (only vmci registers one).
  if (type === SOCK_DGRAM) {
    if (s.profile.vsock?.dgram)
      throw new Error('model: AF_VSOCK datagram sockets (a dgram transport) are not modelled');
    return [fail(s, 'socket/vsock-ENODEV-dgram', 'ENODEV')];
  }
  const fd = lowestFreeFd(s);
  if (fd >= s.profile.nofile) return [fail(s, 'socket/EMFILE', 'EMFILE')];
  const kind = type === SOCK_STREAM ? 'stream' : 'seqpacket';
  return [
    ok(`socket/vsock-${kind}`, fd, () =>
      produce(s, (d) => {
        const id = d.nextObj++;
        const v = newVsock(kind, O_RDWR | (flags & SOCK_NONBLOCK), s.profile);
        v.refs = 1;
        d.objs[id] = v;
        d.fds[fd] = { obj: id, cloexec: (flags & SOCK_CLOEXEC) !== 0 };
      }),
    ),
  ];
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

/**
 * close(2) of an fd of vsock socket `id`: vsock_release → __vsock_release on the last
 * reference (off the unbound list, nothing sent: never connected).
 */
function vsockRelease(s: State, fd: number, id: number): Outcome[] {
  const next = produce(s, (d) => {
    delete d.fds[fd];
    const v = d.objs[id] as VsockSock;
    v.refs--;
    if (v.refs > 0) return;
    delete d.objs[id];
  });
  return [ok('close/vsock', 0, () => next)];
}

/** AF_VSOCK's proto_ops (vsock_stream_ops, vsock_seqpacket_ops: the same functions for both). */
export const vsockOps: ProtoOps<VsockSock> = {
  // The adapters report no name after a call on an AF_VSOCK socket.
  named: (o) => o,
  bind: (s, _id, v, c) => vsockCallStep(s, v, c),
  connect: (s, _id, v, c) => vsockCallStep(s, v, c),
  listen: (s, _id, v, c) => vsockCallStep(s, v, c),
  accept: (s, _id, v, c) => vsockCallStep(s, v, c),
  getname: (s, _id, v, c) => vsockCallStep(s, v, c),
  shutdown: (s, _id, v, c) => vsockCallStep(s, v, c),
  release: (s, fd, id) => vsockRelease(s, fd, id),
  send: (s, _id, v, c) => vsockCallStep(s, v, c),
  recv: (s, _id, v, c) => vsockCallStep(s, v, c),
  sendmsg: (s, _id, _v, c, dest) => vsockSendmsg(s, c.flags, dest),
  recvmsg: (s, _id, _sk, c) => vsockRecvmsg(s, c.flags),
  setsockopt: (s, id, _v, c) => vsockSetsockopt(s, id, c),
  getsockopt: (s, _id, v, c) => vsockGetsockopt(s, v, c),
  poll: (_s, _id, v) => vsockPoll(v),
};
