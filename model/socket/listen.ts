/**
 * listen(2): __sys_listen (backlog capped at somaxconn, compared unsigned) →
 * sock_no_listen for UDP, inet_listen → __inet_listen_sk → inet_csk_listen_start for TCP.
 */
import { produce } from 'immer';
import type { Call } from '../../spec/call.js';
import { shareRule, withBound } from './bind.js';
import { lookupSock } from './fd.js';
import { unixAt } from '../unix/af_unix.js';
import { unixListen } from '../unix/unix_ops.js';
import { fail, type Outcome } from '../core/outcome.js';
import { portShare, tcpBindHole, updateFastreuse } from '../ipv4/inet_connection_sock.js';
import { sockName, type Sock, type State } from '../core/state.js';
import { variantOf } from '../../spec/variants.js';

export const LISTEN_RULES = [
  'listen/EBADF', 'listen/ENOTSOCK', 'listen/EOPNOTSUPP', 'listen/EINVAL-sockstate', 'listen/EINVAL-state',
  'listen/EADDRINUSE', 'listen/EINVAL-after-connection', 'listen/again', 'listen/bound', 'listen/autobind', 'listen/bound-reuseport', 'listen/bound-reuseport-stale',
] as const;

type ListenCall = Extract<Call, { op: 'listen' }>;

export function listenStep(s: State, c: ListenCall): Outcome[] {
  const ux = unixAt(s, c.fd);
  if (ux) return unixListen(s, ux.u); // AF_UNIX (model/unix*.ts): sock_no_listen / unix_listen
  const l = lookupSock(s, c.fd);
  if (l.errno) return [fail(s, `listen/${l.errno}`, l.errno)];
  const { id, sock } = l;
  // __sys_listen: "if ((unsigned int)backlog > somaxconn) backlog = somaxconn".
  const backlog = c.backlog >>> 0 > s.profile.somaxconn ? s.profile.somaxconn : c.backlog;
  const asIs = (rule: string, errno: Parameters<typeof fail>[2]): Outcome => withBound(fail(s, rule, errno), sock);
  if (sock.proto === 'udp') return [asIs('listen/EOPNOTSUPP', 'EOPNOTSUPP')];
  // inet_listen: sock->state != SS_UNCONNECTED; __inet_listen_sk: sk_state not CLOSE/LISTEN.
  if (sock.ss !== 'UNCONNECTED') return [asIs('listen/EINVAL-sockstate', 'EINVAL')];
  if (sock.st !== 'CLOSE' && sock.st !== 'LISTEN') return [asIs('listen/EINVAL-state', 'EINVAL')];
  if (sock.st === 'LISTEN') {
    const next = produce(s, (d) => { (d.objs[id] as Sock).backlog = backlog; });
    return [withBound({ rule: 'listen/again', expect: { kind: 'returned', ret: 0 }, next: () => next }, sock)];
  }
  // inet_csk_listen_start: state LISTEN, then get_port(inet_num) re-checks the port as a
  // listener (a SO_REUSEADDR sharer no longer helps; SO_REUSEPORT sharers still do, and
  // inet_hash then puts the listener in the reuseport group of another listener on the
  // same address and port, reuseport_add_sock, or a new one, reuseport_alloc: connect.ts
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
  const einvalAfterGetPort = sock.connectedOnce && variantOf(s.profile.variants, 'listen-after-connection') === 'einval-bound';
  const failed = (d: State): void => { const sk = d.objs[id] as Sock; sk.st = 'CLOSE'; sk.listenedOnce = sock.listenedOnce; };
  if (sock.port !== 0) {
    const share = portShare(listening, id, sock.addr, sock.port);
    if (share === 'conflict') return [asIs('listen/EADDRINUSE', 'EADDRINUSE')];
    if (einvalAfterGetPort) {
      const next = produce(listening, (d) => { updateFastreuse(d, listening, d.objs[id] as Sock, sock.addr, sock.port); failed(d); });
      return [withBound({ rule: 'listen/EINVAL-after-connection', expect: { kind: 'returned', ret: -1, errno: 'EINVAL' }, next: () => next }, sock)];
    }
    const next = produce(listening, (d) => updateFastreuse(d, listening, d.objs[id] as Sock, sock.addr, sock.port));
    return [withBound({ rule: shareRule('listen', share), expect: { kind: 'returned', ret: 0 }, next: () => next }, sock)];
  }
  const hole = tcpBindHole(listening, id, sock.addr);
  const bound = { addr: sockName(sock).addr, port: hole };
  return [{
    rule: einvalAfterGetPort ? 'listen/EINVAL-after-connection' : 'listen/autobind',
    expect: einvalAfterGetPort ? { kind: 'returned', ret: -1, errno: 'EINVAL', bound } : { kind: 'returned', ret: 0, bound },
    next: (obs) => produce(listening, (d) => {
      const sk = d.objs[id] as Sock;
      const port = obs.kind === 'returned' && obs.bound ? obs.bound.port : 0;
      updateFastreuse(d, listening, sk, sk.addr, port);
      sk.port = port;
      sk.sport = port;
      sk.viaBind = true;
      if (einvalAfterGetPort) failed(d);
    }),
  }];
}
