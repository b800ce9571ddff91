/**
 * recv(2) and recvfrom(2) on a TCP socket, after __sys_recvfrom's fd lookup (ipv4/udp_recvmsg.ts;
 * O_NONBLOCK adds MSG_DONTWAIT): inet_recvmsg → tcp_recvmsg → tcp_recvmsg_locked, in its
 * order:
 *  1. "err = -ENOTCONN; if (sk->sk_state == TCP_LISTEN) goto out;", then "if (flags &
 *     MSG_OOB) goto recv_urg;": tcp_recv_urg answers EINVAL when there is no urgent data
 *     ("if (sock_flag(sk, SOCK_URGINLINE) || !tp->urg_data || tp->urg_data == TCP_URG_READ)
 *     return -EINVAL;"), and no sequence here ever sends any (MSG_OOB sends are not generated);
 *  2. the copy loop takes queued bytes first, whatever else is true (up to len; MSG_PEEK
 *     leaves them queued; MSG_TRUNC drops them without copying, so the buffer keeps its
 *     0xa5 fill), and ends once something was copied (target is 1), or, with MSG_WAITALL
 *     (target = len, sock_rcvlowat), once len bytes were; with fewer, "if (copied) { if
 *     (!timeo || sk->sk_err || sk->sk_state == TCP_CLOSE || (sk->sk_shutdown &
 *     RCV_SHUTDOWN) || signal_pending(current)) break; }" returns the short count (the
 *     error stays set), and otherwise sk_wait_data sleeps with the bytes already taken: the
 *     adapter's deadline signal then ends it with the short count, observed as blocked
 *     (the bytes are gone from the queue; MSG_PEEK leaves them);
 *  3. with nothing copied: SOCK_DONE (the peer's FIN) → 0; sk_err → sock_error (read and
 *     cleared); RCV_SHUTDOWN → 0; TCP_CLOSE → ENOTCONN; no timeout → EAGAIN; else it
 *     waits (sk_wait_data) until the adapter's deadline signal. A zero-length read then
 *     returns 0: the loop runs "while (len > 0)", so after the wait it ends with copied 0
 *     instead of reaching the signal check (measured on 6.18).
 * tcp_recvmsg writes no address: recvfrom reports addrlen 0 (move_addr_to_user, klen 0).
 */
import { produce } from 'immer';
import { MSG_DONTWAIT, MSG_OOB, MSG_PEEK, MSG_TRUNC, MSG_WAITALL, O_NONBLOCK } from '../../spec/constants.js';
import { blocked, type Outcome } from '../core/outcome.js';
import { type State } from '../core/state.js';
import { RCV_SHUTDOWN, type Sock } from '../core/inet_sock.js';

export const TCP_RECV_RULE_SUFFIXES = [
  'tcp-ENOTCONN-listener',
  'tcp-data',
  'tcp-peek',
  'tcp-discard',
  'tcp-eof',
  'tcp-sock-error',
  'tcp-ENOTCONN',
  'tcp-EAGAIN',
  'tcp-blocks',
  'tcp-empty-wait',
  'tcp-waitall-short',
  'tcp-waitall-blocks',
  'tcp-EINVAL-oob',
] as const;

/** `answer` finishes a result >= 0 as ipv4/udp_recvmsg.ts does for UDP (recvfrom's address copy-out). */
export type Answer = (rule: string, ret: number, data: string, next: State) => Outcome;

export function tcpRecvStep(
  s: State,
  p: 'recv' | 'recvfrom' | 'recvmsg',
  id: number,
  sock: Sock,
  len: number,
  flags: number,
  answer: Answer,
): Outcome[] {
  const fail = (rule: string, errno: 'ENOTCONN' | 'EAGAIN' | 'EINVAL'): Outcome => ({
    rule: `${p}/${rule}`,
    expect: { kind: 'returned', ret: -1, errno },
    next: () => s,
  });
  if (sock.st === 'LISTEN') return [fail('tcp-ENOTCONN-listener', 'ENOTCONN')];
  if (flags & MSG_OOB) return [fail('tcp-EINVAL-oob', 'EINVAL')];
  const avail = sock.stream.length / 2;
  const want = Math.max(len, 0);
  const nonblock = (flags & MSG_DONTWAIT) !== 0 || (sock.fileFlags & O_NONBLOCK) !== 0;
  if (avail > 0) {
    // A zero-length read finds the skb and copies nothing: 0.
    const n = Math.min(want, avail);
    const peek = (flags & MSG_PEEK) !== 0;
    const trunc = (flags & MSG_TRUNC) !== 0;
    const data = trunc ? 'a5'.repeat(n) : sock.stream.slice(0, 2 * n);
    const next = peek
      ? s
      : produce(s, (d) => {
          const x = d.objs[id] as Sock;
          x.stream = x.stream.slice(2 * n);
        });
    if ((flags & MSG_WAITALL) !== 0 && n < want && !nonblock) {
      // Short of the target with a timeout: an error, TCP_CLOSE or RCV_SHUTDOWN ends the
      // loop with what was copied; otherwise it sleeps (see above).
      if (sock.err !== null || sock.st === 'CLOSE' || (sock.shut & RCV_SHUTDOWN) !== 0)
        return [answer(`${p}/tcp-waitall-short`, n, data, next)];
      // The interrupted read returns its short count; recvfrom then copies the address out,
      // whose failure (a negative *addrlen, even with klen 0) is the answer.
      const a = answer(`${p}/tcp-waitall-blocks`, n, data, next);
      if (a.expect.kind === 'returned' && a.expect.ret < 0) return [a];
      return [blocked(`${p}/tcp-waitall-blocks`, () => next)];
    }
    return [answer(`${p}/${peek ? 'tcp-peek' : trunc ? 'tcp-discard' : 'tcp-data'}`, n, data, next)];
  }
  if (sock.finRcvd) return [answer(`${p}/tcp-eof`, 0, '', s)];
  if (sock.err !== null) {
    const errno = sock.err;
    const next = produce(s, (d) => {
      (d.objs[id] as Sock).err = null;
    });
    return [{ rule: `${p}/tcp-sock-error`, expect: { kind: 'returned', ret: -1, errno }, next: () => next }];
  }
  if (sock.shut & RCV_SHUTDOWN) return [answer(`${p}/tcp-eof`, 0, '', s)];
  if (sock.st === 'CLOSE') return [fail('tcp-ENOTCONN', 'ENOTCONN')];
  if (nonblock) return [fail('tcp-EAGAIN', 'EAGAIN')];
  if (want === 0) return [answer(`${p}/tcp-empty-wait`, 0, '', s)];
  return [blocked(`${p}/tcp-blocks`, () => s)];
}
