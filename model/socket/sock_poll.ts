/**
 * What a file's ->poll reports (vfs_poll → sock_poll → tcp_poll / udp_poll, or the file's
 * own poll), before poll or select filter it. Pure: reads the state, changes nothing.
 */
import {
  POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP, POLLRDNORM, POLLWRBAND, POLLWRNORM,
} from '../../spec/constants.js';
import { RCV_SHUTDOWN, SEND_SHUTDOWN, type Obj, type Sock, type State } from '../core/state.js';
import { unixPoll } from '../unix/unix_poll.js';
import { vsockPoll } from '../vsock/af_vsock.js';

const SHUTDOWN_MASK = RCV_SHUTDOWN | SEND_SHUTDOWN;

/**
 * tcp_poll (net/ipv4/tcp.c), in its order: a listener answers
 * inet_csk_listen_poll (POLLIN|POLLRDNORM when its accept queue is not empty, nothing
 * else, not even POLLERR); otherwise POLLHUP when sk_shutdown is SHUTDOWN_MASK or the
 * state is TCP_CLOSE (a never-connected socket too), POLLIN|POLLRDNORM|POLLRDHUP when
 * RCV_SHUTDOWN is set; outside SYN_SENT, POLLIN|POLLRDNORM when bytes are queued
 * (tcp_stream_is_readable) and the socket is writable (__sk_stream_is_writeable: the
 * payloads are small; a small locked SO_SNDBUF full of unacknowledged skbs is not
 * modelled, see tcpsend.ts; or SEND_SHUTDOWN: POLLOUT|POLLWRNORM); POLLERR while sk_err is set
 * (sock_error clears it). No urgent data, so never POLLPRI.
 */
export function tcpPoll(sk: Sock): number {
  if (sk.st === 'LISTEN') return sk.queue.length > 0 ? POLLIN | POLLRDNORM : 0;
  let mask = 0;
  if (sk.shut === SHUTDOWN_MASK || sk.st === 'CLOSE') mask |= POLLHUP;
  if (sk.shut & RCV_SHUTDOWN) mask |= POLLIN | POLLRDNORM | POLLRDHUP;
  if (sk.st !== 'SYN_SENT' && sk.stream.length > 0) mask |= POLLIN | POLLRDNORM;
  if (sk.st !== 'SYN_SENT') mask |= POLLOUT | POLLWRNORM;
  if (sk.err !== null) mask |= POLLERR;
  return mask;
}

/**
 * udp_poll → datagram_poll (net/core/datagram.c): POLLERR while sk_err
 * is set, POLLRDHUP|POLLIN|POLLRDNORM after RCV_SHUTDOWN, POLLHUP when both directions are
 * shut, POLLIN|POLLRDNORM while a datagram is queued, and always writable (sock_writeable: POLLOUT|POLLWRNORM|POLLWRBAND). Connected or
 * not makes no difference (UDP is not connection_based).
 */
export function udpPoll(sk: Sock): number {
  let mask = 0;
  if (sk.err !== null) mask |= POLLERR;
  if (sk.shut & RCV_SHUTDOWN) mask |= POLLRDHUP | POLLIN | POLLRDNORM;
  // "if (!skb_queue_empty_lockless(&sk->sk_receive_queue)) mask |= EPOLLIN | EPOLLRDNORM;"
  if (sk.rq.length > 0) mask |= POLLIN | POLLRDNORM;
  if (sk.shut === SHUTDOWN_MASK) mask |= POLLHUP;
  return mask | POLLOUT | POLLWRNORM | POLLWRBAND;
}

/**
 * vfs_poll for any open file of the model: sockets by protocol; /dev/null and the regular
 * file have no ->poll (DEFAULT_POLLMASK: POLLIN|POLLOUT|POLLRDNORM|POLLWRNORM); the initial pipe's read end,
 * empty with its write end closed, reports only POLLHUP (pipe_poll: no writers, and the
 * file was made by pipe(2) so f_pipe differs from w_counter).
 */
export function filePoll(o: Obj, s: State, id: number): number {
  if (o.kind === 'unix') return unixPoll(s, id, o); // AF_UNIX (model/unix*.ts): unix_poll / unix_dgram_poll
  if (o.kind === 'socket') return o.proto === 'tcp' ? tcpPoll(o) : udpPoll(o);
  if (o.kind === 'vsock') return vsockPoll(o);
  return o.what !== 'pipe-read' ? POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM : POLLHUP;
}
