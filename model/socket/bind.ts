/**
 * bind(2) on AF_INET and AF_INET6 sockets: __sys_bind → move_addr_to_kernel → inet_bind →
 * __inet_bind (inet6_bind_sk → __inet6_bind) → inet_csk_get_port / udp_lib_get_port.
 */
import { produce } from 'immer';
import type { Call } from '../../spec/call.js';
import type { Expected } from '../../spec/expected.js';
import { AF_INET, AF_INET6, AF_UNSPEC, SIN6_LEN_RFC2133, SOCKADDR_IN6_LEN, SOCKADDR_IN_LEN } from '../../spec/constants.js';
import { in4View, in6View } from '../../spec/inet6.js';
import { ipv6Only, key, needsScope, v6Type } from '../ipv4/family.js';
import { moveAddrToKernel } from '../core/addr.js';
import { addrType } from '../ipv4/route.js';
import { lookupSock } from './fd.js';
import { unixAt } from '../unix/af_unix.js';
import { unixBind } from '../unix/unix_ops.js';
import { fail, type Outcome } from '../core/outcome.js';
import { needsBindService, portSeqFor, portShare, tcpBindHole, udpHole, updateFastreuse, type PortShare } from '../ipv4/inet_connection_sock.js';
import { anyOf, sockName, type Sock, type State } from '../core/state.js';

/** The ifindex of lo, the only interface of a fresh namespace. */
export const LOOPBACK_IFINDEX = 1;

export const BIND_RULES = [
  'bind/EBADF', 'bind/ENOTSOCK', 'bind/EINVAL-addrlen', 'bind/EFAULT', 'bind/EINVAL-short',
  'bind/EAFNOSUPPORT', 'bind/EADDRNOTAVAIL', 'bind/EACCES', 'bind/EINVAL-bound', 'bind/EADDRINUSE',
  'bind/port', 'bind/ephemeral', 'bind/port-reuseport', 'bind/port-reuseport-stale', 'bind/port-reuseport-first',
  'bind/EINVAL-mcast-stream', 'bind/EINVAL-v6only-mapped', 'bind/EINVAL-scope', 'bind/ENODEV',
] as const;

/** The rule of a successful get_port(snum) by how the port was shared (see PortShare). */
export function shareRule(op: 'bind' | 'listen', share: Exclude<PortShare, 'conflict'>): string {
  const base = op === 'bind' ? 'bind/port' : 'listen/bound';
  return share === 'free' ? base : `${base}-${share}`;
}

type BindCall = Extract<Call, { op: 'bind' }>;

export function bindStep(s: State, c: BindCall): Outcome[] {
  const ux = unixAt(s, c.fd);
  if (ux) {
    // AF_UNIX (model/unix*.ts): move_addr_to_kernel, then unix_bind.
    const copy = moveAddrToKernel(c.addr);
    if (copy) return [fail(s, copy === 'EFAULT' ? 'bind/EFAULT' : 'bind/EINVAL-addrlen', copy)];
    return unixBind(s, ux.id, ux.u, c.addr);
  }
  const l = lookupSock(s, c.fd);
  if (l.errno) return [fail(s, `bind/${l.errno}`, l.errno)];
  const { id, sock } = l;
  const asIs = (rule: string, errno: Parameters<typeof fail>[2]): Outcome => withBound(fail(s, rule, errno), sock);
  const copy = moveAddrToKernel(c.addr);
  if (copy) return [asIs(copy === 'EFAULT' ? 'bind/EFAULT' : 'bind/EINVAL-addrlen', copy)];
  if (sock.family === 'inet6') return bind6(s, id, sock, c);
  // inet_bind: addr_len < sizeof(struct sockaddr_in).
  if (c.addr.len < SOCKADDR_IN_LEN || c.addr.ptr !== 'ok') return [asIs('bind/EINVAL-short', 'EINVAL')];
  const a = { ...c.addr, addr: in4View(c.addr) };
  // __inet_bind: AF_UNSPEC is accepted only with INADDR_ANY ("compatibility games").
  if (a.family !== AF_INET && !(a.family === AF_UNSPEC && a.addr === '0.0.0.0')) return [asIs('bind/EAFNOSUPPORT', 'EAFNOSUPPORT')];
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
    d.addr = a.addr; d.saddr = saddr; d.port = port; d.sport = port; d.viaBind = true;
    // "if (inet->inet_rcv_saddr) sk->sk_userlocks |= SOCK_BINDADDR_LOCK; if (snum) ...
    // |= SOCK_BINDPORT_LOCK": the locks are only ever set, so they outlive a later
    // disconnect and rebind.
    d.addrLock ||= a.addr !== '0.0.0.0'; d.portLock ||= a.port !== 0; d.remote = null;
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
function getPort(s: State, id: number, addr: string, port: number, bindTo: (d: State, port: number) => void, undo: (d: Sock) => void): Outcome[] {
  const sock = s.objs[id] as Sock;
  if (port !== 0) {
    const share = portShare(s, id, addr, port);
    if (share === 'conflict') {
      const next = produce(s, (d) => { const x = d.objs[id] as Sock; x.addr = anyOf(x); x.saddr = anyOf(x); undo(x); });
      return [withBound({ rule: 'bind/EADDRINUSE', expect: { kind: 'returned', ret: -1, errno: 'EADDRINUSE' }, next: () => next }, next.objs[id] as Sock)];
    }
    const next = produce(s, (d) => bindTo(d, port));
    return [withBound({ rule: shareRule('bind', share), expect: { kind: 'returned', ret: 0 }, next: () => next }, next.objs[id] as Sock)];
  }
  const hole = sock.proto === 'tcp' ? tcpBindHole(s, id, addr) : udpHole(s, id, addr);
  const name = sockName(produce(s, (d) => bindTo(d, 0)).objs[id] as Sock).addr;
  return [{
    rule: 'bind/ephemeral',
    expect: { kind: 'returned', ret: 0, bound: { addr: name, port: hole } },
    next: (obs) => produce(s, (d) => bindTo(d, obs.kind === 'returned' && obs.bound ? obs.bound.port : 0)),
  }];
}

/**
 * inet6_bind_sk → __inet6_bind, in its order: addr_len < SIN6_LEN_RFC2133, the family,
 * multicast on a stream socket, the port's privilege, "active socket, double bind", then
 * whether the address belongs to the host: a v4-mapped address as inet_bind would check its
 * IPv4 address (refused on an IPv6-only socket); any other specific address needs its
 * interface (a scope id for link-local and multicast ones, which also binds the socket to
 * that interface, left set when the bind fails) and must be on it (ipv6_chk_addr; lo holds
 * only ::1 here, no link-local address). A specific non-mapped address makes the socket
 * IPv6-only and gives it LOOPBACK4_IPV6 as its IPv4 address (family.ts v4Rcv).
 */
function bind6(s: State, id: number, sock: Sock, c: BindCall): Outcome[] {
  const asIs = (rule: string, errno: Parameters<typeof fail>[2], next: State = s): Outcome => withBound({ ...fail(s, rule, errno), next: () => next }, next.objs[id] as Sock);
  if (c.addr.len < SIN6_LEN_RFC2133 || c.addr.ptr !== 'ok') return [asIs('bind/EINVAL-short', 'EINVAL')];
  const a = { ...c.addr, ...in6View(c.addr) };
  if (a.family !== AF_INET6) return [asIs('bind/EAFNOSUPPORT', 'EAFNOSUPPORT')];
  const addr = a.addr;
  const t = v6Type(addr);
  if (t === 'MULTICAST' && sock.proto === 'tcp') return [asIs('bind/EINVAL-mcast-stream', 'EINVAL')];
  if (needsBindService(s.profile, a.port)) return [asIs('bind/EACCES', 'EACCES')];
  if (sock.st !== 'CLOSE' || sock.port !== 0) return [asIs('bind/EINVAL-bound', 'EINVAL')];
  let dev = sock.dev;
  if (t === 'MAPPED') {
    if (ipv6Only(sock)) return [asIs('bind/EINVAL-v6only-mapped', 'EINVAL')];
    if (addrType(key(addr)) === 'UNICAST') return [asIs('bind/EADDRNOTAVAIL', 'EADDRNOTAVAIL')];
  } else if (t !== 'ANY') {
    // __ipv6_addr_needs_scope_id: link-local unicast, and multicast of link-local or smaller scope.
    if (needsScope(addr)) {
      if (a.len >= SOCKADDR_IN6_LEN && a.scope_id !== 0) dev = a.scope_id;
      const withDev = dev === sock.dev ? s : produce(s, (d) => { (d.objs[id] as Sock).dev = dev; });
      if (dev === 0) return [asIs('bind/EINVAL-scope', 'EINVAL', withDev)];
      if (dev !== LOOPBACK_IFINDEX) return [asIs('bind/ENODEV', 'ENODEV', withDev)];
      // A link-local address is never on lo; a link-scope group needs no ipv6_chk_addr.
      if (t !== 'MULTICAST') return [asIs('bind/EADDRNOTAVAIL', 'EADDRNOTAVAIL', withDev)];
    } else if (dev !== 0 && dev !== LOOPBACK_IFINDEX) return [asIs('bind/ENODEV', 'ENODEV')];
    else if (t === 'MULTICAST') throw new Error('model: binding an AF_INET6 socket to a multicast group of wider scope is not modelled');
    // ipv6_chk_addr: ::1 is the only address (a multicast one is taken without the check).
    else if (t !== 'LOOPBACK') return [asIs('bind/EADDRNOTAVAIL', 'EADDRNOTAVAIL')];
  }
  const only = sock.v6only;
  const seq = portSeqFor(s, sock);
  const bindTo = (dd: State, port: number): void => {
    const d = dd.objs[id] as Sock;
    // inet_csk_get_port → inet_csk_update_fastreuse (TCP; ports.ts takes sk_ipv6only as
    // __inet6_bind set it before get_port); udp_lib_get_port hashes the socket (UDP).
    if (d.proto === 'tcp') updateFastreuse(dd, s, d, addr, port);
    else d.portSeq = seq;
    // inet_rcv_saddr/inet_saddr are derived (family.ts v4Rcv); sk_v6_rcv_saddr and np->saddr.
    // "if (!(addr_type & IPV6_ADDR_MULTICAST)) np->saddr = addr->sin6_addr".
    d.addr = addr; d.saddr = t === 'MULTICAST' ? d.saddr : addr; d.port = port; d.sport = port; d.viaBind = true; d.dev = dev;
    if (t !== 'ANY') { d.addrLock = true; if (t !== 'MAPPED') d.v6only = true; }
    d.portLock ||= a.port !== 0; d.remote = null;
  };
  // A failed get_port restores sk_ipv6only ("sk->sk_ipv6only = saved_ipv6only").
  return getPort(s, id, addr, a.port, bindTo, (x) => { x.v6only = only; x.dev = dev; });
}

/** Adds the local address the adapter reports after bind/listen/connect (getsockname of `sk`). */
export function withBound(o: Outcome, sk: Sock): Outcome {
  const e = o.expect;
  const expect: Expected = { ...e, bound: sockName(sk) };
  return { ...o, expect };
}
