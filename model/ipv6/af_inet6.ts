/**
 * AF_INET6 sockets (net/ipv6/af_inet6.c): inet6_bind, and the family's ops table, which
 * is AF_INET's (ipv4/af_inet.ts) but for the calls where inet6_stream_ops and
 * inet6_dgram_ops name IPv6 functions.
 */
import type { State } from '../core/state.js';
import type { CallOf, ProtoOps } from '../core/proto_ops.js';
import { type Outcome, fail } from '../core/outcome.js';
import { withBound, LOOPBACK_IFINDEX } from '../ipv4/inet_name.js';
import { SIN6_LEN_RFC2133, AF_INET6, SOCKADDR_IN6_LEN } from '../../spec/constants.js';
import { in6View } from '../../spec/inet6.js';
import { v6Type, ipv6Only, key, needsScope } from '../ipv4/family.js';
import { needsBindService, portSeqFor, updateFastreuse } from '../ipv4/inet_connection_sock.js';
import { addrType } from '../ipv4/route.js';
import { produce } from 'immer';
import { getPort } from '../ipv4/inet_bind.js';
import { inetOps } from '../ipv4/af_inet.js';
import { tcpConnect } from '../ipv4/tcp_ipv4.js';
import { tcpV6Target } from './tcp_ipv6.js';
import { udpConnect } from '../ipv4/datagram.js';
import { udpV6Target } from './datagram.js';
import type { Sock } from '../core/inet_sock.js';
/**
 * inet6_bind_sk → __inet6_bind, in its order: addr_len < SIN6_LEN_RFC2133, the family,
 * multicast on a stream socket, the port's privilege, "active socket, double bind", then
 * whether the address belongs to the host: a v4-mapped address as inet_bind would check its
 * IPv4 address (refused on an IPv6-only socket); any other specific address needs its
 * interface (a scope id for link-local and multicast ones, which also binds the socket to
 * that interface, left set when the bind fails) and must be on it (ipv6_chk_addr; lo holds
 * only ::1 here, no link-local address). A specific non-mapped address makes the socket
 * IPv6-only and gives it LOOPBACK4_IPV6 as its IPv4 address (ipv4/family.ts v4Rcv).
 */
export function inet6Bind(s: State, id: number, sock: Sock, c: CallOf<'bind'>): Outcome[] {
  const asIs = (rule: string, errno: Parameters<typeof fail>[2], next: State = s): Outcome =>
    withBound({ ...fail(s, rule, errno), next: () => next }, next.objs[id] as Sock);
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
      const withDev =
        dev === sock.dev
          ? s
          : produce(s, (d) => {
              (d.objs[id] as Sock).dev = dev;
            });
      if (dev === 0) return [asIs('bind/EINVAL-scope', 'EINVAL', withDev)];
      if (dev !== LOOPBACK_IFINDEX) return [asIs('bind/ENODEV', 'ENODEV', withDev)];
      // A link-local address is never on lo; a link-scope group needs no ipv6_chk_addr.
      if (t !== 'MULTICAST') return [asIs('bind/EADDRNOTAVAIL', 'EADDRNOTAVAIL', withDev)];
    } else if (dev !== 0 && dev !== LOOPBACK_IFINDEX) return [asIs('bind/ENODEV', 'ENODEV')];
    else if (t === 'MULTICAST')
      throw new Error('model: binding an AF_INET6 socket to a multicast group of wider scope is not modelled');
    // ipv6_chk_addr: ::1 is the only address (a multicast one is taken without the check).
    else if (t !== 'LOOPBACK') return [asIs('bind/EADDRNOTAVAIL', 'EADDRNOTAVAIL')];
  }
  const only = sock.v6only;
  const seq = portSeqFor(s, sock);
  const bindTo = (dd: State, port: number): void => {
    const d = dd.objs[id] as Sock;
    // inet_csk_get_port → inet_csk_update_fastreuse (TCP; ipv4/inet_connection_sock.ts takes sk_ipv6only as
    // __inet6_bind set it before get_port); udp_lib_get_port hashes the socket (UDP).
    if (d.proto === 'tcp') updateFastreuse(dd, s, d, addr, port);
    else d.portSeq = seq;
    // inet_rcv_saddr/inet_saddr are derived (ipv4/family.ts v4Rcv); sk_v6_rcv_saddr and np->saddr.
    // "if (!(addr_type & IPV6_ADDR_MULTICAST)) np->saddr = addr->sin6_addr".
    d.addr = addr;
    d.saddr = t === 'MULTICAST' ? d.saddr : addr;
    d.port = port;
    d.sport = port;
    d.viaBind = true;
    d.dev = dev;
    if (t !== 'ANY') {
      d.addrLock = true;
      if (t !== 'MAPPED') d.v6only = true;
    }
    d.portLock ||= a.port !== 0;
    d.remote = null;
  };
  // A failed get_port restores sk_ipv6only ("sk->sk_ipv6only = saved_ipv6only").
  return getPort(s, id, addr, a.port, bindTo, (x) => {
    x.v6only = only;
    x.dev = dev;
  });
}

/**
 * AF_INET6's proto_ops (inet6_stream_ops, inet6_dgram_ops): inet6_bind, and the IPv6
 * checks of tcp_v6_connect and __ip6_datagram_connect in front of the shared connect;
 * every other call is AF_INET's.
 */
export const inet6Ops: ProtoOps<Sock> = {
  ...inetOps,
  bind: inet6Bind,
  connect: (s, id, sk, c) =>
    sk.proto === 'tcp' ? tcpConnect(s, id, sk, c, tcpV6Target) : udpConnect(s, id, sk, c, udpV6Target),
};
