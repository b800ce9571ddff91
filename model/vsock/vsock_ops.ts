/**
 * The address, connection and data calls on an AF_VSOCK socket that is not bound, not
 * listening and not connected (core/vsock_sock.ts says why no other is ever made), in the
 * order of net/socket.c's entry points and af_vsock.c's vsock_stream_ops /
 * vsock_seqpacket_ops (the same functions for both types).
 */
import type { AddrIn, Call } from '../../spec/call.js';
import {
  AF_VSOCK,
  MSG_ERRQUEUE,
  MSG_OOB,
  SOCKADDR_VM_LEN,
  VMADDR_CID_ANY,
  VMADDR_CID_HOST,
  VMADDR_CID_LOCAL,
  VMADDR_FLAG_TO_HOST,
  VMADDR_PORT_ANY,
} from '../../spec/constants.js';
import type { Profile } from '../../spec/profile.js';
import { moveAddrToKernel, moveAddrToUser } from '../core/addr.js';
import { fail, type Outcome } from '../core/outcome.js';
import { type State } from '../core/state.js';
import type { VsockSock } from '../core/vsock_sock.js';

export const VSOCK_CALL_RULES = [
  'bind/vsock-EINVAL-addr',
  'bind/vsock-EADDRNOTAVAIL',
  'connect/vsock-EINVAL-addr',
  'listen/vsock-EINVAL-unbound',
  'accept/vsock-EINVAL-not-listening',
  'accept4/vsock-EINVAL-not-listening',
  'getsockname/vsock',
  'getpeername/vsock-ENOTCONN',
  'shutdown/vsock-ENOTCONN',
  'send/vsock-EOPNOTSUPP-oob',
  'send/vsock-ENOTCONN',
  'sendto/vsock-EOPNOTSUPP-oob',
  'sendto/vsock-EOPNOTSUPP-addr',
  'sendto/vsock-ENOTCONN',
  'recv/vsock-ENOTCONN',
  'recvfrom/vsock-ENOTCONN',
] as const;

type FdCall = Exclude<
  Call,
  {
    op:
      | 'socket'
      | 'socketpair'
      | 'sendfile'
      | 'socketcall'
      | 'poll'
      | 'select'
      | 'close'
      | 'fcntl'
      | 'mmap'
      | 'setsockopt'
      | 'getsockopt';
  }
>;

/**
 * vsock_addr_cast → vsock_addr_validate: shorter than sockaddr_vm (EFAULT), another family
 * (EAFNOSUPPORT), svm_flags beyond VMADDR_FLAG_TO_HOST (EINVAL); vsock_bind and
 * vsock_connect turn every one of them into EINVAL. True when the cast succeeds. A
 * sockaddr_in-shaped buffer of family AF_VSOCK reads as CID 0 with no flags (its bytes 8
 * to 15 are sin_zero).
 */
function castOk(a: AddrIn): boolean {
  if (a.ptr !== 'ok' || a.len < SOCKADDR_VM_LEN || a.family !== AF_VSOCK) return false;
  return ((a.vm?.flags ?? 0) & ~VMADDR_FLAG_TO_HOST & 0xff) === 0;
}

/**
 * vsock_find_cid for the transports of `p`, where the profile can tell: CID 0 is never
 * local, 1 with the loopback transport, 2 with a host-to-guest one. Any higher CID may be
 * the guest's own (transport_g2h->get_local_cid(), not in the profile), so it counts as
 * possibly local: the model then refuses the call rather than guess.
 */
export function vsockCidMayBeLocal(p: Profile, cid: number): boolean {
  if (cid === VMADDR_CID_LOCAL) return p.vsock?.loopback ?? false;
  if (cid === VMADDR_CID_HOST) return p.vsock?.h2g ?? false;
  return cid > VMADDR_CID_HOST;
}

/** getsockname's sockaddr_vm for an unbound socket: vsock_addr_init(VMADDR_CID_ANY, VMADDR_PORT_ANY). */
export function unboundVmHex(): string {
  const b = Buffer.alloc(SOCKADDR_VM_LEN);
  b.writeUInt16LE(AF_VSOCK, 0);
  b.writeUInt32LE(VMADDR_PORT_ANY, 4);
  b.writeUInt32LE(VMADDR_CID_ANY, 8);
  return b.toString('hex');
}

export function vsockCallStep(s: State, _v: VsockSock, c: FdCall): Outcome[] {
  switch (c.op) {
    case 'bind': {
      // vsock_bind, after __sys_bind's move_addr_to_kernel (socket/bind.ts).
      if (!castOk(c.addr) || c.addr.ptr !== 'ok') return [fail(s, 'bind/vsock-EINVAL-addr', 'EINVAL')];
      // __vsock_bind: "if (vsock_addr_bound(&vsk->local_addr)) return -EINVAL" (never bound here), then
      // "if (addr->svm_cid != VMADDR_CID_ANY && !vsock_find_cid(addr->svm_cid)) return -EADDRNOTAVAIL".
      const cid = (c.addr.vm?.cid ?? 0) >>> 0;
      if (cid !== VMADDR_CID_ANY && !vsockCidMayBeLocal(s.profile, cid))
        return [fail(s, 'bind/vsock-EADDRNOTAVAIL', 'EADDRNOTAVAIL')];
      throw new Error(
        'model: a vsock bind that may succeed is not modelled (it would register a port the hypervisor sees)',
      );
    }
    case 'connect': {
      // vsock_connect, after __sys_connect's move_addr_to_kernel (socket/connect.ts): SS_UNCONNECTED,
      // not listening, the cast.
      if (!castOk(c.addr)) return [fail(s, 'connect/vsock-EINVAL-addr', 'EINVAL')];
      throw new Error('model: a vsock connect with a valid address is not modelled (it reaches the host)');
    }
    // vsock_listen: connectible, SS_UNCONNECTED, then "if (!vsock_addr_bound(&vsk->local_addr)) err = -EINVAL".
    case 'listen':
      return [fail(s, 'listen/vsock-EINVAL-unbound', 'EINVAL')];
    case 'accept':
    case 'accept4': {
      // vsock_accept, after __sys_accept4_file's flags and free fd (socket/accept.ts):
      // "if (listener->sk_state != TCP_LISTEN) err = -EINVAL".
      return [fail(s, `${c.op}/vsock-EINVAL-not-listening`, 'EINVAL')];
    }
    case 'getsockname': {
      // vsock_getname(peer=0) copies local_addr (16 bytes), then move_addr_to_user.
      const copy = moveAddrToUser(c.out, unboundVmHex(), s.profile);
      const out: { addr?: string; addrlen?: number } = {};
      if (copy.addr !== undefined) out.addr = copy.addr;
      if (copy.addrlen !== undefined) out.addrlen = copy.addrlen;
      if (copy.errno)
        return [
          {
            rule: `getsockname/${copy.errno}`,
            expect: { kind: 'returned', ret: -1, errno: copy.errno, ...out },
            next: () => s,
          },
        ];
      return [{ rule: 'getsockname/vsock', expect: { kind: 'returned', ret: 0, ...out }, next: () => s }];
    }
    // vsock_getname(peer=1): "if (sock->state != SS_CONNECTED) err = -ENOTCONN", before any copy.
    case 'getpeername':
      return [fail(s, 'getpeername/vsock-ENOTCONN', 'ENOTCONN')];
    case 'shutdown': {
      // vsock_shutdown: "mode++; if ((mode & ~SHUTDOWN_MASK) || !mode) return -EINVAL;", then an
      // SS_UNCONNECTED connectible socket leaves with ENOTCONN before sk_shutdown is touched.
      const how = (c.how + 1) | 0;
      if ((how & ~3) !== 0 || how === 0) return [fail(s, 'shutdown/EINVAL-how', 'EINVAL')];
      return [fail(s, 'shutdown/vsock-ENOTCONN', 'ENOTCONN')];
    }
    case 'send':
    case 'sendto': {
      // __sys_sendto: the address (if any) is copied in and its length becomes msg_namelen.
      let namelen = 0;
      if (c.op === 'sendto' && c.addr.ptr !== 'null') {
        const copy = moveAddrToKernel(c.addr);
        if (copy) return [fail(s, copy === 'EFAULT' ? 'sendto/EFAULT' : 'sendto/EINVAL-addrlen', copy)];
        namelen = c.addr.len;
      }
      // vsock_connectible_sendmsg: MSG_OOB; "if (msg->msg_namelen) err = sk->sk_state ==
      // TCP_ESTABLISHED ? -EISCONN : -EOPNOTSUPP"; SEND_SHUTDOWN (never set here); then no
      // transport / not ESTABLISHED: ENOTCONN (sk_stream_error raises SIGPIPE for EPIPE only).
      if (c.flags & MSG_OOB) return [fail(s, `${c.op}/vsock-EOPNOTSUPP-oob`, 'EOPNOTSUPP')];
      if (namelen !== 0) return [fail(s, 'sendto/vsock-EOPNOTSUPP-addr', 'EOPNOTSUPP')];
      return [fail(s, `${c.op}/vsock-ENOTCONN`, 'ENOTCONN')];
    }
    // vsock_connectible_recvmsg: "if (!transport || sk->sk_state != TCP_ESTABLISHED)": SOCK_DONE
    // (never set: vsock_shutdown resets it, and only a connected peer's shutdown sets it) ? 0 :
    // -ENOTCONN, before MSG_OOB or the length; recvfrom copies no address on failure.
    case 'recv':
    case 'recvfrom':
      refuseErrqueue(c.flags);
      return [fail(s, `${c.op}/vsock-ENOTCONN`, 'ENOTCONN')];
    // model/socket/msg.ts answers them (the msghdr checks first), then vsockSendmsg / vsockRecvmsg.
    case 'sendmsg':
    case 'recvmsg':
      throw new Error(`unreachable: ${c.op} on an AF_VSOCK socket goes through model/socket/msg.ts`);
  }
}

/** The outcomes of sendmsg, recvmsg and sendfile on an unconnected vsock socket. */
export const VSOCK_MSG_RULES = [
  'sendmsg/vsock-EOPNOTSUPP-oob',
  'sendmsg/vsock-EOPNOTSUPP-addr',
  'sendmsg/vsock-ENOTCONN',
  'recvmsg/vsock-ENOTCONN',
] as const;

/**
 * sendmsg after ____sys_sendmsg copied the msghdr and the control buffer (model/socket/msg.ts):
 * vsock_connectible_sendmsg parses no cmsg, so a control buffer changes nothing; MSG_OOB,
 * then msg_name (`dest`, its length clamped: any non-zero msg_namelen on a socket not
 * ESTABLISHED is EOPNOTSUPP), then ENOTCONN (measured on 6.18, stream and seqpacket).
 */
export function vsockSendmsg(s: State, flags: number, dest: AddrIn | null): Outcome[] {
  if (flags & MSG_OOB) return [fail(s, 'sendmsg/vsock-EOPNOTSUPP-oob', 'EOPNOTSUPP')];
  if (dest !== null) return [fail(s, 'sendmsg/vsock-EOPNOTSUPP-addr', 'EOPNOTSUPP')];
  return [fail(s, 'sendmsg/vsock-ENOTCONN', 'ENOTCONN')];
}

/**
 * recvmsg after the msghdr checks: vsock_connectible_recvmsg's state check comes first
 * (ENOTCONN; SOCK_DONE is never set here), so msg_name, msg_namelen and msg_flags stay as
 * the caller left them (measured).
 */
export function vsockRecvmsg(s: State, flags: number): Outcome[] {
  refuseErrqueue(flags);
  return [fail(s, 'recvmsg/vsock-ENOTCONN', 'ENOTCONN')];
}

/**
 * MSG_ERRQUEUE: recent kernels read the error queue before the state check
 * (vsock_connectible_recvmsg → sock_recv_errqueue), older ones do not; not modelled.
 */
function refuseErrqueue(flags: number): void {
  if (flags & MSG_ERRQUEUE) throw new Error('model: MSG_ERRQUEUE on an AF_VSOCK receive is not modelled');
}
