/**
 * listen(2) on AF_INET and AF_INET6 sockets, after __sys_listen's fd lookup: the backlog
 * capped at somaxconn (compared unsigned), then sock_no_listen for UDP, inet_listen →
 * __inet_listen_sk → inet_csk_listen_start for TCP.
 */
import { produce } from 'immer';
import type { CallOf } from '../core/proto_ops.js';
import { fail, type Outcome, blocked } from '../core/outcome.js';
import { type State } from '../core/state.js';
import { variantOf } from '../../spec/variants.js';
import { portShare, tcpBindHole, updateFastreuse } from './inet_connection_sock.js';
import { shareRule, withBound } from './inet_name.js';
import { O_NONBLOCK, O_RDWR, SOCK_NONBLOCK, SOCK_CLOEXEC } from '../../spec/constants.js';
import { moveAddrToUser, sockaddrInHex } from '../core/addr.js';
import { release } from './tcp.js';
import { sockName, type Sock } from '../core/inet_sock.js';

/** inet_listen for socket `id` (`sock`). */
export function inetListen(s: State, id: number, sock: Sock, c: CallOf<'listen'>): Outcome[] {
  // __sys_listen: "if ((unsigned int)backlog > somaxconn) backlog = somaxconn".
  const backlog = c.backlog >>> 0 > s.profile.somaxconn ? s.profile.somaxconn : c.backlog;
  const asIs = (rule: string, errno: Parameters<typeof fail>[2]): Outcome => withBound(fail(s, rule, errno), sock);
  if (sock.proto === 'udp') return [asIs('listen/EOPNOTSUPP', 'EOPNOTSUPP')];
  // inet_listen: sock->state != SS_UNCONNECTED; __inet_listen_sk: sk_state not CLOSE/LISTEN.
  if (sock.ss !== 'UNCONNECTED') return [asIs('listen/EINVAL-sockstate', 'EINVAL')];
  if (sock.st !== 'CLOSE' && sock.st !== 'LISTEN') return [asIs('listen/EINVAL-state', 'EINVAL')];
  if (sock.st === 'LISTEN') {
    const next = produce(s, (d) => {
      (d.objs[id] as Sock).backlog = backlog;
    });
    return [withBound({ rule: 'listen/again', expect: { kind: 'returned', ret: 0 }, next: () => next }, sock)];
  }
  // inet_csk_listen_start: state LISTEN, then get_port(inet_num) re-checks the port as a
  // listener (a SO_REUSEADDR sharer no longer helps; SO_REUSEPORT sharers still do, and
  // inet_hash then puts the listener in the reuseport group of another listener on the
  // same address and port, reuseport_add_sock, or a new one, reuseport_alloc: ipv4/tcp_ipv4.ts
  // lets any of them take a connection); on failure back to CLOSE.
  const listening = produce(s, (d) => {
    const sk = d.objs[id] as Sock;
    sk.st = 'LISTEN';
    sk.backlog = backlog;
    sk.listenedOnce = true;
  });
  // Variant listen-after-connection (spec/variants.ts). 'autobind', as read upstream: a
  // socket that was once in a connection listens like any other. 'einval-bound'
  // (6.18-fc-v1272, 6.18-fc-v1300): get_port takes (or re-checks) the port as usual, then
  // inet_csk_listen_start fails with EINVAL and goes back to CLOSE by
  // inet_sk_set_state(sk, TCP_CLOSE) alone, without inet_put_port: the failed call leaves
  // the socket bound to the port it took (a kernel bug: a failed call with a side effect).
  const einvalAfterGetPort =
    sock.connectedOnce && variantOf(s.profile.variants, 'listen-after-connection') === 'einval-bound';
  const failed = (d: State): void => {
    const sk = d.objs[id] as Sock;
    sk.st = 'CLOSE';
    sk.listenedOnce = sock.listenedOnce;
  };
  if (sock.port !== 0) {
    const share = portShare(listening, id, sock.addr, sock.port);
    if (share === 'conflict') return [asIs('listen/EADDRINUSE', 'EADDRINUSE')];
    if (einvalAfterGetPort) {
      const next = produce(listening, (d) => {
        updateFastreuse(d, listening, d.objs[id] as Sock, sock.addr, sock.port);
        failed(d);
      });
      return [
        withBound(
          {
            rule: 'listen/EINVAL-after-connection',
            expect: { kind: 'returned', ret: -1, errno: 'EINVAL' },
            next: () => next,
          },
          sock,
        ),
      ];
    }
    const next = produce(listening, (d) => updateFastreuse(d, listening, d.objs[id] as Sock, sock.addr, sock.port));
    return [
      withBound({ rule: shareRule('listen', share), expect: { kind: 'returned', ret: 0 }, next: () => next }, sock),
    ];
  }
  const hole = tcpBindHole(listening, id, sock.addr);
  const bound = { addr: sockName(sock).addr, port: hole };
  return [
    {
      rule: einvalAfterGetPort ? 'listen/EINVAL-after-connection' : 'listen/autobind',
      expect: einvalAfterGetPort
        ? { kind: 'returned', ret: -1, errno: 'EINVAL', bound }
        : { kind: 'returned', ret: 0, bound },
      next: (obs) =>
        produce(listening, (d) => {
          const sk = d.objs[id] as Sock;
          const port = obs.kind === 'returned' && obs.bound ? obs.bound.port : 0;
          updateFastreuse(d, listening, sk, sk.addr, port);
          sk.port = port;
          sk.sport = port;
          sk.viaBind = true;
          if (einvalAfterGetPort) failed(d);
        }),
    },
  ];
}

/**
 * accept(2) and accept4(2) on AF_INET and AF_INET6 sockets, after __sys_accept4_file's
 * flags and new fd: sock_no_accept for UDP, inet_accept → inet_csk_accept for TCP, then
 * do_accept's getname(peer=2) and move_addr_to_user.
 */
export function inetAccept(s: State, lid: number, o: Sock, c: CallOf<'accept' | 'accept4'>, newfd: number): Outcome[] {
  const p = c.op;
  const flags = c.op === 'accept4' ? c.flags : 0;
  if (o.proto === 'udp') return [fail(s, `${p}/EOPNOTSUPP`, 'EOPNOTSUPP')];
  // inet_csk_accept: not listening; an empty queue is EAGAIN without O_NONBLOCK's wait.
  if (o.st !== 'LISTEN') return [fail(s, `${p}/EINVAL-not-listening`, 'EINVAL')];
  const child = o.queue[0];
  if (child === undefined) {
    if (o.fileFlags & O_NONBLOCK) return [fail(s, `${p}/EAGAIN`, 'EAGAIN')];
    return [blocked(`${p}/blocks`, () => s)];
  }
  const ch = s.objs[child] as Sock;
  const dequeued = produce(s, (d) => {
    (d.objs[lid] as Sock).queue.shift();
  });
  // do_accept: the peer address is copied out only if a buffer was given; a failed copy
  // drops the new file, which closes the dequeued connection (fput → tcp_close).
  if (c.out.ptr !== 'null') {
    const copy = moveAddrToUser(c.out, sockaddrInHex(ch.remote ?? { addr: '0.0.0.0', port: 0 }), s.profile);
    if (copy.errno) {
      const next = produce(dequeued, (d) => release(d, child));
      const rule = copy.errno === 'EINVAL' ? `${p}/EINVAL-addrlen` : `${p}/EFAULT`;
      return [{ rule, expect: { kind: 'returned', ret: -1, errno: copy.errno, ...strip(copy) }, next: () => next }];
    }
    return [accepted(dequeued, p, newfd, child, flags, strip(copy))];
  }
  return [accepted(dequeued, p, newfd, child, flags, {})];
}

function strip(c: { addr?: string; addrlen?: number }): { addr?: string; addrlen?: number } {
  const r: { addr?: string; addrlen?: number } = {};
  if (c.addr !== undefined) r.addr = c.addr;
  if (c.addrlen !== undefined) r.addrlen = c.addrlen;
  return r;
}

function accepted(
  s: State,
  p: string,
  newfd: number,
  child: number,
  flags: number,
  out: { addr?: string; addrlen?: number },
): Outcome {
  const next = produce(s, (d) => {
    const ch = d.objs[child] as Sock;
    // "File flags are not inherited via accept() unlike another OSes."
    ch.fileFlags = O_RDWR | (flags & SOCK_NONBLOCK);
    ch.ss = 'CONNECTED';
    ch.refs = 1;
    d.fds[newfd] = { obj: child, cloexec: (flags & SOCK_CLOEXEC) !== 0 };
  });
  return { rule: `${p}/ok`, expect: { kind: 'returned', ret: newfd, ...out }, next: () => next };
}
