/**
 * recv(2) and recvfrom(2) on AF_INET and AF_INET6 UDP sockets (udpv6_recvmsg writes a
 * sockaddr_in6, v4-mapped for an IPv4 source): __sys_recvfrom (sockfd_lookup_light:
 * EBADF, ENOTSOCK; O_NONBLOCK adds MSG_DONTWAIT) → sock_recvmsg → inet_recvmsg →
 * udp_recvmsg → __skb_recv_udp (sock_error first, then the queue, then
 * __skb_wait_for_more_packets: RCV_SHUTDOWN ends the wait with 0) → the copy (a short
 * buffer truncates the datagram, whose rest is discarded; MSG_TRUNC returns the real
 * length) → move_addr_to_user of the source, after the datagram was taken. TCP sockets
 * take their own path after the fd lookup (ipv4/tcp_recvmsg.ts).
 */
import { produce } from 'immer';
import type { Call } from '../../spec/call.js';
import {
  MSG_CMSG_COMPAT,
  MSG_DONTWAIT,
  MSG_ERRQUEUE,
  MSG_OOB,
  MSG_PEEK,
  MSG_TRUNC,
  MSG_WAITALL,
  O_NONBLOCK,
} from '../../spec/constants.js';
import { refuseUnknownFlags } from '../core/msg_flags.js';
import { moveAddrToUser, sockaddrInHex } from '../core/addr.js';
import { asFamily } from './family.js';
import { blocked, fail, type Outcome } from '../core/outcome.js';
import { type State } from '../core/state.js';
import { tcpRecvStep, TCP_RECV_RULE_SUFFIXES } from './tcp_recvmsg.js';
import { RCV_SHUTDOWN, type Sock } from '../core/inet_sock.js';
import type { CallOf } from '../core/proto_ops.js';
import type { Expected } from '../../spec/expected.js';

const rulesFor = <P extends string>(p: P) =>
  [
    `${p}/EBADF`,
    `${p}/ENOTSOCK`,
    `${p}/sock-error`,
    `${p}/EAGAIN`,
    `${p}/shutdown-eof`,
    `${p}/blocks`,
    `${p}/datagram`,
    `${p}/peek`,
    `${p}/EAGAIN-errqueue`,
  ] as const;

export const RECV_RULES = [
  ...rulesFor('recv'),
  ...rulesFor('recvfrom'),
  'recvfrom/EFAULT',
  'recvfrom/EINVAL-addrlen',
  ...TCP_RECV_RULE_SUFFIXES.map((r) => `recv/${r}` as const),
  ...TCP_RECV_RULE_SUFFIXES.map((r) => `recvfrom/${r}` as const),
] as const;

/** The rules recvmsg shares with recv and recvfrom (model/socket/msg.ts adds its msghdr checks). */
export const RECVMSG_PATH_RULES = [
  ...rulesFor('recvmsg'),
  'recvmsg/datagram-trunc',
  ...TCP_RECV_RULE_SUFFIXES.map((r) => `recvmsg/${r}` as const),
] as const;

type RecvCall = Extract<Call, { op: 'recv' | 'recvfrom' }>;

/**
 * Finishes a receive that got `ret` >= 0 (or blocked, with `blocks`): `kaddr` is the
 * source address the protocol wrote (hex, '' for none), `msgFlags` the msg_flags it set.
 */
export type Finish = (rule: string, ret: number, data: string, kaddr: string, next: State, msgFlags: number) => Outcome;

/**
 * sock_recvmsg on socket `id` into `len` bytes of buffer (recv's buffer, or recvmsg's
 * iovecs one after the other): the same path for recv, recvfrom and recvmsg (rules
 * `${p}/...`); `flags` already carry MSG_DONTWAIT for an O_NONBLOCK file where the
 * syscall adds it (the model reads the file's flags itself).
 */
export function sockRecv(
  s: State,
  p: 'recv' | 'recvfrom' | 'recvmsg',
  id: number,
  len: number,
  flags: number,
  finish: Finish,
): Outcome[] {
  const sock = s.objs[id] as Sock;
  const base = MSG_DONTWAIT | MSG_PEEK | MSG_TRUNC | MSG_WAITALL | MSG_ERRQUEUE | MSG_CMSG_COMPAT;
  refuseUnknownFlags(
    flags,
    sock.proto === 'tcp' ? base | MSG_OOB : base,
    sock.proto === 'tcp' ? 'a TCP receive' : 'a UDP receive',
  );
  // tcp_recvmsg, udp_recvmsg, udpv6_recvmsg, first of all: "if (flags & MSG_ERRQUEUE) return
  // inet_recv_error(...)" (ip_recv_error / ipv6_recv_error), whose sock_dequeue_err_skb finds
  // nothing: "err = -EAGAIN; skb = sock_dequeue_err_skb(sk); if (!skb) goto out;", in any state,
  // blocking or not. Nothing here queues on sk_error_queue (IP_RECVERR, IPV6_RECVERR,
  // SO_TIMESTAMPING and MSG_ZEROCOPY are refused), and sk_err is left alone.
  if (flags & MSG_ERRQUEUE) return [fail(s, `${p}/EAGAIN-errqueue`, 'EAGAIN')];
  if (sock.proto === 'tcp')
    return tcpRecvStep(s, p, id, sock, len, flags, (rule, ret, data, next) => finish(rule, ret, data, '', next, 0));
  // __skb_recv_udp: "error = sock_error(sk); if (error) goto busy_check_fail;" (read and cleared).
  if (sock.err !== null) {
    const next = produce(s, (d) => {
      (d.objs[id] as Sock).err = null;
    });
    return [{ rule: `${p}/sock-error`, expect: { kind: 'returned', ret: -1, errno: sock.err }, next: () => next }];
  }
  const dg = sock.rq[0];
  if (dg === undefined) {
    const nonblock = (flags & MSG_DONTWAIT) !== 0 || (sock.fileFlags & O_NONBLOCK) !== 0;
    // timeo is 0: no wait, -EAGAIN.
    if (nonblock) return [fail(s, `${p}/EAGAIN`, 'EAGAIN')];
    // __skb_wait_for_more_packets: "if (sk->sk_shutdown & RCV_SHUTDOWN) goto out_noerr;" → 0.
    // udp_recvmsg then wrote no address: msg_namelen stays 0 for move_addr_to_user.
    if (sock.shut & RCV_SHUTDOWN) return [finish(`${p}/shutdown-eof`, 0, '', '', s, 0)];
    return [blocked(`${p}/blocks`, () => s)];
  }
  const ulen = dg.data.length / 2;
  const copied = Math.min(Math.max(len, 0), ulen);
  // "if (flags & MSG_TRUNC) err = ulen;" else the bytes copied.
  const ret = flags & MSG_TRUNC ? ulen : copied;
  const data = dg.data.slice(0, 2 * copied);
  const peek = (flags & MSG_PEEK) !== 0;
  const next = peek
    ? s
    : produce(s, (d) => {
        (d.objs[id] as Sock).rq.shift();
      });
  // udp_recvmsg: "if (copied > ulen - off) copied = ulen - off; else if (copied < ulen)
  // msg->msg_flags |= MSG_TRUNC;"
  const truncated = copied < ulen;
  const rule = peek ? `${p}/peek` : p === 'recvmsg' && truncated ? 'recvmsg/datagram-trunc' : `${p}/datagram`;
  // An AF_INET6 receiver shows an IPv4 source v4-mapped in a sockaddr_in6 (udpv6_recvmsg,
  // recvmsg's msg_name too).
  return [
    finish(
      rule,
      ret,
      data,
      sockaddrInHex({ addr: asFamily(sock.family, dg.from.addr), port: dg.from.port }),
      next,
      truncated ? MSG_TRUNC : 0,
    ),
  ];
}

/**
 * A recv that got `ret` >= 0: recvfrom with an address buffer then runs
 * move_addr_to_user with the `kaddr` udp_recvmsg filled ("if (err >= 0 && addr != NULL) {
 * err2 = move_addr_to_user(...); if (err2 < 0) err = err2; }"), whose failure is the
 * call's answer although the datagram was taken.
 */
function answer(c: RecvCall, rule: string, ret: number, data: string, kaddr: string, next: State): Outcome {
  if (c.op === 'recvfrom' && c.out.ptr !== 'null') {
    const copy = moveAddrToUser(c.out, kaddr, next.profile);
    const outp: { addr?: string; addrlen?: number } = {};
    if (copy.addr !== undefined) outp.addr = copy.addr;
    if (copy.addrlen !== undefined) outp.addrlen = copy.addrlen;
    if (copy.errno)
      return {
        rule: copy.errno === 'EINVAL' ? 'recvfrom/EINVAL-addrlen' : 'recvfrom/EFAULT',
        expect: { kind: 'returned', ret: -1, errno: copy.errno, ...outp },
        next: () => next,
      };
    return { rule, expect: { kind: 'returned', ret, data, ...outp }, next: () => next };
  }
  return { rule, expect: { kind: 'returned', ret, data }, next: () => next };
}

/** recv(2) and recvfrom(2) on AF_INET and AF_INET6 sockets: sock_recvmsg, then the source address copied out. */
export function inetRecv(s: State, id: number, c: RecvCall): Outcome[] {
  return sockRecv(s, c.op, id, c.len, c.flags, (rule, ret, data, kaddr, next) =>
    answer(c, rule, ret, data, kaddr, next),
  );
}

/** recvmsg(2) on AF_INET and AF_INET6 sockets after the msghdr checks: sock_recvmsg, then msg_name copied out. */
export function inetRecvmsg(s: State, id: number, c: CallOf<'recvmsg'>, total: number): Outcome[] {
  const m = c.msg;
  if (m.ptr !== 'ok') throw new Error('unreachable: socket/msg.ts refused the msghdr');
  return sockRecv(s, 'recvmsg', id, total, c.flags, (rule, ret, data, kaddr, next, msgFlags) => {
    const e: Extract<Expected, { kind: 'returned' }> = { kind: 'returned', ret, data, msgFlags, controllen: 0 };
    if (m.name.ptr !== 'null') {
      const copy = moveAddrToUser({ ptr: m.name.ptr, lenPtr: 'ok', len: m.name.len }, kaddr, s.profile);
      if (copy.errno) {
        const f: Extract<Expected, { kind: 'returned' }> = { kind: 'returned', ret: -1, errno: copy.errno };
        if (copy.addr !== undefined) f.addr = copy.addr;
        if (copy.addrlen !== undefined) f.addrlen = copy.addrlen;
        return { rule: 'recvmsg/EFAULT-name', expect: f, next: () => next };
      }
      if (copy.addr !== undefined) e.addr = copy.addr;
      if (copy.addrlen !== undefined) e.addrlen = copy.addrlen;
    }
    return { rule, expect: e, next: () => next };
  });
}
