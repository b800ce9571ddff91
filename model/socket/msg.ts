/**
 * sendmsg(2) and recvmsg(2): the struct msghdr checks of net/socket.c, then, on AF_INET
 * sockets, the same per-socket path as send/sendto (ipv4/udp_sendmsg.ts: sockSend) and recv/recvfrom
 * (ipv4/udp_recvmsg.ts: sockRecv); AF_UNIX sockets continue in unix/unix_msg.ts, AF_VSOCK ones in
 * vsock/vsock_ops.ts (vsockSendmsg, vsockRecvmsg). In the kernel's order (measured on 6.18,
 * each step below):
 *  1. __sys_sendmsg / __sys_recvmsg: "if (forbid_cmsg_compat && (flags & MSG_CMSG_COMPAT))
 *     return -EINVAL;" before the fd is looked at (the compat entry passes the flag itself);
 *  2. the fd: EBADF, ENOTSOCK (sockfd_lookup_light);
 *  3. copy_msghdr_from_user (or get_compat_msghdr): the msghdr copy (EFAULT);
 *     __copy_msghdr: msg_namelen is 0 for a NULL msg_name, negative → EINVAL, clamped to
 *     sizeof(sockaddr_storage); sendmsg copies msg_name in (move_addr_to_kernel: EFAULT),
 *     recvmsg keeps the user pointer for later; "if (msg->msg_iovlen > UIO_MAXIOV) return
 *     -EMSGSIZE;"; import_iovec: the iovec array copy (EFAULT; none for 0 entries), a
 *     negative iov_len → EINVAL (copy_iovec_from_user: "check for size_t not fitting in
 *     ssize_t");
 *  4. sendmsg only, ____sys_sendmsg: "if (msg_sys->msg_controllen > INT_MAX)" → ENOBUFS;
 *     then the control buffer: natively, beyond the 36-byte stack buffer sock_kmalloc
 *     refuses optmem_max or more (ENOBUFS) and copy_from_user faults (EFAULT); through the
 *     compat entry cmsghdr_from_user_compat_to_kern walks the compat cmsgs instead (no
 *     header fits in fewer than 12 bytes, and a NULL msg_control has none: kcmlen 0 →
 *     EINVAL, measured; a faulting first header →
 *     EFAULT; a zero cmsg_len fails CMSG_COMPAT_OK → EINVAL);
 *  5. sock_sendmsg / sock_recvmsg (ipv4/udp_sendmsg.ts / ipv4/udp_recvmsg.ts, rules `sendmsg/...`, `recvmsg/...`);
 *     the control buffer, always zero-filled here, reaches the protocol's cmsg parser,
 *     which refuses a zero cmsg_len (EINVAL) when a whole struct cmsghdr fits;
 *  6. recvmsg, ____sys_recvmsg after a result >= 0: move_addr_to_user of the source into
 *     msg_name when it is not NULL (msg_namelen gets the true length first), then msg_flags
 *     (MSG_TRUNC for a datagram longer than the iovecs) and msg_controllen (0: no control
 *     message is ever produced here, so MSG_CTRUNC never is either).
 */
import { type AddrIn, type Call, type IovIn, type IovOut, type MsgCommon, msgData } from '../../spec/call.js';
import { MSG_CMSG_COMPAT, SOCKADDR_STORAGE_LEN, UIO_MAXIOV } from '../../spec/constants.js';
import type { ErrnoName } from '../../spec/errno.js';
import { moveAddrToKernel, type Ctl } from '../core/addr.js';
import { fail, type Outcome } from '../core/outcome.js';
import { RECVMSG_PATH_RULES } from '../ipv4/udp_recvmsg.js';
import { SENDMSG_PATH_RULES } from '../ipv4/udp_sendmsg.js';
import type { State } from '../core/state.js';
import { UNIX_MSG_RULES } from '../unix/unix_msg.js';
import { VSOCK_MSG_RULES } from '../vsock/vsock_ops.js';
import type { SocketObj } from '../core/proto_ops.js';
import { sockfdLookup } from './fd.js';
import { opsOf } from './proto_ops.js';

const headerRules = <P extends string>(p: P) =>
  [
    `${p}/EINVAL-cmsg-compat`,
    `${p}/EFAULT`,
    `${p}/EINVAL-namelen`,
    `${p}/EMSGSIZE`,
    `${p}/EFAULT-iov`,
    `${p}/EINVAL-iov-len`,
  ] as const;

export const MSG_RULES = [
  ...headerRules('sendmsg'),
  'sendmsg/EFAULT-name',
  'sendmsg/ENOBUFS',
  'sendmsg/ENOBUFS-optmem',
  'sendmsg/EFAULT-control',
  'sendmsg/compat-EINVAL-cmsg',
  'sendmsg/compat-EFAULT-control',
  ...SENDMSG_PATH_RULES,
  ...headerRules('recvmsg'),
  'recvmsg/EFAULT-name',
  ...RECVMSG_PATH_RULES,
  ...UNIX_MSG_RULES,
  ...VSOCK_MSG_RULES,
] as const;

/**
 * net.core.optmem_max: 131072 since Linux 6.9 (measured on 6.18: a 131071-byte control
 * buffer is copied, a 131072-byte one refused). The generator keeps valid control lengths
 * far below it and invalid ones far above, so older kernels' 20480 answers the same.
 */
export const OPTMEM_MAX = 131072;
/** sizeof(struct cmsghdr), and of struct compat_cmsghdr. */
const CMSGHDR_LEN = 16;
const COMPAT_CMSGHDR_LEN = 12;
/** The stack buffer ____sys_sendmsg uses before it asks sock_kmalloc: sizeof(struct cmsghdr) + 20. */
const CTL_STACK = CMSGHDR_LEN + 20;
const INT_MAX = 0x7fffffff;

type SendmsgCall = Extract<Call, { op: 'sendmsg' }>;
type RecvmsgCall = Extract<Call, { op: 'recvmsg' }>;

/** __copy_msghdr's iovlen check and import_iovec, for the entries the kernel reads. */
function iovChecks<I extends IovIn | IovOut>(
  m: MsgCommon<I>,
): 'EMSGSIZE' | 'EFAULT-iov' | 'EINVAL-iov-len' | undefined {
  if (m.iovlen > UIO_MAXIOV) return 'EMSGSIZE';
  if (m.iovlen === 0) return undefined;
  if (m.iov !== 'ok') return 'EFAULT-iov';
  // Entries past those given are {NULL, 0}.
  for (const v of m.iovs.slice(0, m.iovlen)) {
    const len = v.ptr === 'ok' && 'data' in v ? v.data.length / 2 : (v as { len: number }).len;
    if (len < 0) return 'EINVAL-iov-len';
    if (v.ptr === 'null' && len > 0)
      throw new Error(
        'model: an iovec with a NULL base and a positive length (a fault during the copy) is not modelled',
      );
  }
  return undefined;
}

/** The calls' shared start: steps 1 to 3 above, or the failure that ends the call there. */
function header(s: State, c: SendmsgCall | RecvmsgCall, compat: boolean): Outcome | { id: number; sk: SocketObj } {
  const p = c.op;
  if (!compat && (c.flags & MSG_CMSG_COMPAT) !== 0) return fail(s, `${p}/EINVAL-cmsg-compat`, 'EINVAL');
  const l = sockfdLookup(s, c.fd);
  if (l.errno) return fail(s, `${p}/${l.errno}`, l.errno);
  const m = c.msg;
  if (m.ptr !== 'ok') return fail(s, `${p}/EFAULT`, 'EFAULT');
  if (m.name.ptr !== 'null' && m.name.len < 0) return fail(s, `${p}/EINVAL-namelen`, 'EINVAL');
  if (c.op === 'sendmsg' && c.msg.ptr === 'ok') {
    const dest = destOf(c.msg.name);
    if (dest !== null && moveAddrToKernel(dest) === 'EFAULT') return fail(s, 'sendmsg/EFAULT-name', 'EFAULT');
  }
  const iov = iovChecks<IovIn | IovOut>(m);
  if (iov !== undefined)
    return fail(s, `${p}/${iov}`, iov === 'EMSGSIZE' ? 'EMSGSIZE' : iov === 'EFAULT-iov' ? 'EFAULT' : 'EINVAL');
  return { id: l.id, sk: l.sk };
}

/**
 * A sendmsg that fails before the protocol: the adapters report the socket's address
 * after every sendmsg, as after send and sendto (nothing changed it).
 */
function withSendBound(s: State, fd: number, o: Outcome): Outcome {
  const l = sockfdLookup(s, fd);
  return l.errno ? o : opsOf(l.sk).named(o, l.sk);
}

/** The address the protocol sees: msg_name with its clamped length, or none (NULL, or length 0). */
function destOf(name: AddrIn): AddrIn | null {
  if (name.ptr === 'null' || name.len === 0) return null;
  return { ...name, len: Math.min(name.len, SOCKADDR_STORAGE_LEN) };
}

/** sendmsg; `compat` when it came through socketcall (compat_sys_socketcall → __compat_sys_sendmsg). */
export function sendmsgStep(s: State, c: SendmsgCall, compat = false): Outcome[] {
  const h = header(s, c, compat);
  if ('rule' in h) return [withSendBound(s, c.fd, h)];
  const m = c.msg;
  if (m.ptr !== 'ok') throw new Error('unreachable: header() refused the msghdr');
  const failHere = (rule: string, errno: ErrnoName): Outcome[] => [withSendBound(s, c.fd, fail(s, rule, errno))];
  if (m.controllen > INT_MAX) return failHere('sendmsg/ENOBUFS', 'ENOBUFS');
  let ctl: Ctl = 'none';
  if (m.controllen > 0) {
    if (compat) {
      // CMSG_COMPAT_FIRSTHDR: no header unless msg_controllen holds one, and none at NULL
      // (the walk starts at msg_control_user, NULL ends it at once).
      if (m.controllen < COMPAT_CMSGHDR_LEN || m.control === 'null')
        return failHere('sendmsg/compat-EINVAL-cmsg', 'EINVAL');
      if (m.control === 'bad') return failHere('sendmsg/compat-EFAULT-control', 'EFAULT');
      return failHere('sendmsg/compat-EINVAL-cmsg', 'EINVAL');
    }
    if (m.controllen > CTL_STACK && m.controllen >= OPTMEM_MAX) return failHere('sendmsg/ENOBUFS-optmem', 'ENOBUFS');
    if (m.control !== 'ok') return failHere('sendmsg/EFAULT-control', 'EFAULT');
    ctl = m.controllen >= CMSGHDR_LEN ? 'bogus' : 'empty';
  }
  // ____sys_sendmsg → sock_sendmsg → the family's sendmsg.
  return opsOf(h.sk).sendmsg(s, h.id, h.sk, c, destOf(m.name), msgData(m), ctl);
}

/** recvmsg; `compat` as for sendmsgStep (the compat layout changes none of these answers). */
export function recvmsgStep(s: State, c: RecvmsgCall, compat = false): Outcome[] {
  const h = header(s, c, compat);
  if ('rule' in h) return [h];
  const m = c.msg;
  if (m.ptr !== 'ok') throw new Error('unreachable: header() refused the msghdr');
  const total = m.iovs.slice(0, m.iovlen).reduce((n, v) => n + (v.ptr === 'ok' ? v.len : 0), 0);
  return opsOf(h.sk).recvmsg(s, h.id, h.sk, c, total);
}
