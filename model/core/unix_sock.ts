/**
 * struct unix_sock (include/net/af_unix.h): what an AF_UNIX socket is in the model's world,
 * next to the AF_INET Sock (core/inet_sock.ts) and the AF_VSOCK socket (vsock_sock.ts). Plain data;
 * the behaviour is in model/unix/.
 */
import type { ErrnoName } from '../../spec/errno.js';

/** sock->type of an AF_UNIX socket (SOCK_RAW is made SOCK_DGRAM by unix_create). */
export type UnixType = 'stream' | 'dgram' | 'seqpacket';

/** One skb in a receive queue: its unread bytes (hex) and the object id of its sender (skb->sk). */
export interface UnixSkb {
  data: string;
  from: number;
  /** skb->truesize when it is not UNIX_SKB_TRUESIZE (unixSkbTruesize: a long record, a spliced one). */
  truesize?: number;
}

/** An AF_UNIX socket (struct unix_sock + struct socket + the file's flags). */
export interface UnixSock {
  kind: 'unix';
  type: UnixType;
  /** file->f_flags (O_RDWR plus O_NONBLOCK and other F_SETFL bits). */
  fileFlags: number;
  /** sk_state: ESTABLISHED from unix_socketpair; a dgram socket that disconnects goes to CLOSE. */
  st: 'ESTABLISHED' | 'CLOSE';
  /** unix_peer(sk): the object id of the peer (which may be dead), or null. */
  peer: number | null;
  /** The abstract name bound (hex of sun_path, without the family), or null (u->addr == NULL). */
  name: string | null;
  /** sk_shutdown: RCV_SHUTDOWN (1) | SEND_SHUTDOWN (2). */
  shut: number;
  /** sk_err, read and cleared by sock_error(). */
  err: ErrnoName | null;
  /** sk_receive_queue: skbs in arrival order (stream: the head's consumed bytes already cut off). */
  rq: UnixSkb[];
  /** sk_rcvbuf, sk_sndbuf (sock_init_data: wmem/rmem_default; SO_RCVBUF/SO_SNDBUF as for inet). */
  rcvbuf: number;
  sndbuf: number;
  /** SOCK_KEEPOPEN, sk_reuse (sk_setsockopt sets them for any family). */
  keepalive: boolean;
  reuse: boolean;
  /**
   * SOCK_LINGER and sk_lingertime in seconds (SO_LINGER: sk_setsockopt sets them for any
   * family; unix_release_sock never looks at them).
   */
  lingerOn: boolean;
  lingerTime: number;
  /** SOCK_DEAD: released (unix_release_sock); kept while a peer still points at it. */
  dead: boolean;
  /** Number of fds referring to this socket. */
  refs: number;
}
