/**
 * socket(2) for AF_INET and AF_INET6 stream and datagram sockets, and Linux's refusals for
 * everything else the generator asks for. Checks in the order of __sys_socket →
 * __sock_create → inet_create / inet6_create / unix_create → sock_map_fd. Whether a family
 * or an inet protocol is registered can depend on the machine's modules (__sock_create and
 * inet_create call request_module): the model answers "not registered" only for numbers no
 * kernel it covers registers, and refuses the others.
 */
import { produce } from 'immer';
import type { Call } from '../../spec/call.js';
import {
  AF_INET,
  AF_INET6,
  AF_MAX,
  AF_UNIX,
  AF_VSOCK,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_IP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  O_RDWR,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_MAX,
  SOCK_NONBLOCK,
  SOCK_PACKET,
  SOCK_RAW,
  SOCK_SEQPACKET,
  SOCK_STREAM,
  SOCK_TYPE_MASK,
} from '../../spec/constants.js';
import { fail, ok, type Outcome } from '../core/outcome.js';
import { lowestFreeFd, type State } from '../core/state.js';
import { vsockSocketStep } from '../vsock/af_vsock.js';
import { newSock } from '../core/inet_sock.js';

export const SOCKET_RULES = [
  'socket/EINVAL-flags',
  'socket/EAFNOSUPPORT-range',
  'socket/EINVAL-type',
  'socket/EAFNOSUPPORT',
  'socket/EINVAL-protocol',
  'socket/ESOCKTNOSUPPORT',
  'socket/EPROTONOSUPPORT',
  'socket/EACCES-ping',
  'socket/unix-EPROTONOSUPPORT',
  'socket/unix-ESOCKTNOSUPPORT',
  'socket/EMFILE',
  'socket/tcp',
  'socket/udp',
] as const;

/** IPPROTO_MAX: inet_create refuses protocols outside [0, IPPROTO_MAX). */
const IPPROTO_MAX = 263;

/** inetsw6[type]: the same for AF_INET6 (inet6_init: tcpv6_protosw, udpv6_protosw, pingv6_protosw, rawv6_protosw). */
const INETSW6: Record<number, number[]> = {
  [SOCK_STREAM]: [IPPROTO_TCP],
  [SOCK_DGRAM]: [IPPROTO_UDP, IPPROTO_ICMPV6],
  [SOCK_RAW]: [IPPROTO_IP],
};

/** inetsw[type]: the protocols registered for each AF_INET socket type (inet_init's inetsw_array). */
const INETSW: Record<number, number[]> = {
  [SOCK_STREAM]: [IPPROTO_TCP],
  [SOCK_DGRAM]: [IPPROTO_UDP, IPPROTO_ICMP],
  [SOCK_RAW]: [IPPROTO_IP],
};

/**
 * Family numbers below AF_MAX that no x86_64 kernel since 6.1 registers (sock_register),
 * built in or as a module: AF_UNSPEC; AF_IPX (removed in 4.18), AF_BRIDGE, AF_DECnet
 * (removed in 6.1), AF_NETBEUI, AF_SECURITY, AF_ASH, AF_ECONET (removed in 3.5), AF_SNA,
 * AF_IRDA (removed in 4.17), AF_WANPIPE, AF_IB and AF_MPLS (address families only),
 * AF_IUCV (s390 only). __sock_create answers EAFNOSUPPORT for them on every machine.
 */
const NEVER_REGISTERED = new Set([0, 4, 7, 12, 13, 14, 18, 19, 22, 23, 25, 27, 28, 32]);

/**
 * inet protocols a module or a build option may register (inet_register_protosw /
 * inet6_register_protosw, loaded on demand by inet_create's request_module): DCCP (33, until
 * 6.16), L2TP/IP (115), SCTP (132), UDP-Lite (136), SMC (256), MPTCP (262). Whether
 * socket() takes them is the machine's, not the model's.
 */
const MAYBE_REGISTERED = new Set([33, 115, 132, 136, 256, 262]);

/** PF_UNIX: the one protocol number unix_create takes besides 0. */
const PF_UNIX = 1;

type SocketCall = Extract<Call, { op: 'socket' }>;

export function socketStep(s: State, c: SocketCall): Outcome[] {
  // __sys_socket_create: flags beyond SOCK_TYPE_MASK other than SOCK_CLOEXEC|SOCK_NONBLOCK.
  const flags = c.type & ~SOCK_TYPE_MASK;
  if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK)) return [fail(s, 'socket/EINVAL-flags', 'EINVAL')];
  const type = c.type & SOCK_TYPE_MASK;
  // __sock_create: family range, then type range.
  if (c.domain < 0 || c.domain >= AF_MAX) return [fail(s, 'socket/EAFNOSUPPORT-range', 'EAFNOSUPPORT')];
  if (type >= SOCK_MAX) return [fail(s, 'socket/EINVAL-type', 'EINVAL')];
  // __sock_create: PF_INET + SOCK_PACKET is redirected to PF_PACKET (not modelled); any
  // family other than AF_INET is treated as unregistered (net_families[family] == NULL).
  // AF_VSOCK, when the machine registers it (profile.vsock), is its own kind (model/vsock/af_vsock.ts).
  if (c.domain === AF_VSOCK && s.profile.vsock !== undefined) return vsockSocketStep(s, c, type, flags);
  if (c.domain === AF_UNIX) return unixCreate(s, type, c.protocol);
  // "if (family == PF_INET && type == SOCK_PACKET) family = PF_PACKET;" (CAP_NET_RAW, a module).
  if (c.domain === AF_INET && type === SOCK_PACKET)
    throw new Error('model: PF_PACKET sockets (AF_INET with SOCK_PACKET) are not modelled');
  if (c.domain === AF_VSOCK || NEVER_REGISTERED.has(c.domain)) return [fail(s, 'socket/EAFNOSUPPORT', 'EAFNOSUPPORT')];
  if (c.domain !== AF_INET && c.domain !== AF_INET6)
    throw new Error(
      `model: address family ${c.domain} is not modelled (whether it is registered depends on the machine's modules)`,
    );
  const v6 = c.domain === AF_INET6;
  // inet_create: protocol range, then the inetsw lookup with its two wildcard cases.
  if (c.protocol < 0 || c.protocol >= IPPROTO_MAX) return [fail(s, 'socket/EINVAL-protocol', 'EINVAL')];
  if (MAYBE_REGISTERED.has(c.protocol) || type === SOCK_SEQPACKET)
    throw new Error(
      `model: inet protocol ${c.protocol} with type ${type} is not modelled (SCTP, MPTCP, UDP-Lite, ... are the machine's modules)`,
    );
  // inet6_create looks in inetsw6, whose datagram entries are UDP and ICMPv6 (pingv6).
  const answers = (v6 ? INETSW6[type] : INETSW[type]) ?? [];
  if (answers.length === 0) return [fail(s, 'socket/ESOCKTNOSUPPORT', 'ESOCKTNOSUPPORT')];
  let proto: number | undefined;
  for (const a of answers) {
    if (c.protocol === a) {
      if (c.protocol !== IPPROTO_IP) {
        proto = a;
        break;
      }
    } else if (c.protocol === IPPROTO_IP) {
      proto = a;
      break;
    } else if (a === IPPROTO_IP) {
      proto = c.protocol;
      break;
    }
  }
  if (proto === undefined) return [fail(s, 'socket/EPROTONOSUPPORT', 'EPROTONOSUPPORT')];
  // inet_create: "if (sock->type == SOCK_RAW && !kern && !ns_capable(..., CAP_NET_RAW))" (EPERM), then a raw socket.
  if (type === SOCK_RAW) throw new Error('model: raw sockets are not modelled');
  // ping_init_sock: a fresh namespace's ping_group_range ("1 0") admits no group.
  if (proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6) return [fail(s, 'socket/EACCES-ping', 'EACCES')];
  // sock_map_fd → get_unused_fd_flags: EMFILE when no fd below RLIMIT_NOFILE is free.
  const fd = lowestFreeFd(s);
  if (fd >= s.profile.nofile) return [fail(s, 'socket/EMFILE', 'EMFILE')];
  const kind = proto === IPPROTO_TCP ? 'tcp' : 'udp';
  return [
    ok(`socket/${kind}`, fd, () =>
      produce(s, (d) => {
        const id = d.nextObj++;
        const sk = newSock(kind, O_RDWR | (flags & SOCK_NONBLOCK), s.profile, v6 ? 'inet6' : 'inet');
        sk.refs = 1;
        d.objs[id] = sk;
        d.fds[fd] = { obj: id, cloexec: (flags & SOCK_CLOEXEC) !== 0 };
      }),
    ),
  ];
}

/**
 * unix_create: "if (protocol && protocol != PF_UNIX) return -EPROTONOSUPPORT;", then the type
 * (SOCK_RAW is made SOCK_DGRAM; anything but stream, dgram, seqpacket: ESOCKTNOSUPPORT). A
 * socket it makes (unbound, unconnected) is refused: the model's AF_UNIX sockets are
 * socketpair's, and the calls on an unbound one (listen, connect to a listener, autobind,
 * its poll mask) are not modelled.
 */
function unixCreate(s: State, type: number, protocol: number): Outcome[] {
  if (protocol !== 0 && protocol !== PF_UNIX) return [fail(s, 'socket/unix-EPROTONOSUPPORT', 'EPROTONOSUPPORT')];
  if (type !== SOCK_STREAM && type !== SOCK_DGRAM && type !== SOCK_RAW && type !== SOCK_SEQPACKET)
    return [fail(s, 'socket/unix-ESOCKTNOSUPPORT', 'ESOCKTNOSUPPORT')];
  throw new Error('model: socket(AF_UNIX) is not modelled (an unbound AF_UNIX socket; socketpair(AF_UNIX) is)');
}
