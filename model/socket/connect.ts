/**
 * connect(2) on AF_INET and AF_INET6 sockets: __sys_connect (fd, move_addr_to_kernel) →
 * __sys_connect_file (ENOTSOCK) → inet_stream_connect → __inet_stream_connect →
 * tcp_v4_connect (tcp_v6_connect, which hands v4-mapped destinations to tcp_v4_connect)
 * for TCP; inet_dgram_connect → ip4_datagram_connect (ip6_datagram_connect) for UDP.
 * On loopback the handshake runs inside the call; the connecting socket's own lock
 * defers the answer it receives until it releases the lock, which is why a
 * non-blocking connect reports EINPROGRESS although the connection is already made.
 */
import { variantOf } from '../../spec/variants.js';
import { produce } from 'immer';
import type { Call } from '../../spec/call.js';
import type { ErrnoName } from '../../spec/errno.js';
import type { PortHole } from '../../spec/expected.js';
import { AF_INET, AF_INET6, AF_UNSPEC, O_NONBLOCK, SIN6_LEN_RFC2133, SOCKADDR_IN6_LEN, SOCKADDR_IN_LEN } from '../../spec/constants.js';
import { in4View, in6View, mappedV4 } from '../../spec/inet6.js';
import { asFamily, ipv6Only, isV4Key, key, needsScope, refuseMappedListener, routeFrom, v4Saddr, v6Type } from '../ipv4/family.js';
import { moveAddrToKernel } from '../core/addr.js';
import { routeConnect } from '../ipv4/route.js';
import { LOOPBACK_IFINDEX, withBound } from './bind.js';
import { lookupFile } from './fd.js';
import { unixAt } from '../unix/af_unix.js';
import { unixConnect } from '../unix/unix_ops.js';
import { fail, type Outcome } from '../core/outcome.js';
import { connectBucket, inHole, portSeqFor, tcpConnectHole, udpHole } from '../ipv4/inet_connection_sock.js';
import { anyOf, expandSndbuf, isAny, isTimewait, SEND_SHUTDOWN, sockets, sockName, type Endpoint, type Sock, type State } from '../core/state.js';
import { findListeners } from '../ipv4/inet_hashtables.js';
import { connectFailure, disconnect, enqueueChild, timeWait } from '../ipv4/tcp.js';
import { done, setClose } from '../ipv4/tcp_input.js';

export const CONNECT_RULES = [
  'connect/EBADF', 'connect/EINVAL-addrlen', 'connect/EFAULT', 'connect/ENOTSOCK', 'connect/EINVAL-short',
  'connect/tcp-unspec', 'connect/EINVAL-sockstate', 'connect/EISCONN', 'connect/EALREADY',
  'connect/pending-blocks', 'connect/completes', 'connect/sock-error', 'connect/EISCONN-state',
  'connect/tcp-EINVAL-len', 'connect/tcp-EAFNOSUPPORT', 'connect/tcp-ENETUNREACH', 'connect/EADDRNOTAVAIL', 'connect/EADDRNOTAVAIL-fin-wait1',
  'connect/established', 'connect/EINPROGRESS', 'connect/queue-full-blocks', 'connect/queue-full-EINPROGRESS',
  'connect/ECONNREFUSED', 'connect/EINPROGRESS-refused', 'connect/self', 'connect/self-shutdown',
  'connect/udp-unspec', 'connect/udp-EINVAL-len', 'connect/udp-EAFNOSUPPORT', 'connect/udp-ENETUNREACH',
  'connect/udp-EACCES-broadcast', 'connect/udp',
  'connect/tcp6-EINVAL-scope', 'connect/tcp6-ENETUNREACH-v6only', 'connect/tcp6-EAFNOSUPPORT-mapped-src',
  'connect/udp6-ENETUNREACH-v6only', 'connect/udp6-EINVAL-scope', 'connect/udp6-EAFNOSUPPORT-mapped-src',
  'connect/tcp6-syn-lost', 'connect/EINVAL-after-listen', 'connect/tcp6-EINVAL-mapped-src', 'connect/udp6-EINVAL-mapped-src',
] as const;

type ConnectCall = Extract<Call, { op: 'connect' }>;

export function connectStep(s: State, c: ConnectCall): Outcome[] {
  const f = lookupFile(s, c.fd);
  if (f.errno) return [fail(s, 'connect/EBADF', 'EBADF')];
  const copy = moveAddrToKernel(c.addr);
  const o = s.objs[f.id];
  const isSock = o !== undefined && o.kind === 'socket';
  if (copy) {
    const out = fail(s, copy === 'EFAULT' ? 'connect/EFAULT' : 'connect/EINVAL-addrlen', copy);
    return [isSock ? withBound(out, o) : out];
  }
  // AF_UNIX (model/unix*.ts): unix_dgram_connect / unix_stream_connect.
  const ux = unixAt(s, c.fd);
  if (ux) return unixConnect(s, ux.id, ux.u, c.addr);
  if (!isSock) return [fail(s, 'connect/ENOTSOCK', 'ENOTSOCK')];
  return o.proto === 'tcp' ? tcpConnect(s, f.id, o, c) : udpConnect(s, f.id, o, c);
}

/** Outcome that leaves the world unchanged, reporting the socket's address. */
function same(s: State, sk: Sock, rule: string, errno: ErrnoName): Outcome {
  return withBound(fail(s, rule, errno), sk);
}

/** An outcome whose next world is fixed, with the socket's address reported from it. */
function to(next: State, id: number, rule: string, expect: { ret: number; errno?: ErrnoName } | 'blocked'): Outcome {
  const e = expect === 'blocked' ? { kind: 'blocked' as const } : { kind: 'returned' as const, ...expect };
  return withBound({ rule, expect: e, next: () => next }, next.objs[id] as Sock);
}

function tcpConnect(s: State, id: number, sk: Sock, c: ConnectCall): Outcome[] {
  const a = c.addr;
  // __inet_stream_connect: addr_len < sizeof(sa_family); AF_UNSPEC disconnects.
  if (a.len < 2 || a.ptr !== 'ok') return [same(s, sk, 'connect/EINVAL-short', 'EINVAL')];
  if (a.family === AF_UNSPEC) {
    const next = produce(s, (d) => { disconnect(d, id); (d.objs[id] as Sock).ss = 'UNCONNECTED'; });
    return [to(next, id, 'connect/tcp-unspec', { ret: 0 })];
  }
  const nonblock = (sk.fileFlags & O_NONBLOCK) !== 0;
  switch (sk.ss) {
    case 'DISCONNECTING': return [same(s, sk, 'connect/EINVAL-sockstate', 'EINVAL')];
    case 'CONNECTED': return [same(s, sk, 'connect/EISCONN', 'EISCONN')];
    case 'CONNECTING': {
      // err = -EALREADY, then: still in SYN_SENT → wait (or EALREADY); CLOSE → sock_error;
      // anything else → SS_CONNECTED, 0.
      if (sk.st === 'SYN_SENT') {
        if (nonblock) return [same(s, sk, 'connect/EALREADY', 'EALREADY')];
        return [to(s, id, 'connect/pending-blocks', 'blocked')];
      }
      if (sk.st === 'CLOSE') {
        const err: ErrnoName = sk.err ?? 'ECONNABORTED';
        const next = produce(s, (d) => {
          const x = d.objs[id] as Sock;
          x.err = null;
          x.ss = 'UNCONNECTED';
          disconnect(d, id);
        });
        return [to(next, id, 'connect/sock-error', { ret: -1, errno: err })];
      }
      const next = produce(s, (d) => { (d.objs[id] as Sock).ss = 'CONNECTED'; });
      return [to(next, id, 'connect/completes', { ret: 0 })];
    }
    case 'UNCONNECTED':
      break;
  }
  if (sk.st !== 'CLOSE') return [same(s, sk, 'connect/EISCONN-state', 'EISCONN')];
  const target = sk.family === 'inet' ? tcpV4Target(s, sk, a) : tcpV6Target(s, id, sk, a);
  if ('out' in target) return [target.out];
  const { route } = target;
  // Endpoints from here on are keys (family.ts): dotted for IPv4 (also of an AF_INET6
  // socket's v4-mapped connection), IPv6 text otherwise; stored in the socket's family.
  const dst: Endpoint = { addr: route.daddr, port: a.port };
  // The source address comes from the route when the socket has none (inet_bhash2_update_saddr).
  const src = !isAny(sk.saddr) ? key(sk.saddr) : route.saddr;
  const mappedOpsReset = variantOf(s.profile.variants, 'tcp6-mapped-ops') === 'reset';
  // inet_hash_connect: a bound port must give a unique 4-tuple (__inet_check_established).
  const notUnique = (rule: string, errno: ErrnoName = 'EADDRNOTAVAIL'): Outcome => {
    const next = produce(s, (d) => {
      const x = d.objs[id] as Sock;
      // The source address was already taken from the route (inet_bhash2_update_saddr)
      // when inet_hash_connect failed; the failure path resets it only if not bound.
      if (isAny(x.saddr)) { x.addr = asFamily(x.family, src); x.saddr = x.addr; }
      connectFailure(x);
      // tcp_v4_connect failed: tcp_v6_connect puts ipv6_specific back.
      if (isV4Key(dst.addr)) x.afMapped = false;
    });
    return to(next, id, rule, { ret: -1, errno });
  };
  // Variant connect-after-listen (spec/variants.ts): 'allowed' as read upstream. Under
  // 'einval' (6.18-fc-v1300) a socket that once listened fails where inet_hash_connect
  // would, after the address and route checks and after the source address was taken
  // from the route: the failure path keeps it on a socket bound to an address (measured:
  // bound to [::ffff:0.0.0.0]:5000, getsockname shows ::ffff:127.0.0.1 afterwards).
  if (sk.listenedOnce && variantOf(s.profile.variants, 'connect-after-listen') === 'einval') {
    return [notUnique('connect/EINVAL-after-listen', 'EINVAL')];
  }
  if (sk.port !== 0 && fourTupleOwner(s, id, { addr: src, port: sk.port }, dst, false) !== undefined) return [notUnique('connect/EADDRNOTAVAIL')];
  // A closed socket that sent its FIN holds the 4-tuple as a FIN_WAIT2 timewait socket,
  // which __inet_check_established takes over, only once the peer's delayed ACK of the FIN
  // has come (40 ms or more, see sendFin); until then it is a full socket in FIN_WAIT1 and
  // the 4-tuple is not unique (measured on 6.18: EADDRNOTAVAIL at once, taken over 300 ms
  // later). The model has no clock, so both answers are allowed.
  const twOwner = sk.port !== 0 ? fourTupleOwner(s, id, { addr: src, port: sk.port }, dst, true) : undefined;
  const ackPending = twOwner !== undefined && (s.objs[twOwner] as Sock).st === 'FIN_WAIT2' ? [notUnique('connect/EADDRNOTAVAIL-fin-wait1')] : [];
  let hole = sk.port === 0 ? tcpConnectHole(s, id, src, dst) : undefined;
  /** An outcome whose local port is `choice`: the bound port, or the ephemeral hole. */
  const outcome = (rule: string, ret: { ret: number; errno?: ErrnoName } | 'blocked', make: (d: State, port: number) => void, choice: number | PortHole = hole ?? sk.port): Outcome => {
    const after = (port: number): State => produce(s, (d) => {
      const x = d.objs[id] as Sock;
      if (isAny(x.saddr)) { x.addr = asFamily(x.family, src); x.saddr = x.addr; }
      // __inet_hash_connect: a new bucket for an ephemeral port is marked as connect's own.
      if (sk.port === 0 && port !== 0) connectBucket(d, s, port);
      x.port = port; x.sport = port; x.remote = { addr: asFamily(x.family, dst.addr), port: dst.port }; x.st = 'SYN_SENT';
      x.connectedOnce = true;
      // tcp_v6_connect: ipv6_mapped for a v4-mapped connect that tcp_v4_connect took.
      if (x.family === 'inet6' && isV4Key(dst.addr)) x.afMapped = true;
      // Variant tcp6-mapped-ops=reset: an IPv6 connect puts ipv6_specific back.
      else if (mappedOpsReset) x.afMapped = false;
      x.synLost = false;
      // tcp_connect → tcp_connect_init: "sk->sk_err = 0" (an error left by an earlier
      // refused non-blocking connect and kept by AF_UNSPEC's tcp_disconnect, or an
      // ECONNRESET left by a disconnect, goes here; SO_ERROR shows it).
      x.err = null;
      // __inet_check_established: a TIME_WAIT socket with this 4-tuple is taken over.
      const tw = fourTupleOwner(d, id, { addr: src, port }, dst, true);
      if (tw !== undefined) delete d.objs[tw];
      make(d, port);
    });
    // What getsockname reports afterwards: the post-call address; the port is the
    // ephemeral choice (a hole) when the socket had none (inet_sport survives tcp_done).
    const name = sockName(after(typeof choice === 'number' ? choice : 0).objs[id] as Sock);
    const bound = { addr: name.addr, port: typeof choice === 'number' ? name.port : choice };
    return {
      rule,
      expect: ret === 'blocked' ? { kind: 'blocked', bound } : { kind: 'returned', ...ret, bound },
      next: (obs) => after(typeof choice === 'number' ? choice : (obs.kind === 'returned' || obs.kind === 'blocked') && obs.bound ? obs.bound.port : 0),
    };
  };
  // Self-connect: the SYN meets the sending socket itself (simultaneous open).
  const self = (port: number): Outcome => (sk.shut & SEND_SHUTDOWN) === 0
    ? outcome('connect/self', nonblock ? { ret: -1, errno: 'EINPROGRESS' } : { ret: 0 }, (d) => {
      const x = d.objs[id] as Sock;
      x.st = 'ESTABLISHED'; x.peer = id; x.ss = nonblock ? 'CONNECTING' : 'CONNECTED';
      // Simultaneous open ends in tcp_rcv_state_process's SYN_RECV → ESTABLISHED, which runs tcp_init_transfer.
      expandSndbuf(x, s.profile);
    }, port)
    // With SEND_SHUTDOWN already set (a shutdown() on the unconnected socket), the
    // simultaneous open with itself is followed at once by the FIN that shutdown asked
    // for: the socket meets its own FIN and ends in TIME_WAIT, i.e. done (CLOSE, no
    // error) with a TIME_WAIT socket holding the port (measured on 6.18: a later listen
    // on the port fails with EADDRINUSE). A blocking connect then reports ECONNABORTED
    // ("sock_error(sk) ? : -ECONNABORTED") and disconnects; a non-blocking one says
    // EINPROGRESS and leaves that to the next connect.
    : outcome('connect/self-shutdown', nonblock ? { ret: -1, errno: 'EINPROGRESS' } : { ret: -1, errno: 'ECONNABORTED' }, (d) => {
      const x = d.objs[id] as Sock;
      x.st = 'ESTABLISHED'; x.peer = id;
      expandSndbuf(x, s.profile);
      timeWait(d, id);
      if (nonblock) x.ss = 'CONNECTING';
      else { x.ss = 'UNCONNECTED'; disconnect(d, id); }
    }, port);
  // An AF_INET6 socket whose icsk_af_ops is still ipv6_mapped (Sock.afMapped) sends the
  // SYN of an IPv6 connect through the IPv4 path, where it never arrives (measured on
  // 6.18-fc-v595: SYN_SENT 100 ms later; a blocking connect waits): the port is taken as
  // usual. Variant tcp6-mapped-ops (spec/variants.ts): 'sticky' is tcp_v6_connect as read
  // upstream (ipv6_specific is put back only when tcp_v4_connect fails); under 'reset'
  // (6.18-fc-v1300) the IPv6 connect goes out as IPv6, by the rules below.
  if (sk.afMapped && !isV4Key(dst.addr) && !mappedOpsReset) {
    return [outcome('connect/tcp6-syn-lost', nonblock ? { ret: -1, errno: 'EINPROGRESS' } : 'blocked', (d) => {
      const x = d.objs[id] as Sock;
      x.ss = 'CONNECTING'; x.synLost = true;
    })];
  }
  if (dst.addr === src && dst.port === sk.port && sk.port !== 0) return [...ackPending, self(sk.port)];
  // An unbound socket connecting to its own address may draw the destination port as its
  // ephemeral port, and then meets itself (measured: connect after a refused connect to
  // the port it had just released). Every other draw goes on as below.
  const alsoSelf: Outcome[] = [];
  if (hole !== undefined && dst.addr === src && inHole(hole, dst.port)) {
    alsoSelf.push(self(dst.port));
    hole = { ...hole, taken: [...hole.taken, dst.port] };
  }
  // The kernel's usual answer first (the model adapter takes the first outcome).
  return [...ackPending, ...rest(), ...alsoSelf];

  function rest(): Outcome[] {
    const lids = findListeners(s, dst);
    if (lids.length === 0) {
      // tcp_v4_send_reset → tcp_reset in SYN_SENT: sk_err = ECONNREFUSED, tcp_done.
      if (nonblock) {
        return [outcome('connect/EINPROGRESS-refused', { ret: -1, errno: 'EINPROGRESS' }, (d) => {
          const x = d.objs[id] as Sock;
          x.err = 'ECONNREFUSED'; x.ss = 'CONNECTING'; done(x);
        })];
      }
      return [outcome('connect/ECONNREFUSED', { ret: -1, errno: 'ECONNREFUSED' }, (d) => {
        const x = d.objs[id] as Sock;
        setClose(x); x.ss = 'UNCONNECTED';
        disconnect(d, id);
        x.err = null;
      })];
    }
    // One listener takes the SYN (several: a reuseport group, which one is the hash's choice).
    return lids.map((lid) => toListener(lid));
  }

  function toListener(lid: number): Outcome {
    const l = s.objs[lid] as Sock;
    refuseMappedListener(l, dst.addr);
    // tcp_conn_request / tcp_v4_syn_recv_sock: sk_acceptq_is_full is ack_backlog > max_ack_backlog.
    if (l.queue.length > l.backlog) {
      return outcome(nonblock ? 'connect/queue-full-EINPROGRESS' : 'connect/queue-full-blocks', nonblock ? { ret: -1, errno: 'EINPROGRESS' } : 'blocked', (d) => {
        (d.objs[id] as Sock).ss = 'CONNECTING';
      });
    }
    return outcome(nonblock ? 'connect/EINPROGRESS' : 'connect/established', nonblock ? { ret: -1, errno: 'EINPROGRESS' } : { ret: 0 }, (d, port) => {
      enqueueChild(d, lid, id, { addr: src, port }, dst);
      (d.objs[id] as Sock).ss = nonblock ? 'CONNECTING' : 'CONNECTED';
    });
  }
}

/** Where a TCP connect goes: the route (keys), or the outcome that ends the call. */
type Target = { route: { daddr: string; saddr: string } } | { out: Outcome };

/** tcp_v4_connect's checks and ip_route_connect (AF_INET sockets). */
function tcpV4Target(s: State, sk: Sock, a: ConnectCall['addr'] & { ptr: 'ok' }): Target {
  if (a.len < SOCKADDR_IN_LEN) return { out: same(s, sk, 'connect/tcp-EINVAL-len', 'EINVAL') };
  if (a.family !== AF_INET) return { out: same(s, sk, 'connect/tcp-EAFNOSUPPORT', 'EAFNOSUPPORT') };
  const route = routeConnect(in4View(a), sk.saddr, 'tcp');
  if ('errno' in route) return { out: same(s, sk, 'connect/tcp-ENETUNREACH', route.errno) };
  return { route };
}

/**
 * tcp_v6_connect's checks, in its order: addr_len < SIN6_LEN_RFC2133, the family, '::'
 * meaning loopback (v4-mapped when the socket's address is), multicast (ENETUNREACH), a
 * link-local destination's interface (the scope id must match a bound one and is then
 * bound; none at all: EINVAL); then a v4-mapped destination goes to tcp_v4_connect
 * (ENETUNREACH on an IPv6-only socket), any other to ip6_dst_lookup_flow: a v4-mapped
 * source cannot reach an IPv6 destination (ip6_dst_lookup_tail: EAFNOSUPPORT), and only
 * ::1 has a route.
 */
function tcpV6Target(s: State, id: number, sk: Sock, a: ConnectCall['addr'] & { ptr: 'ok' }): Target {
  if (a.len < SIN6_LEN_RFC2133) return { out: same(s, sk, 'connect/tcp-EINVAL-len', 'EINVAL') };
  if (a.family !== AF_INET6) return { out: same(s, sk, 'connect/tcp-EAFNOSUPPORT', 'EAFNOSUPPORT') };
  const v = in6View(a);
  let daddr = v.addr;
  const srcMapped = mappedV4(sk.addr) !== undefined;
  if (daddr === '::') daddr = srcMapped ? '::ffff:127.0.0.1' : '::1';
  const t = v6Type(daddr);
  if (t === 'MULTICAST') return { out: same(s, sk, 'connect/tcp-ENETUNREACH', 'ENETUNREACH') };
  if (t === 'LINKLOCAL') {
    let dev = sk.dev;
    if (a.len >= SOCKADDR_IN6_LEN && v.scope_id !== 0) {
      if (dev !== 0 && dev !== v.scope_id) return { out: same(s, sk, 'connect/tcp6-EINVAL-scope', 'EINVAL') };
      dev = v.scope_id;
    }
    if (dev === 0) return { out: same(s, sk, 'connect/tcp6-EINVAL-scope', 'EINVAL') };
    if (dev !== LOOPBACK_IFINDEX) throw new Error('model: a connect on a socket bound to a missing interface is not modelled');
    // No route to a link-local address on lo (measured on 6.18: ENETUNREACH); the interface stays bound.
    const next = dev === sk.dev ? s : produce(s, (d) => { (d.objs[id] as Sock).dev = dev; });
    return { out: withBound(fail(next, 'connect/tcp-ENETUNREACH', 'ENETUNREACH'), next.objs[id] as Sock) };
  }
  if (t === 'MAPPED') {
    if (ipv6Only(sk)) return { out: same(s, sk, 'connect/tcp6-ENETUNREACH-v6only', 'ENETUNREACH') };
    const route = routeFrom(key(daddr), sk, 'tcp');
    if ('errno' in route) {
      // tcp_v4_connect failed: "icsk->icsk_af_ops = &ipv6_specific".
      const next = sk.afMapped ? produce(s, (d) => { (d.objs[id] as Sock).afMapped = false; }) : s;
      return { out: withBound(fail(next, route.errno === 'EINVAL' ? 'connect/tcp6-EINVAL-mapped-src' : 'connect/tcp-ENETUNREACH', route.errno), sk) };
    }
    return { route };
  }
  // ip6_dst_lookup_tail: the route lookup first, then the v4-mapped source check.
  if (t !== 'LOOPBACK') return { out: same(s, sk, 'connect/tcp-ENETUNREACH', 'ENETUNREACH') };
  if (srcMapped) return { out: same(s, sk, 'connect/tcp6-EAFNOSUPPORT-mapped-src', 'EAFNOSUPPORT') };
  return { route: { daddr: '::1', saddr: '::1' } };
}


/**
 * The socket other than `id` that holds the 4-tuple src → dst, if any; TIME_WAIT
 * sockets count only when `timewait` is true. (__inet_check_established lets a connect
 * from an already bound port take over a TIME_WAIT socket whose timestamps it can
 * honour: "if (tcptw->tw_ts_recent_stamp && (!twp || ...))", twp being NULL there, and
 * timestamps are on by default.)
 */
export function fourTupleOwner(s: State, id: number, src: Endpoint, dst: Endpoint, timewait: boolean): number | undefined {
  for (const [oid, o] of sockets(s)) {
    if (oid === id || o.proto !== 'tcp' || o.remote === null || o.st === 'CLOSE' || o.st === 'LISTEN') continue;
    if (isTimewait(o) !== timewait) continue;
    if (o.port === src.port && key(o.addr) === src.addr && key(o.remote.addr) === dst.addr && o.remote.port === dst.port) return oid;
  }
  return undefined;
}

function udpConnect(s: State, id: number, sk: Sock, c: ConnectCall): Outcome[] {
  const a = c.addr;
  // inet_dgram_connect: addr_len < sizeof(sa_family); AF_UNSPEC → __udp_disconnect.
  if (a.len < 2 || a.ptr !== 'ok') return [same(s, sk, 'connect/EINVAL-short', 'EINVAL')];
  if (a.family === AF_UNSPEC) {
    const next = produce(s, (d) => {
      const x = d.objs[id] as Sock;
      x.st = 'CLOSE'; x.remote = null;
      // __udp_disconnect → sk_dst_reset.
      x.routeCached = false; x.flow = null;
      if (!x.addrLock) { x.addr = anyOf(x); x.saddr = anyOf(x); x.inet4Saddr = ''; }
      if (!x.portLock) { x.port = 0; x.sport = 0; }
    });
    return [to(next, id, 'connect/udp-unspec', { ret: 0 })];
  }
  // inet_dgram_connect autobinds before ip4_datagram_connect looks at the address.
  const hole = sk.port === 0 ? udpHole(s, id, sk.addr) : undefined;
  const seq = portSeqFor(s, sk);
  const outcome = (rule: string, errno: ErrnoName | undefined, make: (x: Sock) => void): Outcome => ({
    rule,
    expect: errno ? { kind: 'returned', ret: -1, errno, bound: { addr: '', port: hole ?? sk.sport } } : { kind: 'returned', ret: 0, bound: { addr: '', port: hole ?? sk.sport } },
    next: (obs) => produce(s, (d) => {
      const x = d.objs[id] as Sock;
      if (hole !== undefined) {
        const port = obs.kind === 'returned' && obs.bound ? obs.bound.port : 0;
        x.port = port; x.sport = port; x.portSeq = seq;
      }
      make(x);
    }),
  });
  const fix = (o: Outcome, addr: string): Outcome => {
    if (o.expect.kind === 'returned' && o.expect.bound) o.expect.bound.addr = addr;
    return o;
  };
  const name = sockName(sk).addr;
  const refuse = (rule: string, errno: ErrnoName, make: (x: Sock) => void = () => {}): Outcome[] => [fix(outcome(rule, errno, make), name)];
  let v4: { len: number; family: number; addr: string; port: number };
  if (sk.family === 'inet') v4 = { len: a.len, family: a.family, addr: in4View(a), port: a.port };
  else {
    const t6 = udpV6Target(sk, a);
    if ('v4' in t6) v4 = t6.v4;
    else if ('errno' in t6) return refuse(t6.rule, t6.errno, (x) => { x.dev = t6.dev; });
    else {
      // ip6_datagram_dst_update: the source from the route if unset (sk_v6_rcv_saddr and
      // np->saddr), the peer recorded, ESTABLISHED, the route cached.
      return [fix(outcome('connect/udp', undefined, (x) => {
        if (isAny(x.saddr)) x.saddr = '::1';
        if (isAny(x.addr)) x.addr = '::1';
        x.remote = { addr: '::1', port: a.port };
        x.st = 'ESTABLISHED';
        x.routeCached = true; x.flow = null;
      }), isAny(sk.addr) ? '::1' : sk.addr)];
    }
  }
  // __ip4_datagram_connect (for an AF_INET6 socket with its IPv4 view, family.ts).
  if (v4.len < SOCKADDR_IN_LEN) return refuse('connect/udp-EINVAL-len', 'EINVAL');
  if (v4.family !== AF_INET) return refuse('connect/udp-EAFNOSUPPORT', 'EAFNOSUPPORT');
  const route = routeFrom(v4.addr, sk, 'udp');
  // __ip4_datagram_connect: sk_dst_reset, then ip_route_connect writes the target into the
  // socket's flow key (inet->cork.fl) before it fails, and nothing restores it: a later
  // send on the still-connected socket may go there (see Sock.flow).
  const stale = (x: Sock): void => { x.routeCached = false; x.flow = { addr: v4.addr, port: v4.port }; };
  if ('errno' in route) return refuse(route.errno === 'EACCES' ? 'connect/udp-EACCES-broadcast' : route.errno === 'EINVAL' ? 'connect/udp6-EINVAL-mapped-src' : 'connect/udp-ENETUNREACH', route.errno, stale);
  return [fix(outcome('connect/udp', undefined, (x) => {
    // __ip4_datagram_connect: source from the route if unset, peer recorded, ESTABLISHED;
    // for an AF_INET6 socket __ip6_datagram_connect's ipv4_connected arm then sets the
    // v4-mapped forms of the three addresses where they were unset.
    if (x.family === 'inet6' && v4Saddr(x) === '0.0.0.0') x.inet4Saddr = route.saddr;
    if (isAny(x.saddr)) x.saddr = asFamily(x.family, route.saddr);
    if (isAny(x.addr)) x.addr = asFamily(x.family, route.saddr);
    x.remote = { addr: asFamily(x.family, route.daddr), port: v4.port };
    x.st = 'ESTABLISHED';
    // sk_dst_set with the route found; the flow key is the peer's.
    x.routeCached = true; x.flow = null;
  }), !isAny(sk.addr) ? sk.addr : asFamily(sk.family, route.saddr))];
}

/**
 * __ip6_datagram_connect's checks before its route lookup: an AF_INET address goes to
 * __ip4_datagram_connect (EAFNOSUPPORT on an IPv6-only socket); addr_len <
 * SIN6_LEN_RFC2133; the family; '::' meaning loopback (v4-mapped when the socket's address
 * is); a v4-mapped destination goes to __ip4_datagram_connect (ENETUNREACH on an IPv6-only
 * socket); a link-local or link-scope multicast destination needs an interface (the scope
 * id must match a bound one and is then bound, also when the call fails); then
 * ip6_datagram_dst_update: a v4-mapped source cannot reach an IPv6 destination
 * (ip6_dst_lookup_tail: EAFNOSUPPORT), and only ::1 has a route (measured on 6.18: a
 * link-local destination on lo is ENETUNREACH).
 */
function udpV6Target(sk: Sock, a: ConnectCall['addr'] & { ptr: 'ok' }):
  | { v4: { len: number; family: number; addr: string; port: number } }
  | { rule: string; errno: ErrnoName; dev: number }
  | { loopback: true } {
  const err = (rule: string, errno: ErrnoName, dev = sk.dev): { rule: string; errno: ErrnoName; dev: number } => ({ rule, errno, dev });
  if (a.family === AF_INET) {
    if (ipv6Only(sk)) return err('connect/udp-EAFNOSUPPORT', 'EAFNOSUPPORT');
    return { v4: { len: a.len, family: AF_INET, addr: in4View(a), port: a.port } };
  }
  if (a.len < SIN6_LEN_RFC2133) return err('connect/udp-EINVAL-len', 'EINVAL');
  if (a.family !== AF_INET6) return err('connect/udp-EAFNOSUPPORT', 'EAFNOSUPPORT');
  const v = in6View(a);
  const srcMapped = mappedV4(sk.addr) !== undefined;
  const daddr = v.addr === '::' ? (srcMapped ? '::ffff:127.0.0.1' : '::1') : v.addr;
  const t = v6Type(daddr);
  if (t === 'MAPPED') {
    if (ipv6Only(sk)) return err('connect/udp6-ENETUNREACH-v6only', 'ENETUNREACH');
    return { v4: { len: SOCKADDR_IN_LEN, family: AF_INET, addr: key(daddr), port: a.port } };
  }
  if (needsScope(daddr)) {
    let dev = sk.dev;
    if (a.len >= SOCKADDR_IN6_LEN && v.scope_id !== 0) {
      if (dev !== 0 && dev !== v.scope_id) return err('connect/udp6-EINVAL-scope', 'EINVAL');
      dev = v.scope_id;
    }
    if (dev === 0) return err('connect/udp6-EINVAL-scope', 'EINVAL');
    if (dev !== LOOPBACK_IFINDEX) throw new Error('model: a connect on a socket bound to a missing interface is not modelled');
    return err('connect/udp-ENETUNREACH', 'ENETUNREACH', dev);
  }
  // ip6_dst_lookup_tail: the route lookup first, then the v4-mapped source check.
  if (t !== 'LOOPBACK') return err('connect/udp-ENETUNREACH', 'ENETUNREACH');
  if (srcMapped) return err('connect/udp6-EAFNOSUPPORT-mapped-src', 'EAFNOSUPPORT');
  return { loopback: true };
}
