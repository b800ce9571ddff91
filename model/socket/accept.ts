/**
 * accept(2) and accept4(2): __sys_accept4 → __sys_accept4_file (flags, then a free fd)
 * → do_accept (ENOTSOCK, ops->accept, getname(peer=2), move_addr_to_user) →
 * sock_no_accept for UDP, inet_accept → inet_csk_accept for TCP.
 */
import { produce } from 'immer';
import type { Call } from '../../spec/call.js';
import { O_RDWR, SOCK_CLOEXEC, SOCK_NONBLOCK, O_NONBLOCK } from '../../spec/constants.js';
import { moveAddrToUser, sockaddrInHex } from '../core/addr.js';
import { lookupFile } from './fd.js';
import { blocked, fail, type Outcome } from '../core/outcome.js';
import { lowestFreeFd, type Sock, type State } from '../core/state.js';
import { release } from '../ipv4/tcp.js';
import { unixAccept } from '../unix/unix_ops.js';

const rulesFor = <P extends string>(p: P) => [
  `${p}/EBADF`, `${p}/EINVAL-flags`, `${p}/EMFILE`, `${p}/ENOTSOCK`, `${p}/EOPNOTSUPP`,
  `${p}/EINVAL-not-listening`, `${p}/EAGAIN`, `${p}/blocks`, `${p}/EFAULT`, `${p}/EINVAL-addrlen`, `${p}/ok`,
] as const;

/** accept() passes no flags, so it has no EINVAL-flags rule. */
export const ACCEPT_RULES = [...rulesFor('accept').filter((r) => r !== 'accept/EINVAL-flags'), ...rulesFor('accept4')];

type AcceptCall = Extract<Call, { op: 'accept' | 'accept4' }>;

export function acceptStep(s: State, c: AcceptCall): Outcome[] {
  const p = c.op;
  const flags = c.op === 'accept4' ? c.flags : 0;
  const f = lookupFile(s, c.fd);
  if (f.errno) return [fail(s, `${p}/EBADF`, 'EBADF')];
  if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK)) return [fail(s, `${p}/EINVAL-flags`, 'EINVAL')];
  const newfd = lowestFreeFd(s);
  if (newfd >= s.profile.nofile) return [fail(s, `${p}/EMFILE`, 'EMFILE')];
  const o = s.objs[f.id];
  if (o !== undefined && o.kind === 'unix') return unixAccept(s, p, o); // AF_UNIX (model/unix*.ts): sock_no_accept / unix_accept
  if (o === undefined || o.kind !== 'socket') return [fail(s, `${p}/ENOTSOCK`, 'ENOTSOCK')];
  const lid = f.id;
  if (o.proto === 'udp') return [fail(s, `${p}/EOPNOTSUPP`, 'EOPNOTSUPP')];
  // inet_csk_accept: not listening; an empty queue is EAGAIN without O_NONBLOCK's wait.
  if (o.st !== 'LISTEN') return [fail(s, `${p}/EINVAL-not-listening`, 'EINVAL')];
  const child = o.queue[0];
  if (child === undefined) {
    if (o.fileFlags & O_NONBLOCK) return [fail(s, `${p}/EAGAIN`, 'EAGAIN')];
    return [blocked(`${p}/blocks`, () => s)];
  }
  const ch = s.objs[child] as Sock;
  const dequeued = produce(s, (d) => { (d.objs[lid] as Sock).queue.shift(); });
  // do_accept: the peer address is copied out only if a buffer was given; a failed copy
  // drops the new file, which closes the dequeued connection (fput → tcp_close).
  if (c.out.ptr !== 'null') {
    const copy = moveAddrToUser(c.out, sockaddrInHex(ch.remote ?? { addr: '0.0.0.0', port: 0 }));
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

function accepted(s: State, p: string, newfd: number, child: number, flags: number, out: { addr?: string; addrlen?: number }): Outcome {
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
