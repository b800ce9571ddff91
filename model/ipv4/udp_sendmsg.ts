/**
 * send(2) and sendto(2) on AF_INET and AF_INET6 UDP sockets (udpv6_sendmsg's destination
 * checks first for AF_INET6, see udpv6Dest): __sys_sendto (sockfd_lookup_light:
 * EBADF, ENOTSOCK; move_addr_to_kernel when an address is given) → sock_sendmsg →
 * inet_sendmsg → inet_send_prepare (inet_autobind: an unbound socket gets an ephemeral
 * port before anything else is checked) → udp_sendmsg (EMSGSIZE never: payloads are
 * small; MSG_OOB; the destination; the route; ip_make_skb → sock_alloc_send_pskb:
 * sock_error, then SEND_SHUTDOWN's EPIPE) → delivery on loopback (ipv4/udp.ts).
 * TCP sockets take their own path after the address copy (ipv4/tcp_sendmsg.ts).
 */
import { produce } from 'immer';
import type { AddrIn, Call } from '../../spec/call.js';
import type { ErrnoName } from '../../spec/errno.js';
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  MSG_CMSG_COMPAT,
  MSG_DONTWAIT,
  MSG_NOSIGNAL,
  MSG_OOB,
  SIN6_LEN_RFC2133,
  SOCKADDR_IN_LEN,
} from '../../spec/constants.js';
import { refuseUnknownFlags } from '../core/msg_flags.js';
import { moveAddrToKernel, type Ctl } from '../core/addr.js';
import { in4View, in6View, mappedV4 } from '../../spec/inet6.js';
import { ipv6Only, key, routeFrom } from './family.js';
import { addrType } from './route.js';
import { fail, type Outcome } from '../core/outcome.js';
import { portSeqFor, udpHole } from './inet_connection_sock.js';
import { type State } from '../core/state.js';
import { mcastSocks, udpLookup, udpRoom } from './udp.js';
import { tcpSendStep, TCP_SEND_RULE_SUFFIXES } from './tcp_sendmsg.js';
import { withBound } from './inet_name.js';
import { SEND_SHUTDOWN, sockName, type Endpoint, type Sock } from '../core/inet_sock.js';

const rulesFor = <P extends string>(p: P) =>
  [
    `${p}/EBADF`,
    `${p}/ENOTSOCK`,
    `${p}/EOPNOTSUPP-oob`,
    `${p}/EDESTADDRREQ`,
    `${p}/ENETUNREACH`,
    `${p}/EACCES-broadcast`,
    `${p}/sock-error`,
    `${p}/EPIPE`,
    `${p}/delivered`,
    `${p}/dropped-full`,
    `${p}/refused`,
    `${p}/no-receiver`,
    `${p}/multicast`,
    `${p}/stale-flow`,
    `${p}/EAFNOSUPPORT-mapped-src`,
    `${p}/EINVAL-mapped-src`,
    `${p}/EINVAL-port0-mapped-peer`,
  ] as const;
/**
 * udp_sendmsg's (and udpv6_sendmsg's, see udpv6Dest) checks of an explicit destination
 * (sendto's address, sendmsg's msg_name).
 */
const destRules = <P extends string>(p: P) =>
  [`${p}/EINVAL-short`, `${p}/EAFNOSUPPORT`, `${p}/EINVAL-port0`, `${p}/EINVAL-family`] as const;

export const SEND_RULES = [
  ...rulesFor('send'),
  ...rulesFor('sendto'),
  ...TCP_SEND_RULE_SUFFIXES.map((r) => `send/${r}` as const),
  ...TCP_SEND_RULE_SUFFIXES.map((r) => `sendto/${r}` as const),
  'sendto/EINVAL-addrlen',
  'sendto/EFAULT',
  ...destRules('sendto'),
] as const;

/** The rules sendmsg shares with send and sendto (model/socket/msg.ts adds its msghdr checks). */
export const SENDMSG_PATH_RULES = [
  ...rulesFor('sendmsg'),
  ...TCP_SEND_RULE_SUFFIXES.map((r) => `sendmsg/${r}` as const),
  ...destRules('sendmsg'),
  'sendmsg/EINVAL-cmsg',
  'sendmsg/tcp-EINVAL-cmsg',
] as const;

type SendCall = Extract<Call, { op: 'send' | 'sendto' }>;

/** The destination address sendto passes, or null (send, or sendto with a NULL address). */
function destOf(c: SendCall): AddrIn | null {
  return c.op === 'sendto' && c.addr.ptr !== 'null' ? c.addr : null;
}

/**
 * sock_sendmsg on socket `id` after the syscall's own checks (the fd lookup, the address
 * copy, sendmsg's msghdr): the same path for send, sendto and sendmsg (rules `${p}/...`).
 * `dest` is the address the protocol sees (msg_name), already copied in.
 */
export function sockSend(
  s: State,
  p: 'send' | 'sendto' | 'sendmsg',
  id: number,
  dest: AddrIn | null,
  data: string,
  flags: number,
  ctl: Ctl,
): Outcome[] {
  const sock = s.objs[id] as Sock;
  // Flags are modelled as the paths below read them; others (MSG_MORE's corking, MSG_PROBE,
  // MSG_CONFIRM, MSG_EOR, MSG_FASTOPEN, MSG_ZEROCOPY, ...) are refused.
  refuseUnknownFlags(
    flags,
    MSG_DONTWAIT | MSG_NOSIGNAL | MSG_OOB | MSG_CMSG_COMPAT,
    sock.proto === 'tcp' ? 'a TCP send' : 'a UDP send',
  );
  if (sock.proto === 'tcp') return tcpSendStep(s, p, id, sock, data, flags, ctl === 'bogus');
  // inet_send_prepare → inet_autobind: the port is taken before udp_sendmsg looks at anything.
  const hole = sock.port === 0 ? udpHole(s, id, sock.addr) : undefined;
  const bound = { addr: sockName(sock).addr, port: hole ?? sock.sport };
  /** An outcome after the autobind; `make` changes the world further (the port is set first). */
  /** A connected send that looked its route up caches it (udp_sendmsg: "if (connected) sk_dst_set"). */
  let caches = false;
  const out = (
    rule: string,
    expect: { ret: number; errno?: ErrnoName },
    make: (d: State, port: number) => void = () => {},
  ): Outcome => ({
    rule,
    expect: { kind: 'returned', ...expect, bound },
    next: (obs) =>
      produce(s, (d) => {
        const x = d.objs[id] as Sock;
        if (hole !== undefined) {
          const port = obs.kind === 'returned' && obs.bound ? obs.bound.port : 0;
          x.port = port;
          x.sport = port;
          x.portSeq = portSeqFor(s, x);
        }
        if (caches) x.routeCached = true;
        make(d, x.port);
      }),
  });
  const err = (rule: string, errno: ErrnoName): Outcome => out(rule, { ret: -1, errno });
  let dst: Endpoint;
  /** The send reuses the cached route and goes where the socket's flow key says (Sock.flow). */
  let cached = false;
  let route: { daddr: string; saddr: string } | { errno: ErrnoName };
  // udpv6_sendmsg: the destination first; IPv4 ones (AF_INET, v4-mapped) go to udp_sendmsg
  // with an explicit sockaddr_in (also the peer of a connected socket: no cached route).
  const six = sock.family === 'inet6' ? udpv6Dest(sock, dest, p) : undefined;
  /** The rules of an explicit destination are sendto's for send and sendto, sendmsg's for sendmsg. */
  const q = p === 'sendmsg' ? 'sendmsg' : 'sendto';
  if (six !== undefined && 'rule' in six) return [err(six.rule, six.errno)];
  const v4dest = six === undefined ? dest : 'v4' in six ? six.v4 : null;
  if (six !== undefined && 'v6' in six) {
    // ip6_sk_dst_lookup_flow → ip6_dst_lookup_tail: only ::1 is routed; then a v4-mapped
    // source (np->saddr, also ::ffff:0.0.0.0) cannot reach an IPv6 destination.
    dst = six.v6;
    // udp_cmsg_send / ip6_datagram_send_ctl parse the control buffer after the destination
    // checks and before the route lookup: "if (!CMSG_OK(msg, cmsg)) return -EINVAL;".
    if (ctl === 'bogus') return [err(`${p}/EINVAL-cmsg`, 'EINVAL')];
    if (dst.addr !== '::1') return [err(`${p}/ENETUNREACH`, 'ENETUNREACH')];
    if (mappedV4(sock.saddr) !== undefined) return [err(`${p}/EAFNOSUPPORT-mapped-src`, 'EAFNOSUPPORT')];
    route = { daddr: '::1', saddr: '::1' };
  } else {
    // udp_sendmsg: "if (msg->msg_flags & MSG_OOB) return -EOPNOTSUPP;"
    if (flags & MSG_OOB) return [err(`${p}/EOPNOTSUPP-oob`, 'EOPNOTSUPP')];
    const dest = v4dest;
    if (dest) {
      if (dest.len < SOCKADDR_IN_LEN || dest.ptr !== 'ok') return [err(`${q}/EINVAL-short`, 'EINVAL')];
      // "if (usin->sin_family != AF_INET) { if (usin->sin_family != AF_UNSPEC) return -EAFNOSUPPORT; }"
      if (dest.family !== AF_INET && dest.family !== AF_UNSPEC) return [err(`${q}/EAFNOSUPPORT`, 'EAFNOSUPPORT')];
      // An AF_INET6 socket connected to a v4-mapped peer on port 0 (UDP connects to port 0
      // are taken) gives udp_sendmsg a sockaddr_in with "sin.sin_port = inet->inet_dport".
      if (dest.port === 0)
        return [
          err(six !== undefined && 'peer' in six ? `${p}/EINVAL-port0-mapped-peer` : `${q}/EINVAL-port0`, 'EINVAL'),
        ];
      dst = { addr: in4View(dest), port: dest.port };
    } else {
      if (sock.st !== 'ESTABLISHED' || sock.remote === null) return [err(`${p}/EDESTADDRREQ`, 'EDESTADDRREQ')];
      // udp_sendmsg: "if (connected) rt = sk_dst_check(sk, 0)"; with a cached route fl4 stays
      // &inet->cork.fl.u.ip4, and the datagram goes to its daddr and dport (udp_send_skb).
      // A control buffer would clear `connected` only once ip_cmsg_send parsed an IP-level
      // cmsg ("if (err > 0) { err = ip_cmsg_send(...); connected = 0; }"); udp_cmsg_send
      // returns 0 for a buffer with no cmsg in it, and a zero cmsg_len fails below, so here
      // the cached route is always used (measured: a sendmsg with 8 control bytes follows
      // the stale flow key).
      cached = sock.routeCached;
      dst = cached ? (sock.flow ?? sock.remote) : sock.remote;
    }
    // udp_cmsg_send / ip_cmsg_send: "if (!CMSG_OK(msg, cmsg)) return -EINVAL;"
    if (ctl === 'bogus') return [err(`${p}/EINVAL-cmsg`, 'EINVAL')];
    // ip_route_output_flow (the same lookup as ip4_datagram_connect's, see routeConnect);
    // none for a cached route: the flow key's source is the socket's.
    route = cached ? { daddr: dst.addr, saddr: sock.saddr } : routeFrom(dst.addr, sock, 'udp');
    if ('errno' in route)
      return [
        err(
          route.errno === 'EACCES'
            ? `${p}/EACCES-broadcast`
            : route.errno === 'EINVAL'
              ? `${p}/EINVAL-mapped-src`
              : `${p}/ENETUNREACH`,
          route.errno,
        ),
      ];
    caches = !dest && !cached;
  }
  // sock_alloc_send_pskb: "err = sock_error(sk)" (read and cleared), then SEND_SHUTDOWN → EPIPE.
  if (sock.err !== null)
    return [err(`${p}/sock-error`, sock.err)].map((o) => ({
      ...o,
      next: (obs) =>
        produce(o.next(obs), (d) => {
          (d.objs[id] as Sock).err = null;
        }),
    }));
  if (sock.shut & SEND_SHUTDOWN) return [err(`${p}/EPIPE`, 'EPIPE')];
  const len = data.length / 2;
  const to: Endpoint = { addr: route.daddr, port: dst.port };
  const srcAddr = route.saddr;
  const ok = { ret: len };
  const fromFor = (port: number): Endpoint => ({ addr: srcAddr, port });
  // Multicast (routed only from a socket with a source address, so its port is known):
  // ip_mc_output loops a copy back when the host is a member of the group on lo, which
  // it is for 224.0.0.1 only (ip_mc_up joins IGMP_ALL_HOSTS; measured on 6.18: a socket
  // bound to 0.0.0.0:port receives it); __udp4_lib_mcast_deliver then gives a copy to
  // every socket __udp_is_mcast_sock accepts (MC_ALL is on by default, so no membership
  // is needed). Other groups: no member, no copy, no ICMP.
  if (addrType(to.addr) === 'MULTICAST') {
    const members = to.addr === '224.0.0.1' ? mcastSocks(s, to, fromFor(sock.port)) : [];
    if (members.length === 0) return [out(`${p}/no-receiver`, ok)];
    const give = (d: State, ids: number[]): void => {
      for (const m of ids) (d.objs[m] as Sock).rq.push({ data, from: fromFor(sock.port) });
    };
    const sure = members.filter((m) => udpRoom(s.objs[m] as Sock) === 'yes');
    const outs = [out(`${p}/multicast`, ok, (d) => give(d, members))];
    // A full queue may drop its copy (see udpRoom); the model allows all such queues to.
    if (sure.length < members.length) outs.push(out(`${p}/multicast`, ok, (d) => give(d, sure)));
    return outs;
  }
  // Who receives it depends on the sender's port, which an autobind may only now pick:
  // the receivers are looked up in the world after the bind, per observed port.
  const receivers = (port: number, world: State): number[] => udpLookup(world, to, fromFor(port));
  const before = hole === undefined ? receivers(sock.port, s) : undefined;
  if (before !== undefined) return before.length === 0 ? refused(sock.port) : deliverTo(before);
  // A fresh ephemeral port: no socket is connected to it, so only unconnected receivers
  // can match, and those do not depend on the port; a receiver is the sender itself only
  // if it sends to its own port, which it cannot know yet.
  const anyPort = receivers(-1, s).filter((rid) => rid !== id);
  return anyPort.length === 0 ? refused(-1) : deliverTo(anyPort);

  /** One of `ids` takes the datagram (ties are the kernel's to break); a full queue may drop it. */
  function deliverTo(ids: number[]): Outcome[] {
    const outs: Outcome[] = [];
    for (const rid of ids) {
      outs.push(
        out(`${p}/delivered`, ok, (d, port) => {
          (d.objs[rid] as Sock).rq.push({ data, from: fromFor(port) });
        }),
      );
      if (udpRoom(s.objs[rid] as Sock) === 'maybe') outs.push(out(`${p}/dropped-full`, ok));
    }
    return outs;
  }

  /**
   * No socket takes it: __udp4_lib_rcv answers ICMP port unreachable, and __udp4_lib_err
   * gives the socket that the error's 4-tuple finds sk_err = ECONNREFUSED if that socket
   * is connected (a hard error; without IP_RECVERR unconnected sockets ignore it). The
   * lookup finds one socket: when several are connected with the same 4-tuple (sharers
   * through SO_REUSEPORT or SO_REUSEADDR; udp4_lib_lookup4 takes the first in its chain),
   * each is an allowed receiver of the error (measured on 6.18: only one of two gets it).
   */
  function refused(port: number): Outcome[] {
    // To a stale flow key's destination (not local, or not the peer): __icmp_send's route
    // lookup for a reply from that address fails (ip_route_output_key_hash_rcu: the source
    // is not local) and no ICMP is sent; were it sent, __udp4_lib_err would look for a
    // socket connected to that destination, not to the peer. No error either way.
    if (cached && sock.flow !== null) return [out(`${p}/stale-flow`, ok)];
    const connected = (d: State, b: number): boolean => {
      const x = d.objs[b] as Sock;
      return x.remote !== null && x.st === 'ESTABLISHED';
    };
    const hurt = (d: State, b: number): void => {
      (d.objs[b] as Sock).err = 'ECONNREFUSED';
    };
    // The port is known: one outcome per socket the error may reach.
    const known = port >= 0 ? udpLookup(s, fromFor(port), to).filter((b) => connected(s, b)) : [];
    if (known.length > 1) return known.map((b) => out(`${p}/refused`, ok, (d) => hurt(d, b)));
    return [
      out(`${p}/refused`, ok, (d, actual) => {
        // A fresh ephemeral port: no socket can be connected to it but by chance; all such get it.
        for (const b of udpLookup(d, fromFor(port < 0 ? actual : port), to)) if (connected(d, b)) hurt(d, b);
      }),
    ];
  }
}

/**
 * udpv6_sendmsg's destination checks for an AF_INET6 socket: with an address, addr_len <
 * sizeof(sa_family) is EINVAL, AF_INET6 needs SIN6_LEN_RFC2133 bytes ('::' means ::1, or
 * 127.0.0.1 v4-mapped when np->saddr is v4-mapped), AF_INET goes to udp_sendmsg as given,
 * AF_UNSPEC counts as no address, anything else is EINVAL; without one the socket must be
 * connected (EDESTADDRREQ). A v4-mapped destination goes to udp_sendmsg as a sockaddr_in
 * (ENETUNREACH on an IPv6-only socket, as for AF_INET); an IPv6 one needs a port (EINVAL).
 * MSG_OOB is looked at only by udp_sendmsg.
 */
function udpv6Dest(
  sock: Sock,
  dest: AddrIn | null,
  p: 'send' | 'sendto' | 'sendmsg',
): { rule: string; errno: ErrnoName } | { v4: AddrIn } | { v4: AddrIn; peer: true } | { v6: Endpoint } {
  let daddr: string;
  let port: number;
  let explicit = false;
  const q = p === 'sendmsg' ? 'sendmsg' : 'sendto';
  if (dest !== null && (dest.len < 2 || dest.ptr !== 'ok')) return { rule: `${q}/EINVAL-short`, errno: 'EINVAL' };
  if (dest !== null && dest.ptr === 'ok' && dest.family === AF_INET) {
    if (ipv6Only(sock)) return { rule: `${p}/ENETUNREACH`, errno: 'ENETUNREACH' };
    return { v4: dest };
  }
  if (dest !== null && dest.ptr === 'ok' && dest.family === AF_INET6) {
    if (dest.len < SIN6_LEN_RFC2133) return { rule: `${q}/EINVAL-short`, errno: 'EINVAL' };
    const v = in6View(dest);
    daddr = v.addr === '::' && mappedV4(sock.saddr) !== undefined ? '::ffff:127.0.0.1' : v.addr;
    port = dest.port;
    explicit = true;
  } else if (dest !== null && dest.ptr === 'ok' && dest.family !== AF_UNSPEC) {
    return { rule: `${q}/EINVAL-family`, errno: 'EINVAL' };
  } else {
    if (sock.st !== 'ESTABLISHED' || sock.remote === null) return { rule: `${p}/EDESTADDRREQ`, errno: 'EDESTADDRREQ' };
    daddr = sock.remote.addr;
    port = sock.remote.port;
    // AF_UNSPEC: "daddr = NULL", so a v4-mapped peer skips the IPv4 arm and is looked up
    // as an IPv6 route, which does not exist (measured on 6.18: ENETUNREACH).
    if (dest !== null && mappedV4(daddr) !== undefined) return { rule: `${p}/ENETUNREACH`, errno: 'ENETUNREACH' };
  }
  if (mappedV4(daddr) !== undefined) {
    if (ipv6Only(sock)) return { rule: `${p}/ENETUNREACH`, errno: 'ENETUNREACH' };
    const v4: AddrIn = { ptr: 'ok', len: SOCKADDR_IN_LEN, family: AF_INET, addr: key(daddr), port };
    return explicit ? { v4 } : { v4, peer: true };
  }
  if (explicit && port === 0) return { rule: `${q}/EINVAL-port0`, errno: 'EINVAL' };
  // "if (ipv6_addr_any(&fl6->daddr)) fl6->daddr.s6_addr[15] = 0x1; /* :: means connect to host */"
  return { v6: { addr: daddr === '::' ? '::1' : daddr, port } };
}

/** send(2) and sendto(2) on AF_INET and AF_INET6 sockets: the address copied in, then sock_sendmsg. */
export function inetSend(s: State, id: number, sock: Sock, c: SendCall): Outcome[] {
  const dest = destOf(c);
  if (dest) {
    const copy = moveAddrToKernel(dest);
    if (copy) return [withBound(fail(s, copy === 'EFAULT' ? 'sendto/EFAULT' : 'sendto/EINVAL-addrlen', copy), sock)];
  }
  return sockSend(s, c.op, id, dest, c.data, c.flags, 'none');
}
