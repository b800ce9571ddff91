/**
 * An AF_VSOCK socket (struct vsock_sock), its own kind of object in the model's world.
 * Only what sequences in scope can reach: a socket that is never bound, listening or
 * connected (a bind that succeeds registers a port the hypervisor sees, since vsock is not
 * network-namespaced, and a connect reaches the host: neither is ever made, see
 * vsock/vsock_ops.ts). Plain data.
 */
import { LINUX_BUFFERS, type Profile } from '../../spec/profile.js';

export interface VsockSock {
  kind: 'vsock';
  /** sk_type: vsock_create gives SOCK_STREAM and SOCK_SEQPACKET the connectible ops. */
  type: 'stream' | 'seqpacket';
  /** file->f_flags. */
  fileFlags: number;
  /** Number of fds referring to this socket. */
  refs: number;
  /** The generic struct sock fields sk_setsockopt and sk_getsockopt read and write. */
  reuse: boolean;
  reuseport: boolean;
  keepalive: boolean;
  rcvbuf: number;
  sndbuf: number;
  sndbufHi: number;
  sndbufLock: boolean;
  lingerOn: boolean;
  lingerTime: number;
}

/** A fresh socket as vsock_create leaves it: sock_init_data's buffer sizes (rmem/wmem_default). */
export function newVsock(type: 'stream' | 'seqpacket', fileFlags: number, profile: Profile): VsockSock {
  const b = profile.buffers ?? LINUX_BUFFERS;
  return {
    kind: 'vsock',
    type,
    fileFlags,
    refs: 0,
    reuse: false,
    reuseport: false,
    keepalive: false,
    rcvbuf: b.rmemDefault,
    sndbuf: b.wmemDefault,
    sndbufHi: b.wmemDefault,
    sndbufLock: false,
    lingerOn: false,
    lingerTime: 0,
  };
}
