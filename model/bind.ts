/**
 * bind(2) on AF_INET sockets: __sys_bind → move_addr_to_kernel → inet_bind →
 * __inet_bind → inet_csk_get_port / udp_lib_get_port.
 */
import { produce } from 'immer';
import type { Call } from '../spec/call.js';
import type { Expected } from '../spec/expected.js';
import { AF_INET, AF_UNSPEC, SOCKADDR_IN_LEN } from '../spec/constants.js';
import { moveAddrToKernel } from './addr.js';
import { addrType } from './addrtype.js';
import { lookupSock } from './fd.js';
import { unixAt } from './unix.js';
import { unixBind } from './unixops.js';
import { fail, type Outcome } from './outcome.js';
import { needsBindService, nextPortSeq, portShare, tcpBindHole, udpHole, updateFastreuse, type PortShare } from './ports.js';
import { sockName, type Sock, type State } from './state.js';

export const BIND_RULES = [
  'bind/EBADF', 'bind/ENOTSOCK', 'bind/EINVAL-addrlen', 'bind/EFAULT', 'bind/EINVAL-short',
  'bind/EAFNOSUPPORT', 'bind/EADDRNOTAVAIL', 'bind/EACCES', 'bind/EINVAL-bound', 'bind/EADDRINUSE',
  'bind/port', 'bind/ephemeral', 'bind/port-reuseport', 'bind/port-reuseport-stale', 'bind/port-reuseport-first',
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
  // inet_bind: addr_len < sizeof(struct sockaddr_in).
  if (c.addr.len < SOCKADDR_IN_LEN || c.addr.ptr !== 'ok') return [asIs('bind/EINVAL-short', 'EINVAL')];
  const a = c.addr;
  // __inet_bind: AF_UNSPEC is accepted only with INADDR_ANY ("compatibility games").
  if (a.family !== AF_INET && !(a.family === AF_UNSPEC && a.addr === '0.0.0.0')) return [asIs('bind/EAFNOSUPPORT', 'EAFNOSUPPORT')];
  // inet_addr_valid_or_nonlocal: the wildcard, local, multicast or broadcast addresses.
  const t = addrType(a.addr);
  if (t === 'UNICAST') return [asIs('bind/EADDRNOTAVAIL', 'EADDRNOTAVAIL')];
  if (needsBindService(s.profile, a.port)) return [asIs('bind/EACCES', 'EACCES')];
  // "Check these errors (active socket, double bind)."
  if (sock.st !== 'CLOSE' || sock.port !== 0) return [asIs('bind/EINVAL-bound', 'EINVAL')];
  const saddr = t === 'MULTICAST' || t === 'BROADCAST' ? '0.0.0.0' : a.addr;
  const seq = nextPortSeq(s);
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
  if (a.port !== 0) {
    const share = portShare(s, id, a.addr, a.port);
    if (share === 'conflict') {
      // get_port failed after the addresses were set: "inet->inet_saddr = inet->inet_rcv_saddr = 0".
      const next = produce(s, (d) => { const x = d.objs[id] as Sock; x.addr = '0.0.0.0'; x.saddr = '0.0.0.0'; });
      return [withBound({ rule: 'bind/EADDRINUSE', expect: { kind: 'returned', ret: -1, errno: 'EADDRINUSE' }, next: () => next }, next.objs[id] as Sock)];
    }
    const next = produce(s, (d) => bindTo(d, a.port));
    return [withBound({ rule: shareRule('bind', share), expect: { kind: 'returned', ret: 0 }, next: () => next }, next.objs[id] as Sock)];
  }
  const hole = sock.proto === 'tcp' ? tcpBindHole(s, id, a.addr) : udpHole(s, id, a.addr);
  return [{
    rule: 'bind/ephemeral',
    expect: { kind: 'returned', ret: 0, bound: { addr: a.addr, port: hole } },
    next: (obs) => produce(s, (d) => bindTo(d, obs.kind === 'returned' && obs.bound ? obs.bound.port : 0)),
  }];
}

/** Adds the local address the adapter reports after bind/listen/connect (getsockname of `sk`). */
export function withBound(o: Outcome, sk: Sock): Outcome {
  const e = o.expect;
  const expect: Expected = { ...e, bound: sockName(sk) };
  return { ...o, expect };
}
