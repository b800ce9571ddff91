/**
 * connect(2) on AF_INET and AF_INET6 TCP sockets, after socket/connect.ts (__sys_connect:
 * the fd, move_addr_to_kernel, ENOTSOCK): inet_stream_connect → __inet_stream_connect →
 * tcp_v4_connect (here) or tcp_v6_connect (ipv6/tcp_ipv6.ts, which hands v4-mapped
 * destinations to tcp_v4_connect); UDP sockets go to ipv4/datagram.ts. On loopback the
 * handshake runs inside the call; the connecting socket's own lock defers the answer it
 * receives until it releases the lock, which is why a non-blocking connect reports
 * EINPROGRESS although the connection is already made.
 */
import { variantOf } from '../../spec/variants.js';
import { produce } from 'immer';
import type { Call } from '../../spec/call.js';
import type { ErrnoName } from '../../spec/errno.js';
import type { PortHole } from '../../spec/expected.js';
import { AF_INET, AF_UNSPEC, O_NONBLOCK, SOCKADDR_IN_LEN } from '../../spec/constants.js';
import { in4View } from '../../spec/inet6.js';
import { asFamily, isV4Key, key, refuseMappedListener } from './family.js';
import { routeConnect } from './route.js';
import { fail, type Outcome } from '../core/outcome.js';
import { connectBucket, inHole, tcpConnectHole } from './inet_connection_sock.js';
import { sockets, type State } from '../core/state.js';
import { findListeners } from './inet_hashtables.js';
import { connectFailure, disconnect, enqueueChild, timeWait } from './tcp.js';
import { done, setClose } from './tcp_input.js';
import { withBound } from './inet_name.js';
import {
  expandSndbuf,
  isAny,
  isTimewait,
  SEND_SHUTDOWN,
  sockName,
  type Endpoint,
  type Sock,
} from '../core/inet_sock.js';

type ConnectCall = Extract<Call, { op: 'connect' }>;

/** Outcome that leaves the world unchanged, reporting the socket's address. */
export function same(s: State, sk: Sock, rule: string, errno: ErrnoName): Outcome {
  return withBound(fail(s, rule, errno), sk);
}

/** An outcome whose next world is fixed, with the socket's address reported from it. */
export function to(
  next: State,
  id: number,
  rule: string,
  expect: { ret: number; errno?: ErrnoName } | 'blocked',
): Outcome {
  const e = expect === 'blocked' ? { kind: 'blocked' as const } : { kind: 'returned' as const, ...expect };
  return withBound({ rule, expect: e, next: () => next }, next.objs[id] as Sock);
}

/**
 * inet_stream_connect → __inet_stream_connect → the protocol's connect, whose address
 * checks and route lookup are `target`'s (tcpV4Target here; AF_INET6's tcp_v6_connect is
 * ipv6/tcp_ipv6.ts); the handshake on loopback follows.
 */
export function tcpConnect(s: State, id: number, sk: Sock, c: ConnectCall, target: TcpTarget): Outcome[] {
  const a = c.addr;
  // __inet_stream_connect: addr_len < sizeof(sa_family); AF_UNSPEC disconnects.
  if (a.len < 2 || a.ptr !== 'ok') return [same(s, sk, 'connect/EINVAL-short', 'EINVAL')];
  if (a.family === AF_UNSPEC) {
    const next = produce(s, (d) => {
      disconnect(d, id);
      (d.objs[id] as Sock).ss = 'UNCONNECTED';
    });
    return [to(next, id, 'connect/tcp-unspec', { ret: 0 })];
  }
  const nonblock = (sk.fileFlags & O_NONBLOCK) !== 0;
  switch (sk.ss) {
    case 'DISCONNECTING':
      return [same(s, sk, 'connect/EINVAL-sockstate', 'EINVAL')];
    case 'CONNECTED':
      return [same(s, sk, 'connect/EISCONN', 'EISCONN')];
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
      const next = produce(s, (d) => {
        (d.objs[id] as Sock).ss = 'CONNECTED';
      });
      return [to(next, id, 'connect/completes', { ret: 0 })];
    }
    case 'UNCONNECTED':
      break;
  }
  if (sk.st !== 'CLOSE') return [same(s, sk, 'connect/EISCONN-state', 'EISCONN')];
  const found = target(s, id, sk, a);
  if ('out' in found) return [found.out];
  const { route } = found;
  // Endpoints from here on are keys (ipv4/family.ts): dotted for IPv4 (also of an AF_INET6
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
      if (isAny(x.saddr)) {
        x.addr = asFamily(x.family, src);
        x.saddr = x.addr;
      }
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
  if (sk.port !== 0 && fourTupleOwner(s, id, { addr: src, port: sk.port }, dst, false) !== undefined)
    return [notUnique('connect/EADDRNOTAVAIL')];
  // A closed socket that sent its FIN holds the 4-tuple as a FIN_WAIT2 timewait socket,
  // which __inet_check_established takes over, only once the peer's delayed ACK of the FIN
  // has come (40 ms or more, see sendFin); until then it is a full socket in FIN_WAIT1 and
  // the 4-tuple is not unique (measured on 6.18: EADDRNOTAVAIL at once, taken over 300 ms
  // later). The model has no clock, so both answers are allowed.
  const twOwner = sk.port !== 0 ? fourTupleOwner(s, id, { addr: src, port: sk.port }, dst, true) : undefined;
  const ackPending =
    twOwner !== undefined && (s.objs[twOwner] as Sock).st === 'FIN_WAIT2'
      ? [notUnique('connect/EADDRNOTAVAIL-fin-wait1')]
      : [];
  let hole = sk.port === 0 ? tcpConnectHole(s, id, src, dst) : undefined;
  /** An outcome whose local port is `choice`: the bound port, or the ephemeral hole. */
  const outcome = (
    rule: string,
    ret: { ret: number; errno?: ErrnoName } | 'blocked',
    make: (d: State, port: number) => void,
    choice: number | PortHole = hole ?? sk.port,
  ): Outcome => {
    const after = (port: number): State =>
      produce(s, (d) => {
        const x = d.objs[id] as Sock;
        if (isAny(x.saddr)) {
          x.addr = asFamily(x.family, src);
          x.saddr = x.addr;
        }
        // __inet_hash_connect: a new bucket for an ephemeral port is marked as connect's own.
        if (sk.port === 0 && port !== 0) connectBucket(d, s, port);
        x.port = port;
        x.sport = port;
        x.remote = { addr: asFamily(x.family, dst.addr), port: dst.port };
        x.st = 'SYN_SENT';
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
      next: (obs) =>
        after(
          typeof choice === 'number'
            ? choice
            : (obs.kind === 'returned' || obs.kind === 'blocked') && obs.bound
              ? obs.bound.port
              : 0,
        ),
    };
  };
  // Self-connect: the SYN meets the sending socket itself (simultaneous open).
  const self = (port: number): Outcome =>
    (sk.shut & SEND_SHUTDOWN) === 0
      ? outcome(
          'connect/self',
          nonblock ? { ret: -1, errno: 'EINPROGRESS' } : { ret: 0 },
          (d) => {
            const x = d.objs[id] as Sock;
            x.st = 'ESTABLISHED';
            x.peer = id;
            x.ss = nonblock ? 'CONNECTING' : 'CONNECTED';
            // Simultaneous open ends in tcp_rcv_state_process's SYN_RECV → ESTABLISHED, which runs tcp_init_transfer.
            expandSndbuf(x, s.profile);
          },
          port,
        )
      : // With SEND_SHUTDOWN already set (a shutdown() on the unconnected socket), the
        // simultaneous open with itself is followed at once by the FIN that shutdown asked
        // for: the socket meets its own FIN and ends in TIME_WAIT, i.e. done (CLOSE, no
        // error) with a TIME_WAIT socket holding the port (measured on 6.18: a later listen
        // on the port fails with EADDRINUSE). A blocking connect then reports ECONNABORTED
        // ("sock_error(sk) ? : -ECONNABORTED") and disconnects; a non-blocking one says
        // EINPROGRESS and leaves that to the next connect.
        outcome(
          'connect/self-shutdown',
          nonblock ? { ret: -1, errno: 'EINPROGRESS' } : { ret: -1, errno: 'ECONNABORTED' },
          (d) => {
            const x = d.objs[id] as Sock;
            x.st = 'ESTABLISHED';
            x.peer = id;
            expandSndbuf(x, s.profile);
            timeWait(d, id);
            if (nonblock) x.ss = 'CONNECTING';
            else {
              x.ss = 'UNCONNECTED';
              disconnect(d, id);
            }
          },
          port,
        );
  // An AF_INET6 socket whose icsk_af_ops is still ipv6_mapped (Sock.afMapped) sends the
  // SYN of an IPv6 connect through the IPv4 path, where it never arrives (measured on
  // 6.18-fc-v595: SYN_SENT 100 ms later; a blocking connect waits): the port is taken as
  // usual. Variant tcp6-mapped-ops (spec/variants.ts): 'sticky' is tcp_v6_connect as read
  // upstream (ipv6_specific is put back only when tcp_v4_connect fails); under 'reset'
  // (6.18-fc-v1300) the IPv6 connect goes out as IPv6, by the rules below.
  if (sk.afMapped && !isV4Key(dst.addr) && !mappedOpsReset) {
    return [
      outcome('connect/tcp6-syn-lost', nonblock ? { ret: -1, errno: 'EINPROGRESS' } : 'blocked', (d) => {
        const x = d.objs[id] as Sock;
        x.ss = 'CONNECTING';
        x.synLost = true;
      }),
    ];
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
        return [
          outcome('connect/EINPROGRESS-refused', { ret: -1, errno: 'EINPROGRESS' }, (d) => {
            const x = d.objs[id] as Sock;
            x.err = 'ECONNREFUSED';
            x.ss = 'CONNECTING';
            done(x);
          }),
        ];
      }
      return [
        outcome('connect/ECONNREFUSED', { ret: -1, errno: 'ECONNREFUSED' }, (d) => {
          const x = d.objs[id] as Sock;
          setClose(x);
          x.ss = 'UNCONNECTED';
          disconnect(d, id);
          x.err = null;
        }),
      ];
    }
    // One listener takes the SYN (several: a reuseport group, which one is the hash's choice).
    return lids.map((lid) => toListener(lid));
  }

  function toListener(lid: number): Outcome {
    const l = s.objs[lid] as Sock;
    refuseMappedListener(l, dst.addr);
    // tcp_conn_request / tcp_v4_syn_recv_sock: sk_acceptq_is_full is ack_backlog > max_ack_backlog.
    if (l.queue.length > l.backlog) {
      return outcome(
        nonblock ? 'connect/queue-full-EINPROGRESS' : 'connect/queue-full-blocks',
        nonblock ? { ret: -1, errno: 'EINPROGRESS' } : 'blocked',
        (d) => {
          (d.objs[id] as Sock).ss = 'CONNECTING';
        },
      );
    }
    return outcome(
      nonblock ? 'connect/EINPROGRESS' : 'connect/established',
      nonblock ? { ret: -1, errno: 'EINPROGRESS' } : { ret: 0 },
      (d, port) => {
        enqueueChild(d, lid, id, { addr: src, port }, dst);
        (d.objs[id] as Sock).ss = nonblock ? 'CONNECTING' : 'CONNECTED';
      },
    );
  }
}

/** Where a TCP connect goes: the route (keys), or the outcome that ends the call. */
export type Target = { route: { daddr: string; saddr: string } } | { out: Outcome };

/** A protocol connect's address checks and route lookup (tcp_v4_connect's, tcp_v6_connect's). */
export type TcpTarget = (s: State, id: number, sk: Sock, a: ConnectCall['addr'] & { ptr: 'ok' }) => Target;

/** tcp_v4_connect's checks and ip_route_connect (AF_INET sockets). */
export function tcpV4Target(s: State, _id: number, sk: Sock, a: ConnectCall['addr'] & { ptr: 'ok' }): Target {
  if (a.len < SOCKADDR_IN_LEN) return { out: same(s, sk, 'connect/tcp-EINVAL-len', 'EINVAL') };
  if (a.family !== AF_INET) return { out: same(s, sk, 'connect/tcp-EAFNOSUPPORT', 'EAFNOSUPPORT') };
  const route = routeConnect(in4View(a), sk.saddr, 'tcp');
  if ('errno' in route) return { out: same(s, sk, 'connect/tcp-ENETUNREACH', route.errno) };
  return { route };
}

/**
 * The socket other than `id` that holds the 4-tuple src → dst, if any; TIME_WAIT
 * sockets count only when `timewait` is true. (__inet_check_established lets a connect
 * from an already bound port take over a TIME_WAIT socket whose timestamps it can
 * honour: "if (tcptw->tw_ts_recent_stamp && (!twp || ...))", twp being NULL there, and
 * timestamps are on by default.)
 */
export function fourTupleOwner(
  s: State,
  id: number,
  src: Endpoint,
  dst: Endpoint,
  timewait: boolean,
): number | undefined {
  for (const [oid, o] of sockets(s)) {
    if (oid === id || o.proto !== 'tcp' || o.remote === null || o.st === 'CLOSE' || o.st === 'LISTEN') continue;
    if (isTimewait(o) !== timewait) continue;
    if (
      o.port === src.port &&
      key(o.addr) === src.addr &&
      key(o.remote.addr) === dst.addr &&
      o.remote.port === dst.port
    )
      return oid;
  }
  return undefined;
}
