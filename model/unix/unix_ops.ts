/**
 * The socket calls other than send, recv, the options and poll (unix_sendrecv.ts,
 * unix_sockopt.ts, unix_poll.ts) on AF_UNIX sockets (net/unix/af_unix.c). The system-call
 * layer (model/socket/) reaches them through unix_proto_ops.ts after its generic steps
 * (the fd lookup: EBADF, ENOTSOCK; bind's and connect's address copy). Only abstract names
 * are bound: a filesystem name would outlive the session (the model refuses one rather
 * than guess).
 */
import { produce } from 'immer';
import type { AddrIn, AddrOut } from '../../spec/call.js';
import { AF_UNIX, AF_UNSPEC } from '../../spec/constants.js';
import { moveAddrToUser, sockaddrInHex } from '../core/addr.js';
import { fail, ok, type Outcome } from '../core/outcome.js';
import { type State } from '../core/state.js';
import { findAbstract, sunHex, unixObj } from './af_unix.js';
import type { UnixSock } from '../core/unix_sock.js';
import { RCV_SHUTDOWN, SEND_SHUTDOWN, SHUTDOWN_MASK } from '../core/inet_sock.js';

export const UNIX_RULES = [
  'close/unix',
  'close/unix-unread',
  'shutdown/unix-EINVAL',
  'shutdown/unix',
  'shutdown/unix-peer',
  'getsockname/unix',
  'getpeername/unix',
  'getpeername/unix-ENOTCONN',
  'listen/unix-EINVAL',
  'accept/unix-EINVAL',
  'accept4/unix-EINVAL',
  'connect/unix-EINVAL',
  'connect/unix-ECONNREFUSED',
  'connect/unix-EPERM',
  'connect/unix-dgram',
  'connect/unix-disconnect',
  'bind/unix-EINVAL',
  'bind/unix-EINVAL-bound',
  'bind/unix-EADDRINUSE',
  'bind/unix-abstract',
] as const;

/** offsetof(struct sockaddr_un, sun_path) and sizeof(struct sockaddr_un). */
const SUN_PATH_OFF = 2;
const SOCKADDR_UN_LEN = 110;

/** A unix socket in a draft (the id is known to hold one). */
function U(d: State, id: number): UnixSock {
  return d.objs[id] as UnixSock;
}

/**
 * unix_release_sock, for the last close: the socket is dead and shut both ways, its peer
 * pointer cleared; a stream or seqpacket peer is shut both ways too ("No more writes"),
 * and gets ECONNRESET when this socket had unread data; the receive queue is freed (the
 * senders' skbs go back to their send buffers). The object stays while a peer points at it.
 */
export function unixRelease(d: State, id: number): void {
  const u = U(d, id);
  const pair = u.peer;
  u.dead = true;
  u.shut = SHUTDOWN_MASK;
  u.st = 'CLOSE';
  u.peer = null;
  const p = pair === null ? undefined : unixObj(d, pair);
  if (p !== undefined && u.type !== 'dgram') {
    p.shut = SHUTDOWN_MASK;
    // "if (skb && !unix_skb_len(skb)) skb = skb_peek_next(...)" (CONFIG_AF_UNIX_OOB): an empty head does not count.
    const first = u.rq[0] !== undefined && u.rq[0].data === '' ? u.rq[1] : u.rq[0];
    if (first !== undefined) p.err = 'ECONNRESET';
  }
  u.rq = [];
}

/** Whether closing `u` leaves its stream/seqpacket peer an ECONNRESET (close/unix-unread). */
function resetsPeer(s: State, u: UnixSock): boolean {
  const first = u.rq[0] !== undefined && u.rq[0].data === '' ? u.rq[1] : u.rq[0];
  return u.type !== 'dgram' && first !== undefined && unixObj(s, u.peer) !== undefined;
}

/** close(2) of an fd of `id`: sock_close → unix_release → unix_release_sock on the last reference. */
export function unixClose(s: State, fd: number, id: number, u: UnixSock): Outcome[] {
  const rule = u.refs === 1 && resetsPeer(s, u) ? 'close/unix-unread' : 'close/unix';
  const next = produce(s, (d) => {
    delete d.fds[fd];
    const x = U(d, id);
    x.refs--;
    if (x.refs === 0) unixRelease(d, id);
  });
  return [ok(rule, 0, () => next)];
}

/**
 * unix_shutdown: "if (mode < SHUT_RD || mode > SHUT_RDWR) return -EINVAL"; sk_shutdown |=
 * mode + 1; a stream or seqpacket peer gets the mirror image (our SHUT_RD is its
 * SEND_SHUTDOWN, our SHUT_WR its RCV_SHUTDOWN).
 */
export function unixShutdown(s: State, id: number, u: UnixSock, how: number): Outcome[] {
  if (how < 0 || how > 2) return [fail(s, 'shutdown/unix-EINVAL', 'EINVAL')];
  const mode = how + 1;
  const mirrors = u.type !== 'dgram' && u.peer !== null;
  const next = produce(s, (d) => {
    U(d, id).shut |= mode;
    if (!mirrors) return;
    const p = unixObj(d, u.peer);
    if (p === undefined) return;
    p.shut |= (mode & RCV_SHUTDOWN ? SEND_SHUTDOWN : 0) | (mode & SEND_SHUTDOWN ? RCV_SHUTDOWN : 0);
  });
  return [ok(mirrors ? 'shutdown/unix-peer' : 'shutdown/unix', 0, () => next)];
}

/**
 * unix_getname: peer=0 the socket's own address, peer=1 unix_peer_get's (ENOTCONN without
 * one; a dead peer still counts); an unbound socket reports the family alone (length 2).
 * Then move_addr_to_user.
 */
export function unixGetname(s: State, op: 'getsockname' | 'getpeername', u: UnixSock, out: AddrOut): Outcome[] {
  let who: UnixSock | undefined = u;
  if (op === 'getpeername') {
    who = unixObj(s, u.peer);
    if (who === undefined) return [fail(s, 'getpeername/unix-ENOTCONN', 'ENOTCONN')];
  }
  const copy = moveAddrToUser(out, sunHex(who), s.profile);
  const o: { addr?: string; addrlen?: number } = {};
  if (copy.addr !== undefined) o.addr = copy.addr;
  if (copy.addrlen !== undefined) o.addrlen = copy.addrlen;
  if (copy.errno)
    return [
      { rule: `${op}/${copy.errno}`, expect: { kind: 'returned', ret: -1, errno: copy.errno, ...o }, next: () => s },
    ];
  return [{ rule: `${op}/unix`, expect: { kind: 'returned', ret: 0, ...o }, next: () => s }];
}

/**
 * listen: a datagram socket has sock_no_listen (EOPNOTSUPP); unix_listen refuses an
 * unbound socket and one not in CLOSE or LISTEN (a socketpair's is ESTABLISHED) with EINVAL.
 */
export function unixListen(s: State, u: UnixSock): Outcome[] {
  if (u.type === 'dgram') return [fail(s, 'listen/EOPNOTSUPP', 'EOPNOTSUPP')];
  return [fail(s, 'listen/unix-EINVAL', 'EINVAL')];
}

/** accept/accept4 after the fd checks: sock_no_accept (dgram), unix_accept (not listening: EINVAL). */
export function unixAccept(s: State, p: 'accept' | 'accept4', u: UnixSock): Outcome[] {
  if (u.type === 'dgram') return [fail(s, `${p}/EOPNOTSUPP`, 'EOPNOTSUPP')];
  return [fail(s, `${p}/unix-EINVAL`, 'EINVAL')];
}

/** The 128 bytes of the address buffer an AddrIn describes (as the adapters build it), as hex. */
function addrBytes(a: Extract<AddrIn, { ptr: 'ok' }>): string {
  const head = sockaddrInHex({ addr: a.addr, port: a.port });
  return ('0000' + head.slice(4)).padEnd(256, '0');
}

/**
 * unix_validate_addr: "addr_len <= offsetof(struct sockaddr_un, sun_path) || addr_len >
 * sizeof(struct sockaddr_un)" or a family other than AF_UNIX: EINVAL. Returns the
 * abstract name (hex of sun_path[0..len-2]), or an errno; a filesystem name is refused
 * as not modelled (binding one would create a file that outlives the session).
 */
export function unixName(a: AddrIn): string | 'EINVAL' {
  if (a.ptr !== 'ok' || a.len <= SUN_PATH_OFF || a.len > SOCKADDR_UN_LEN || a.family !== AF_UNIX) return 'EINVAL';
  const path = addrBytes(a).slice(2 * SUN_PATH_OFF, 2 * a.len);
  if (!path.startsWith('00')) throw new Error('model: AF_UNIX filesystem names are not modelled (only abstract ones)');
  return path;
}

/**
 * bind: unix_bind ("addr_len == offsetof(sun_path) && family == AF_UNIX": autobind, not
 * modelled: its name is random), unix_validate_addr, then unix_bind_abstract (already
 * bound: EINVAL; the name taken by a live socket of the same type: EADDRINUSE).
 */
export function unixBind(s: State, id: number, u: UnixSock, a: AddrIn): Outcome[] {
  if (a.ptr === 'ok' && a.len === SUN_PATH_OFF && a.family === AF_UNIX)
    throw new Error('model: AF_UNIX autobind is not modelled (its name is random)');
  const name = unixName(a);
  if (name === 'EINVAL') return [fail(s, 'bind/unix-EINVAL', 'EINVAL')];
  if (u.name !== null) return [fail(s, 'bind/unix-EINVAL-bound', 'EINVAL')];
  if (findAbstract(s, name, u.type) !== undefined) return [fail(s, 'bind/unix-EADDRINUSE', 'EADDRINUSE')];
  return [
    ok('bind/unix-abstract', 0, () =>
      produce(s, (d) => {
        U(d, id).name = name;
      }),
    ),
  ];
}

/**
 * connect: unix_dgram_connect for datagram sockets ("alen < offsetofend(sa_family)": EINVAL;
 * AF_UNSPEC disconnects; otherwise the named socket, if unix_may_send lets us, becomes the
 * peer; the old peer is dropped with unix_dgram_disconnected), unix_stream_connect for the
 * others (the name must be a listener, and no socket made by socketpair ever listens:
 * ECONNREFUSED, before the EISCONN check).
 */
export function unixConnect(s: State, id: number, u: UnixSock, a: AddrIn): Outcome[] {
  if (u.type !== 'dgram') {
    const name = unixName(a);
    if (name === 'EINVAL') return [fail(s, 'connect/unix-EINVAL', 'EINVAL')];
    return [fail(s, 'connect/unix-ECONNREFUSED', 'ECONNREFUSED')];
  }
  if (a.len < SUN_PATH_OFF || a.ptr !== 'ok') return [fail(s, 'connect/unix-EINVAL', 'EINVAL')];
  let other: number | null = null;
  if (a.family !== AF_UNSPEC) {
    const name = unixName(a);
    if (name === 'EINVAL') return [fail(s, 'connect/unix-EINVAL', 'EINVAL')];
    const found = findAbstract(s, name, 'dgram');
    if (found === undefined) return [fail(s, 'connect/unix-ECONNREFUSED', 'ECONNREFUSED')];
    // unix_may_send: "!unix_peer(other) || unix_peer(other) == sk".
    const o = unixObj(s, found)!;
    if (o.peer !== null && o.peer !== id) return [fail(s, 'connect/unix-EPERM', 'EPERM')];
    other = found;
  }
  const next = produce(s, (d) => {
    const x = U(d, id);
    if (other !== null) {
      x.st = 'ESTABLISHED';
      U(d, other).st = 'ESTABLISHED';
    }
    const old = x.peer;
    x.peer = other;
    if (old === null) return;
    if (other === null) x.st = 'CLOSE';
    if (other !== old) {
      dgramDisconnected(d, id, old);
      const op = unixObj(d, old);
      if (op !== undefined && op.peer === null) op.st = 'CLOSE';
    }
  });
  return [ok(other === null ? 'connect/unix-disconnect' : 'connect/unix-dgram', 0, () => next)];
}

/**
 * unix_dgram_disconnected(sk, other): sk's queue (what the old peer sent) is purged; if it
 * held anything and the old peer is alive and still connected to sk, that peer gets ECONNRESET.
 */
export function dgramDisconnected(d: State, id: number, old: number): void {
  const x = U(d, id);
  if (x.rq.length === 0) return;
  x.rq = [];
  const op = unixObj(d, old);
  if (op !== undefined && !op.dead && op.peer === id) op.err = 'ECONNRESET';
}
