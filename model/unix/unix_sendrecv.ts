/**
 * send, sendto, recv and recvfrom on AF_UNIX sockets: __sys_sendto / __sys_recvfrom
 * (net/socket.c: the address copied in first; O_NONBLOCK adds MSG_DONTWAIT) →
 * unix_stream_sendmsg / unix_dgram_sendmsg / unix_seqpacket_sendmsg and
 * unix_stream_read_generic / __unix_dgram_recvmsg / unix_seqpacket_recvmsg
 * (net/unix/af_unix.c), with sock_alloc_send_pskb's checks (sock_error, SEND_SHUTDOWN,
 * the send buffer: UNIX_SKB_TRUESIZE per skb not yet freed). MSG_OOB is not modelled.
 */
import { variantOf } from '../../spec/variants.js';
import { produce } from 'immer';
import type { AddrOut, Call } from '../../spec/call.js';
import type { ErrnoName } from '../../spec/errno.js';
import {
  MSG_CMSG_COMPAT,
  MSG_DONTWAIT,
  MSG_NOSIGNAL,
  MSG_OOB,
  MSG_PEEK,
  MSG_TRUNC,
  MSG_WAITALL,
  O_NONBLOCK,
} from '../../spec/constants.js';
import { refuseUnknownFlags } from '../core/msg_flags.js';
import { moveAddrToKernel, moveAddrToUser } from '../core/addr.js';
import { blocked, fail, type Outcome } from '../core/outcome.js';
import { type State } from '../core/state.js';
import { findAbstract, recvqFull, sunHex, UNIX_SKB_TRUESIZE, unixObj, unixSkbTruesize, wmemOf } from './af_unix.js';
import { dgramDisconnected, unixName } from './unix_ops.js';
import { unixWaitall } from './unix_wait.js';
import type { UnixSock } from '../core/unix_sock.js';
import { RCV_SHUTDOWN, SEND_SHUTDOWN } from '../core/inet_sock.js';

const sendRules = <P extends string>(p: P) =>
  [
    `${p}/unix-sock-error`,
    `${p}/unix-EPIPE`,
    `${p}/unix-EAGAIN`,
    `${p}/unix-blocks`,
    `${p}/unix-ENOTCONN`,
    `${p}/unix-ECONNREFUSED`,
    `${p}/unix-EPERM`,
    `${p}/unix-sent`,
  ] as const;
const recvRules = <P extends string>(p: P) =>
  [
    `${p}/unix-sock-error`,
    `${p}/unix-EAGAIN`,
    `${p}/unix-eof`,
    `${p}/unix-blocks`,
    `${p}/unix-data`,
    `${p}/unix-peek`,
  ] as const;

export const UNIX_DATA_RULES = [
  ...sendRules('send'),
  ...sendRules('sendto'),
  'sendto/unix-EISCONN',
  'sendto/unix-EINVAL',
  ...recvRules('recv'),
  ...recvRules('recvfrom'),
] as const;

type SendCall = Extract<Call, { op: 'send' | 'sendto' }>;
type RecvCall = Extract<Call, { op: 'recv' | 'recvfrom' }>;

function U(d: State, id: number): UnixSock {
  return d.objs[id] as UnixSock;
}

function nonblocking(u: UnixSock, flags: number): boolean {
  return (flags & MSG_DONTWAIT) !== 0 || (u.fileFlags & O_NONBLOCK) !== 0;
}

/**
 * `spliced`: sendfile's splice_to_socket (MSG_SPLICE_PAGES), which a stream socket charges
 * differently (unixSkbTruesize).
 */
export function unixSendStep(s: State, c: SendCall, id: number, u: UnixSock, spliced = false): Outcome[] {
  const p = c.op;
  // __sys_sendto: "if (addr) { move_addr_to_kernel(...); msg.msg_namelen = addr_len; }".
  let namelen = 0;
  if (c.op === 'sendto' && c.addr.ptr !== 'null') {
    const copy = moveAddrToKernel(c.addr);
    if (copy) return [fail(s, copy === 'EFAULT' ? 'sendto/EFAULT' : 'sendto/EINVAL-addrlen', copy)];
    namelen = c.addr.len;
  }
  if (c.flags & MSG_OOB) throw new Error('model: MSG_OOB on AF_UNIX sockets is not modelled');
  refuseUnknownFlags(c.flags, MSG_DONTWAIT | MSG_NOSIGNAL | MSG_CMSG_COMPAT, 'an AF_UNIX send');
  const len = c.data.length / 2;
  const nb = nonblocking(u, c.flags);
  const sent = (to: number): Outcome => ({
    rule: `${p}/unix-sent`,
    expect: { kind: 'returned', ret: len },
    next: () =>
      produce(s, (d) => {
        const truesize = unixSkbTruesize(len, spliced && u.type === 'stream');
        U(d, to).rq.push(
          truesize === UNIX_SKB_TRUESIZE ? { data: c.data, from: id } : { data: c.data, from: id, truesize },
        );
      }),
  });
  /** sock_alloc_send_pskb: sock_error (read and cleared), SEND_SHUTDOWN, then room in sk_sndbuf. */
  const alloc = (): Outcome | undefined => {
    if (u.err !== null) {
      const next = produce(s, (d) => {
        U(d, id).err = null;
      });
      return { rule: `${p}/unix-sock-error`, expect: { kind: 'returned', ret: -1, errno: u.err }, next: () => next };
    }
    if (u.shut & SEND_SHUTDOWN) return fail(s, `${p}/unix-EPIPE`, 'EPIPE');
    if (wmemOf(s, id) >= u.sndbuf)
      return nb ? fail(s, `${p}/unix-EAGAIN`, 'EAGAIN') : blocked(`${p}/unix-blocks`, () => s);
    return undefined;
  };
  if (u.type === 'stream') {
    // unix_stream_sendmsg: "if (msg->msg_namelen) err = sk_state == TCP_ESTABLISHED ? -EISCONN : -EOPNOTSUPP".
    if (namelen) return [fail(s, 'sendto/unix-EISCONN', 'EISCONN')];
    if (u.peer === null) return [fail(s, `${p}/unix-ENOTCONN`, 'ENOTCONN')];
    if (u.shut & SEND_SHUTDOWN) return [fail(s, `${p}/unix-EPIPE`, 'EPIPE')];
    // "while (sent < len)": nothing to allocate or queue for a zero-length send.
    if (len === 0) return [{ rule: `${p}/unix-sent`, expect: { kind: 'returned', ret: 0 }, next: () => s }];
    const early = alloc();
    if (early) return [early];
    const other = unixObj(s, u.peer);
    if (other === undefined || other.dead || other.shut & RCV_SHUTDOWN) return [fail(s, `${p}/unix-EPIPE`, 'EPIPE')];
    return [sent(u.peer)];
  }
  if (u.type === 'seqpacket') {
    // unix_seqpacket_sendmsg: sock_error first; the state (always ESTABLISHED for a pair); the address is ignored.
    if (u.err !== null) {
      const next = produce(s, (d) => {
        U(d, id).err = null;
      });
      return [{ rule: `${p}/unix-sock-error`, expect: { kind: 'returned', ret: -1, errno: u.err }, next: () => next }];
    }
    if (u.st !== 'ESTABLISHED') return [fail(s, `${p}/unix-ENOTCONN`, 'ENOTCONN')];
    namelen = 0;
  }
  // unix_dgram_sendmsg: the address, then the skb (sock_alloc_send_pskb), then the receiver.
  let name: string | undefined;
  if (namelen) {
    const n = unixName(c.op === 'sendto' ? c.addr : { ptr: 'null', len: 0 });
    if (n === 'EINVAL') return [fail(s, 'sendto/unix-EINVAL', 'EINVAL')];
    name = n;
  }
  // Variant unix-dgram-peer-check=before-alloc (6.1, 6.12): with no address, the peer is
  // looked up ("other = unix_peer_get(sk); if (!other) goto out", -ENOTCONN) before the skb.
  const peerCheckFirst = variantOf(s.profile.variants, 'unix-dgram-peer-check') === 'before-alloc';
  if (name === undefined && u.peer === null && peerCheckFirst) {
    return [fail(s, `${p}/unix-ENOTCONN`, 'ENOTCONN')];
  }
  const early = alloc();
  if (early) return [early];
  let to: number;
  if (name !== undefined) {
    const found = findAbstract(s, name, u.type);
    if (found === undefined) return [fail(s, `${p}/unix-ECONNREFUSED`, 'ECONNREFUSED')];
    to = found;
  } else {
    if (u.peer === null) return [fail(s, `${p}/unix-ENOTCONN`, 'ENOTCONN')];
    to = u.peer;
  }
  const other = unixObj(s, to)!;
  // unix_may_send: "!unix_peer(other) || unix_peer(other) == sk".
  if (!other.dead && other.peer !== null && other.peer !== id) return [fail(s, `${p}/unix-EPERM`, 'EPERM')];
  if (other.dead) {
    if (u.type === 'seqpacket') return [fail(s, `${p}/unix-EPIPE`, 'EPIPE')];
    // The peer died: disconnect (TCP_CLOSE, unix_dgram_disconnected purges our queue).
    const next = produce(s, (d) => {
      const x = U(d, id);
      x.peer = null;
      x.st = 'CLOSE';
      dgramDisconnected(d, id, to);
    });
    return [
      {
        rule: `${p}/unix-ECONNREFUSED`,
        expect: { kind: 'returned', ret: -1, errno: 'ECONNREFUSED' },
        next: () => next,
      },
    ];
  }
  if (other.shut & RCV_SHUTDOWN) return [fail(s, `${p}/unix-EPIPE`, 'EPIPE')];
  // "other != sk && unix_peer(other) != sk && unix_recvq_full_lockless(other)": wait or EAGAIN.
  if (to !== id && other.peer !== id && recvqFull(other))
    return [nb ? fail(s, `${p}/unix-EAGAIN`, 'EAGAIN') : blocked(`${p}/unix-blocks`, () => s)];
  return [sent(to)];
}

export function unixRecvStep(s: State, c: RecvCall, id: number, u: UnixSock): Outcome[] {
  const p = c.op;
  if (c.flags & MSG_OOB) throw new Error('model: MSG_OOB on AF_UNIX sockets is not modelled');
  refuseUnknownFlags(
    c.flags,
    MSG_DONTWAIT | MSG_PEEK | MSG_TRUNC | MSG_WAITALL | MSG_CMSG_COMPAT,
    'an AF_UNIX receive',
  );
  const nb = nonblocking(u, c.flags);
  const len = Math.max(c.len, 0);
  const peek = (c.flags & MSG_PEEK) !== 0;
  const sockError = (): Outcome => {
    const next = produce(s, (d) => {
      U(d, id).err = null;
    });
    return { rule: `${p}/unix-sock-error`, expect: { kind: 'returned', ret: -1, errno: u.err! }, next: () => next };
  };
  const eof = (): Outcome => answer(c, `${p}/unix-eof`, 0, '', '', s);
  const fromName = (from: number): string => {
    const o = unixObj(s, from);
    return o?.name != null ? sunHex(o) : '';
  };
  if (u.type === 'stream') {
    // unix_stream_read_generic: target = sock_rcvlowat (MSG_WAITALL: the whole length; at least 1).
    const all = u.rq.map((k) => k.data).join('');
    const avail = all.length / 2;
    if (avail === 0) {
      if (u.err !== null) return [sockError()];
      if (u.shut & RCV_SHUTDOWN) return [eof()];
      return [nb ? fail(s, `${p}/unix-EAGAIN`, 'EAGAIN') : blocked(`${p}/unix-blocks`, () => s)];
    }
    const n = Math.min(len, avail);
    const target = c.flags & MSG_WAITALL ? Math.max(len, 1) : 1;
    // A blocking MSG_WAITALL read that empties the queue short of its length sleeps for more (unix/unix_wait.ts).
    const waits = unixWaitall(s, p, id, u, len, c.flags, (k, data, from, next) =>
      answer(c, `${p}/unix-data`, k, data, fromName(from), next),
    ); // unix/unix_wait.ts
    if (waits !== undefined) return [waits];
    const data = all.slice(0, 2 * n);
    const kaddr = fromName(u.rq[0]!.from);
    if (peek) return [answer(c, `${p}/unix-peek`, n, data, kaddr, s)];
    const next = produce(s, (d) => {
      const x = U(d, id);
      let left = 2 * n;
      while (left > 0 && x.rq.length > 0) {
        const head = x.rq[0]!;
        if (head.data.length <= left) {
          left -= head.data.length;
          x.rq.shift();
        } else {
          head.data = head.data.slice(left);
          left = 0;
        }
      }
      // Short of a MSG_WAITALL target with the queue empty: the skb-less pass reads (and clears) sk_err.
      if (n < target && x.rq.length === 0) x.err = null;
    });
    return [answer(c, `${p}/unix-data`, n, data, kaddr, next)];
  }
  // __unix_dgram_recvmsg (seqpacket: unix_seqpacket_recvmsg's state check first; a pair stays ESTABLISHED).
  if (u.err !== null) return [sockError()];
  const skb = u.rq[0];
  if (skb === undefined) {
    if (nb) return [u.type === 'seqpacket' && u.shut & RCV_SHUTDOWN ? eof() : fail(s, `${p}/unix-EAGAIN`, 'EAGAIN')];
    // __skb_wait_for_more_packets: RCV_SHUTDOWN ends the wait with no error and no skb.
    if (u.shut & RCV_SHUTDOWN) return [eof()];
    return [blocked(`${p}/unix-blocks`, () => s)];
  }
  const size = skb.data.length / 2;
  const n = Math.min(len, size);
  const ret = c.flags & MSG_TRUNC ? size : n;
  const next = peek
    ? s
    : produce(s, (d) => {
        U(d, id).rq.shift();
      });
  return [
    answer(c, peek ? `${p}/unix-peek` : `${p}/unix-data`, ret, skb.data.slice(0, 2 * n), fromName(skb.from), next),
  ];
}

/**
 * A read that got `ret` >= 0: recvfrom copies the sender's address out (unix_copy_addr: an
 * unbound sender leaves msg_namelen 0, so only the length 0 is written), whose failure is
 * the call's answer although the bytes were taken.
 */
function answer(c: RecvCall, rule: string, ret: number, data: string, kaddr: string, next: State): Outcome {
  const shown = data.slice(0, 2 * Math.min(ret, c.len < 0 ? 0 : c.len));
  if (c.op === 'recvfrom' && c.out.ptr !== 'null') {
    const copy = moveAddrToUser(c.out as AddrOut, kaddr, next.profile);
    const o: { addr?: string; addrlen?: number } = {};
    if (copy.addr !== undefined) o.addr = copy.addr;
    if (copy.addrlen !== undefined) o.addrlen = copy.addrlen;
    if (copy.errno)
      return {
        rule: copy.errno === 'EINVAL' ? 'recvfrom/EINVAL-addrlen' : 'recvfrom/EFAULT',
        expect: { kind: 'returned', ret: -1, errno: copy.errno as ErrnoName, ...o },
        next: () => next,
      };
    return { rule, expect: { kind: 'returned', ret, data: shown, ...o }, next: () => next };
  }
  return { rule, expect: { kind: 'returned', ret, data: shown }, next: () => next };
}
