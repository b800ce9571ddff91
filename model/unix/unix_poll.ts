/**
 * What poll(2) and select(2) see of an AF_UNIX socket (net/unix/af_unix.c). Pure.
 */
import {
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLOUT,
  POLLRDHUP,
  POLLRDNORM,
  POLLWRBAND,
  POLLWRNORM,
} from '../../spec/constants.js';
import { type State } from '../core/state.js';
import { recvqFull, unixObj, unixWritable } from './af_unix.js';
import type { UnixSock } from '../core/unix_sock.js';
import { RCV_SHUTDOWN, SHUTDOWN_MASK } from '../core/inet_sock.js';

/**
 * unix_poll (stream) and unix_dgram_poll (dgram, seqpacket), in their order: POLLERR while
 * sk_err is set; POLLHUP when shut both ways; POLLRDHUP|POLLIN|POLLRDNORM after
 * RCV_SHUTDOWN; POLLIN|POLLRDNORM while the queue holds an skb; writable (POLLOUT|
 * POLLWRNORM|POLLWRBAND) when unix_writable and, for datagrams, the peer is not a socket
 * connected elsewhere whose queue is full (unix_dgram_peer_wake_me).
 */
export function unixPoll(s: State, id: number, u: UnixSock): number {
  let mask = 0;
  if (u.err !== null) mask |= POLLERR;
  if (u.shut === SHUTDOWN_MASK) mask |= POLLHUP;
  if (u.shut & RCV_SHUTDOWN) mask |= POLLRDHUP | POLLIN | POLLRDNORM;
  if (u.rq.length > 0) mask |= POLLIN | POLLRDNORM;
  let writable = unixWritable(s, id, u);
  if (writable && u.type !== 'stream') {
    const o = unixObj(s, u.peer);
    if (o !== undefined && o.peer !== id && recvqFull(o) && !o.dead) writable = false;
  }
  if (writable) mask |= POLLOUT | POLLWRNORM | POLLWRBAND;
  return mask;
}
