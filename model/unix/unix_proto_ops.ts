/**
 * AF_UNIX's proto_ops (net/unix/af_unix.c: unix_stream_ops, unix_dgram_ops,
 * unix_seqpacket_ops as one table; the type is told apart inside each call).
 */
import type { ProtoOps } from '../core/proto_ops.js';
import type { UnixSock } from '../core/unix_sock.js';
import { unixPoll } from './unix_poll.js';
import { unixRecvStep, unixSendStep } from './unix_sendrecv.js';
import { unixGetsockopt, unixSetsockopt } from './unix_sockopt.js';
import { unixAccept, unixBind, unixClose, unixConnect, unixGetname, unixListen, unixShutdown } from './unix_ops.js';
import { unixSendmsg, unixRecvmsg } from './unix_msg.js';

export const unixOps: ProtoOps<UnixSock> = {
  // The adapters report no name after a call on an AF_UNIX socket.
  named: (o) => o,
  bind: (s, id, u, c) => unixBind(s, id, u, c.addr),
  connect: (s, id, u, c) => unixConnect(s, id, u, c.addr),
  listen: (s, _id, u) => unixListen(s, u),
  accept: (s, _id, u, c) => unixAccept(s, c.op, u),
  getname: (s, _id, u, c) => unixGetname(s, c.op, u, c.out),
  shutdown: (s, id, u, c) => unixShutdown(s, id, u, c.how),
  release: unixClose,
  send: (s, id, u, c) => unixSendStep(s, c, id, u),
  recv: (s, id, u, c) => unixRecvStep(s, c, id, u),
  sendmsg: (s, id, u, c, dest, _data, ctl) => unixSendmsg(s, c, id, u, dest, ctl),
  recvmsg: (s, id, u, c, total) => unixRecvmsg(s, c, id, u, total),
  setsockopt: (s, id, _u, c) => unixSetsockopt(s, id, c),
  getsockopt: unixGetsockopt,
  poll: unixPoll,
};
