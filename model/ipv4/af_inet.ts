/**
 * AF_INET sockets (net/ipv4/af_inet.c): inet_stream_ops and inet_dgram_ops as one table
 * (core/proto_ops.ts; the protocol is told apart inside each call, as inet_* do through
 * sk->sk_prot), and the calls af_inet.c answers itself: inet_getname, inet_shutdown,
 * inet_release.
 */
import { type State } from '../core/state.js';
import type { CallOf, ProtoOps } from '../core/proto_ops.js';
import { type Outcome, fail, ok } from '../core/outcome.js';
import { sockaddrOutHex } from '../../spec/inet6.js';
import { needsScope } from './family.js';
import { sockaddrInHex, moveAddrToUser } from '../core/addr.js';
import { produce } from 'immer';
import { disconnect, sendFin, release, resetsOnClose, lingerResets, tcpPoll } from './tcp.js';
import { withBound } from './inet_name.js';
import { inetBind } from './inet_bind.js';
import { tcpConnect, tcpV4Target } from './tcp_ipv4.js';
import { udpConnect } from './datagram.js';
import { inetListen, inetAccept } from './inet_listen.js';
import { inetSend, sockSend } from './udp_sendmsg.js';
import { inetRecv, inetRecvmsg } from './udp_recvmsg.js';
import { inetSetsockopt } from './ip_setsockopt.js';
import { inetGetsockopt } from './ip_getsockopt.js';
import { udpPoll } from './udp.js';
import { type Sock, sockName, RCV_SHUTDOWN, SEND_SHUTDOWN } from '../core/inet_sock.js';

/**
 * getsockname(2) and getpeername(2) on AF_INET and AF_INET6 sockets: inet_getname /
 * inet6_getname, then move_addr_to_user.
 */
export function inetGetname(s: State, sk: Sock, c: CallOf<'getsockname' | 'getpeername'>): Outcome[] {
  const p = c.op;
  let name = sockName(sk);
  if (p === 'getpeername') {
    // inet_getname(peer=1): no peer port (!inet_dport, also after a connect to port 0), or CLOSE/SYN_SENT → ENOTCONN.
    if (sk.remote === null || sk.remote.port === 0 || sk.st === 'CLOSE' || sk.st === 'SYN_SENT')
      return [fail(s, `${p}/ENOTCONN`, 'ENOTCONN')];
    name = sk.remote;
  }
  // inet6_getname: "sin->sin6_scope_id = ipv6_iface_scope_id(&sin->sin6_addr, sk->sk_bound_dev_if)",
  // the bound interface for an address that needs one (a link-scope group here).
  const kaddr =
    sk.family === 'inet6'
      ? sockaddrOutHex(name.addr, name.port, needsScope(name.addr) ? sk.dev : 0)
      : sockaddrInHex(name);
  const copy = moveAddrToUser(c.out, kaddr, s.profile);
  const out: { addr?: string; addrlen?: number } = {};
  if (copy.addr !== undefined) out.addr = copy.addr;
  if (copy.addrlen !== undefined) out.addrlen = copy.addrlen;
  if (copy.errno)
    return [
      { rule: `${p}/${copy.errno}`, expect: { kind: 'returned', ret: -1, errno: copy.errno, ...out }, next: () => s },
    ];
  return [{ rule: `${p}/ok`, expect: { kind: 'returned', ret: 0, ...out }, next: () => s }];
}

/**
 * shutdown(2) on AF_INET and AF_INET6 sockets: inet_shutdown (how check, SS_CONNECTING
 * fix-up, then by sk_state) → tcp_shutdown (FIN when the send side closes). UDP has no
 * ->shutdown: only the checks and ENOTCONN.
 */
export function inetShutdown(s: State, id: number, sock: Sock, c: CallOf<'shutdown'>): Outcome[] {
  // "how++; if ((how & ~SHUTDOWN_MASK) || !how) return -EINVAL;" (MAXINT → 0).
  const how = (c.how + 1) | 0;
  if ((how & ~3) !== 0 || how === 0) return [fail(s, 'shutdown/EINVAL-how', 'EINVAL')];
  // SS_CONNECTING: SYN_SENT/SYN_RECV/CLOSE → SS_DISCONNECTING, anything else → SS_CONNECTED.
  const fixed = (d: State): Sock => {
    const x = d.objs[id] as Sock;
    if (x.ss === 'CONNECTING') x.ss = x.st === 'SYN_SENT' || x.st === 'CLOSE' ? 'DISCONNECTING' : 'CONNECTED';
    return x;
  };
  /** The default arm (and TCP_CLOSE, which falls into it): sk_shutdown |= how. */
  const marked = (d: State): Sock => {
    const x = fixed(d);
    x.shut |= how;
    return x;
  };
  const st = sock.st;
  if (st === 'CLOSE') {
    // "case TCP_CLOSE: err = -ENOTCONN; fallthrough;" (the shutdown bits are still set).
    const next = produce(s, (d) => {
      marked(d);
    });
    return [{ rule: 'shutdown/ENOTCONN', expect: { kind: 'returned', ret: -1, errno: 'ENOTCONN' }, next: () => next }];
  }
  if (st === 'LISTEN') {
    if (!(how & RCV_SHUTDOWN))
      return [
        ok('shutdown/listener-write', 0, () =>
          produce(s, (d) => {
            fixed(d);
          }),
        ),
      ];
    // fallthrough to the SYN_SENT case: disconnect (inet_csk_listen_stop), SS_UNCONNECTED.
    const next = produce(s, (d) => {
      fixed(d);
      disconnect(d, id);
      (d.objs[id] as Sock).ss = 'UNCONNECTED';
    });
    return [ok('shutdown/listener-stop', 0, () => next)];
  }
  if (st === 'SYN_SENT') {
    const next = produce(s, (d) => {
      fixed(d);
      disconnect(d, id);
      (d.objs[id] as Sock).ss = 'UNCONNECTED';
    });
    return [ok('shutdown/syn-sent', 0, () => next)];
  }
  // default: sk_shutdown |= how; tcp_shutdown sends FIN from ESTABLISHED/CLOSE_WAIT.
  if (sock.proto === 'tcp' && how & SEND_SHUTDOWN && (st === 'ESTABLISHED' || st === 'CLOSE_WAIT')) {
    const next = produce(s, (d) => {
      marked(d);
      sendFin(d, id);
    });
    return [ok('shutdown/fin', 0, () => next)];
  }
  const rule = how & SEND_SHUTDOWN ? 'shutdown/other' : 'shutdown/read';
  return [
    ok(rule, 0, () =>
      produce(s, (d) => {
        marked(d);
      }),
    ),
  ];
}

/**
 * close(2) of an fd of AF_INET or AF_INET6 socket `id`: fput, then for the last reference
 * sock_close → inet_release → tcp_close / udp_lib_close.
 */
export function inetRelease(s: State, fd: number, id: number, sk: Sock): Outcome[] {
  const rule = sk.proto === 'udp' ? 'close/udp' : tcpRule(sk, id);
  const next = produce(s, (d) => {
    delete d.fds[fd];
    const x = d.objs[id] as Sock;
    x.refs--;
    if (x.refs > 0) return;
    if (x.proto === 'udp') delete d.objs[id];
    else release(d, id);
  });
  return [ok(rule, 0, () => next)];
}

/** Which tcp_close path the last close of `sk` takes (see release in ipv4/tcp.ts). */
function tcpRule(sk: Sock, id: number): string {
  if (sk.refs === 1 && resetsOnClose(sk)) return 'close/tcp-reset-unread';
  if (sk.refs === 1 && lingerResets(sk)) return 'close/tcp-linger-reset';
  switch (sk.st) {
    case 'LISTEN':
      return 'close/tcp-listener';
    case 'ESTABLISHED':
      return sk.peer === id ? 'close/tcp-self' : 'close/tcp-fin';
    case 'CLOSE_WAIT':
      return 'close/tcp-last-ack';
    // FIN already sent by shutdown(): the socket becomes a timewait socket as it is.
    case 'FIN_WAIT2':
      return 'close/tcp-fin-wait2';
    case 'CLOSE':
    case 'SYN_SENT':
    case 'LAST_ACK':
    case 'TIME_WAIT':
      return 'close/tcp-unconnected';
  }
}

/** AF_INET's proto_ops (inet_stream_ops, inet_dgram_ops). */
export const inetOps: ProtoOps<Sock> = {
  named: withBound,
  bind: inetBind,
  connect: (s, id, sk, c) => (sk.proto === 'tcp' ? tcpConnect(s, id, sk, c, tcpV4Target) : udpConnect(s, id, sk, c)),
  listen: inetListen,
  accept: inetAccept,
  getname: (s, _id, sk, c) => inetGetname(s, sk, c),
  shutdown: inetShutdown,
  release: inetRelease,
  send: inetSend,
  recv: (s, id, _sk, c) => inetRecv(s, id, c),
  sendmsg: (s, id, _sk, c, dest, data, ctl) => sockSend(s, 'sendmsg', id, dest, data, c.flags, ctl),
  recvmsg: (s, id, _sk, c, total) => inetRecvmsg(s, id, c, total),
  setsockopt: inetSetsockopt,
  getsockopt: inetGetsockopt,
  poll: (_s, _id, sk) => (sk.proto === 'tcp' ? tcpPoll(sk) : udpPoll(sk)),
};
