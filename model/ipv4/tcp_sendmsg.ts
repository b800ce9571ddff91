/**
 * send(2) and sendto(2) on a TCP socket, after __sys_sendto's fd lookup and
 * move_addr_to_kernel (ipv4/udp_sendmsg.ts): inet_sendmsg → inet_send_prepare (TCP has no_autobind)
 * → tcp_sendmsg_locked. The address of a sendto is not looked at (only
 * tcp_sendmsg_fastopen reads msg_name; measured on 6.18: a connected socket sends to its
 * peer). Checks in tcp_sendmsg_locked's order:
 *  1. not ESTABLISHED/CLOSE_WAIT: sk_stream_wait_connect: sock_error, then EPIPE outside
 *     SYN_SENT, EAGAIN without a timeout, else it waits for the handshake;
 *  2. sendmsg's control buffer (sock_cmsg_send: EINVAL for a malformed cmsg);
 *  3. "if (sk->sk_err || (sk->sk_shutdown & SEND_SHUTDOWN)) goto do_error" (EPIPE);
 *     do_error → sk_stream_error: "if (err == -EPIPE) err = sock_error(sk) ? : -EPIPE"
 *     (SIGPIPE unless MSG_NOSIGNAL: Node ignores it, and so does the C reproducer);
 *  4. the copy loop (none for zero bytes: 0), sk_stream_memory_free (EAGAIN without a
 *     timeout when the send buffer is full of unacknowledged data), tcp_push (ipv4/tcp_output.ts).
 * MSG_OOB (urgent data, which the peer reads out of band) is not modelled.
 */
import { produce } from 'immer';
import type { ErrnoName } from '../../spec/errno.js';
import { MSG_DONTWAIT, MSG_OOB, O_NONBLOCK } from '../../spec/constants.js';
import { blocked, type Outcome } from '../core/outcome.js';
import { type State } from '../core/state.js';
import { sendsNow, transmit } from './tcp_output.js';
import { withBound } from './inet_name.js';
import { SEND_SHUTDOWN, type Sock } from '../core/inet_sock.js';

/** Callers: send, sendto, sendmsg (model/socket/msg.ts), each with its own rule prefix. */
export type SendOp = 'send' | 'sendto' | 'sendmsg';

export const TCP_SEND_RULE_SUFFIXES = [
  'tcp-sock-error',
  'tcp-EPIPE',
  'tcp-EAGAIN-connecting',
  'tcp-blocks-connecting',
  'tcp-empty',
  'tcp-sent',
  'tcp-queued',
  'tcp-EAGAIN-sndbuf',
] as const;

/** An SO_SNDBUF value small enough that a few unacknowledged skbs fill it (sk_stream_memory_free). */
const SMALL_SNDBUF = 65536;

/**
 * The outcomes of a send on TCP socket `id`, each with the address getsockname reports
 * after it (the adapter reads it after every send; TCP never autobinds here).
 */
export function tcpSendStep(
  s: State,
  p: SendOp,
  id: number,
  sock: Sock,
  data: string,
  flags: number,
  bogusCmsg = false,
): Outcome[] {
  return checks(s, p, id, sock, data, flags, bogusCmsg).map((o) =>
    withBound(o, o.next({ kind: 'blocked' }).objs[id] as Sock),
  );
}

function checks(
  s: State,
  p: SendOp,
  id: number,
  sock: Sock,
  data: string,
  flags: number,
  bogusCmsg: boolean,
): Outcome[] {
  if (flags & MSG_OOB) throw new Error(`model: ${p} with MSG_OOB on a TCP socket: urgent data is not modelled`);
  const nonblock = (flags & MSG_DONTWAIT) !== 0 || (sock.fileFlags & O_NONBLOCK) !== 0;
  const err = (rule: string, errno: ErrnoName, clears = false): Outcome => {
    const next = clears
      ? produce(s, (d) => {
          (d.objs[id] as Sock).err = null;
        })
      : s;
    return { rule: `${p}/${rule}`, expect: { kind: 'returned', ret: -1, errno }, next: () => next };
  };
  if (sock.st !== 'ESTABLISHED' && sock.st !== 'CLOSE_WAIT') {
    // sk_stream_wait_connect: "if (sk->sk_err) return sock_error(sk);"
    if (sock.err !== null) return [err('tcp-sock-error', sock.err, true)];
    // "if ((1 << sk->sk_state) & ~(TCPF_SYN_SENT | TCPF_SYN_RECV)) return -EPIPE;"
    if (sock.st !== 'SYN_SENT') return [err('tcp-EPIPE', 'EPIPE')];
    if (nonblock) return [err('tcp-EAGAIN-connecting', 'EAGAIN')];
    // Waits for the handshake, which only the SYN retransmission (>= 1 s) completes.
    return [blocked(`${p}/tcp-blocks-connecting`, () => s)];
  }
  // sendmsg's control buffer: "if (msg->msg_controllen) { err = sock_cmsg_send(sk, msg,
  // &sockc); if (unlikely(err)) { err = -EINVAL; goto out_err; } }" (a zero cmsg_len fails CMSG_OK).
  if (bogusCmsg) return [err('tcp-EINVAL-cmsg', 'EINVAL')];
  // "err = -EPIPE; if (sk->sk_err || (sk->sk_shutdown & SEND_SHUTDOWN)) goto do_error;"
  if (sock.err !== null) return [err('tcp-sock-error', sock.err, true)];
  if (sock.shut & SEND_SHUTDOWN) return [err('tcp-EPIPE', 'EPIPE')];
  const len = data.length / 2;
  if (len === 0) return [{ rule: `${p}/tcp-empty`, expect: { kind: 'returned', ret: 0 }, next: () => s }];
  const outs: Outcome[] = [];
  if (sendsNow(s, sock, len)) {
    const next = produce(s, (d) => {
      transmit(d, id, data);
    });
    outs.push({ rule: `${p}/tcp-sent`, expect: { kind: 'returned', ret: len }, next: () => next });
  } else {
    const next = produce(s, (d) => {
      (d.objs[id] as Sock).held.push(data);
    });
    outs.push({ rule: `${p}/tcp-queued`, expect: { kind: 'returned', ret: len }, next: () => next });
  }
  // sk_stream_memory_free: a small locked send buffer may be full of skbs that wait for
  // their ACK (or for Nagle); a blocking send waits for the ACK (the delayed-ACK timer
  // always comes) and then succeeds as above.
  if (nonblock && sock.sndbufLock && sock.sndbuf < SMALL_SNDBUF && (sock.unacked > 0 || sock.held.length > 0))
    outs.push(err('tcp-EAGAIN-sndbuf', 'EAGAIN'));
  return outs;
}
