/**
 * The model's struct proto_ops (include/linux/net.h): what the system-call layer
 * (model/socket/) asks of a socket's family once it has done the generic part of a call
 * (net/socket.c: the fd lookup, EBADF and ENOTSOCK, and where Linux does it there, the
 * address copied in). One table per family: ipv4/af_inet.ts (AF_INET), ipv6/af_inet6.ts
 * (AF_INET6), unix/af_unix_ops.ts (AF_UNIX), vsock/af_vsock.ts (AF_VSOCK); socket/proto_ops.ts
 * picks the table of a socket. Types only.
 */
import type { AddrIn, Call } from '../../spec/call.js';
import type { Ctl } from './addr.js';
import type { Outcome } from './outcome.js';
import type { State } from './state.js';
import type { UnixSock } from './unix_sock.js';
import type { VsockSock } from './vsock_sock.js';
import type { Sock } from './inet_sock.js';

/** The member of the Call union for op `O`. */
export type CallOf<O extends Call['op']> = Extract<Call, { op: O }>;

/** Any object of the world that is a socket (struct socket), of any family. */
export type SocketObj = Sock | UnixSock | VsockSock;

/**
 * One family's answers, each after the system-call layer's checks; `id` is the socket's
 * object id, `sk` the socket. Every member returns the call's outcomes in the kernel's
 * order (the first is the kernel's usual answer) and never changes `s`.
 */
export interface ProtoOps<S extends SocketObj> {
  /**
   * The outcome `o` of a bind, listen, connect or send that failed in the generic layer,
   * with what the adapters report of the socket's own address afterwards (AF_INET and
   * AF_INET6: getsockname, see ipv4/af_inet.ts withBound; other families: nothing).
   */
  named(o: Outcome, sk: S): Outcome;
  /** ->bind, after move_addr_to_kernel. */
  bind(s: State, id: number, sk: S, c: CallOf<'bind'>): Outcome[];
  /** ->connect, after move_addr_to_kernel. */
  connect(s: State, id: number, sk: S, c: CallOf<'connect'>): Outcome[];
  /** ->listen (sock_no_listen where the type has none). */
  listen(s: State, id: number, sk: S, c: CallOf<'listen'>): Outcome[];
  /** ->accept, after __sys_accept4_file's flags and the new fd `newfd` (the lowest free one). */
  accept(s: State, id: number, sk: S, c: CallOf<'accept' | 'accept4'>, newfd: number): Outcome[];
  /** ->getname and the copy-out of its address. */
  getname(s: State, id: number, sk: S, c: CallOf<'getsockname' | 'getpeername'>): Outcome[];
  /** ->shutdown. */
  shutdown(s: State, id: number, sk: S, c: CallOf<'shutdown'>): Outcome[];
  /** close(2) of `fd`, an fd of this socket: fput, and ->release on the last reference. */
  release(s: State, fd: number, id: number, sk: S): Outcome[];
  /** send(2) and sendto(2): the address copy and ->sendmsg. */
  send(s: State, id: number, sk: S, c: CallOf<'send' | 'sendto'>): Outcome[];
  /** recv(2) and recvfrom(2): ->recvmsg and the copy-out of the source address. */
  recv(s: State, id: number, sk: S, c: CallOf<'recv' | 'recvfrom'>): Outcome[];
  /**
   * sendmsg(2) after ____sys_sendmsg's msghdr checks: ->sendmsg with `dest` (msg_name as
   * copied in, or null), the iovecs' bytes `data` and what the control buffer holds.
   */
  sendmsg(s: State, id: number, sk: S, c: CallOf<'sendmsg'>, dest: AddrIn | null, data: string, ctl: Ctl): Outcome[];
  /** recvmsg(2) after ___sys_recvmsg's msghdr checks: ->recvmsg into `total` bytes of iovecs, msg_name copied out. */
  recvmsg(s: State, id: number, sk: S, c: CallOf<'recvmsg'>, total: number): Outcome[];
  /** setsockopt(2) after the fd lookup: do_sock_setsockopt onwards. */
  setsockopt(s: State, id: number, sk: S, c: CallOf<'setsockopt'>): Outcome[];
  /** getsockopt(2) after the fd lookup: do_sock_getsockopt onwards. */
  getsockopt(s: State, id: number, sk: S, c: CallOf<'getsockopt'>): Outcome[];
  /** ->poll: the socket's poll mask (vfs_poll → sock_poll). Pure. */
  poll(s: State, id: number, sk: S): number;
}
