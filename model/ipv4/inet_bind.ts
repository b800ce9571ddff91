/**
 * bind(2) on AF_INET sockets: inet_bind → __inet_bind → inet_csk_get_port /
 * udp_lib_get_port (net/ipv4/af_inet.c); AF_INET6 sockets reach getPort from
 * ipv6/af_inet6.ts (inet6_bind).
 */
import { type State } from '../core/state.js';
import type { CallOf } from '../core/proto_ops.js';
import { type Outcome, fail } from '../core/outcome.js';
import { withBound, shareRule } from './inet_name.js';
import { SOCKADDR_IN_LEN, AF_INET, AF_UNSPEC } from '../../spec/constants.js';
import { in4View } from '../../spec/inet6.js';
import { addrType } from './route.js';
import {
  needsBindService,
  portSeqFor,
  updateFastreuse,
  portShare,
  tcpBindHole,
  udpHole,
} from './inet_connection_sock.js';
import { produce } from 'immer';
import { type Sock, anyOf, sockName } from '../core/inet_sock.js';
/** inet_bind for AF_INET socket `id` (`sock`), after __sys_bind's move_addr_to_kernel. */
export function inetBind(s: State, id: number, sock: Sock, c: CallOf<'bind'>): Outcome[] {
  const asIs = (rule: string, errno: Parameters<typeof fail>[2]): Outcome => withBound(fail(s, rule, errno), sock);
  // inet_bind: addr_len < sizeof(struct sockaddr_in).
  if (c.addr.len < SOCKADDR_IN_LEN || c.addr.ptr !== 'ok') return [asIs('bind/EINVAL-short', 'EINVAL')];
  const a = { ...c.addr, addr: in4View(c.addr) };
  // __inet_bind: AF_UNSPEC is accepted only with INADDR_ANY ("compatibility games").
  if (a.family !== AF_INET && !(a.family === AF_UNSPEC && a.addr === '0.0.0.0'))
    return [asIs('bind/EAFNOSUPPORT', 'EAFNOSUPPORT')];
  // inet_addr_valid_or_nonlocal: the wildcard, local, multicast or broadcast addresses.
  const t = addrType(a.addr);
  if (t === 'UNICAST') return [asIs('bind/EADDRNOTAVAIL', 'EADDRNOTAVAIL')];
  if (needsBindService(s.profile, a.port)) return [asIs('bind/EACCES', 'EACCES')];
  // "Check these errors (active socket, double bind)."
  if (sock.st !== 'CLOSE' || sock.port !== 0) return [asIs('bind/EINVAL-bound', 'EINVAL')];
  const saddr = t === 'MULTICAST' || t === 'BROADCAST' ? '0.0.0.0' : a.addr;
  const seq = portSeqFor(s, sock);
  const bindTo = (dd: State, port: number): void => {
    const d = dd.objs[id] as Sock;
    // inet_csk_get_port → inet_csk_update_fastreuse (TCP); udp_lib_get_port hashes the socket (UDP).
    if (d.proto === 'tcp') updateFastreuse(dd, s, d, a.addr, port);
    else d.portSeq = seq;
    d.addr = a.addr;
    d.saddr = saddr;
    d.port = port;
    d.sport = port;
    d.viaBind = true;
    // "if (inet->inet_rcv_saddr) sk->sk_userlocks |= SOCK_BINDADDR_LOCK; if (snum) ...
    // |= SOCK_BINDPORT_LOCK": the locks are only ever set, so they outlive a later
    // disconnect and rebind.
    d.addrLock ||= a.addr !== '0.0.0.0';
    d.portLock ||= a.port !== 0;
    d.remote = null;
  };
  return getPort(s, id, a.addr, a.port, bindTo, () => {});
}

/**
 * get_port for a bind of `addr`:`port` (inet_csk_get_port / udp_lib_get_port), after the
 * checks: `bindTo` sets the addresses and port in the draft world (and the TCP bucket's
 * fast path, or the UDP socket's place in its chain); `undo` is what a failed get_port
 * restores besides the addresses ("inet->inet_saddr = inet->inet_rcv_saddr = 0",
 * inet_reset_saddr).
 */
export function getPort(
  s: State,
  id: number,
  addr: string,
  port: number,
  bindTo: (d: State, port: number) => void,
  undo: (d: Sock) => void,
): Outcome[] {
  const sock = s.objs[id] as Sock;
  if (port !== 0) {
    const share = portShare(s, id, addr, port);
    if (share === 'conflict') {
      const next = produce(s, (d) => {
        const x = d.objs[id] as Sock;
        x.addr = anyOf(x);
        x.saddr = anyOf(x);
        undo(x);
      });
      return [
        withBound(
          { rule: 'bind/EADDRINUSE', expect: { kind: 'returned', ret: -1, errno: 'EADDRINUSE' }, next: () => next },
          next.objs[id] as Sock,
        ),
      ];
    }
    const next = produce(s, (d) => bindTo(d, port));
    return [
      withBound(
        { rule: shareRule('bind', share), expect: { kind: 'returned', ret: 0 }, next: () => next },
        next.objs[id] as Sock,
      ),
    ];
  }
  const hole = sock.proto === 'tcp' ? tcpBindHole(s, id, addr) : udpHole(s, id, addr);
  const name = sockName(produce(s, (d) => bindTo(d, 0)).objs[id] as Sock).addr;
  return [
    {
      rule: 'bind/ephemeral',
      expect: { kind: 'returned', ret: 0, bound: { addr: name, port: hole } },
      next: (obs) => produce(s, (d) => bindTo(d, obs.kind === 'returned' && obs.bound ? obs.bound.port : 0)),
    },
  ];
}
