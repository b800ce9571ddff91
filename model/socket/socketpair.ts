/**
 * socketpair(2): __sys_socketpair (net/socket.c) in its order: the flags, two free fds
 * (get_unused_fd_flags, EMFILE), storing both in sv[] (put_user, EFAULT: the fds are
 * given back and nothing is created), sock_create for the first socket (__sock_create's
 * family and type ranges, then the family's create: unix_create for AF_UNIX, socket(2)'s
 * own answers for any other family), then the family's ->socketpair: unix_socketpair
 * joins two AF_UNIX sockets back to back; every other family has sock_no_socketpair
 * (EOPNOTSUPP).
 */
import { produce } from 'immer';
import type { Call } from '../../spec/call.js';
import {
  AF_MAX,
  AF_UNIX,
  O_RDWR,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_MAX,
  SOCK_NONBLOCK,
  SOCK_RAW,
  SOCK_SEQPACKET,
  SOCK_STREAM,
  SOCK_TYPE_MASK,
} from '../../spec/constants.js';
import { fail, type Outcome } from '../core/outcome.js';
import { socketStep } from './socket.js';
import type { State } from '../core/state.js';
import { newUnix } from '../unix/af_unix.js';
import type { UnixType } from '../core/unix_sock.js';

export const SOCKETPAIR_RULES = [
  'socketpair/EINVAL-flags',
  'socketpair/EMFILE',
  'socketpair/EFAULT',
  'socketpair/EAFNOSUPPORT',
  'socketpair/EINVAL-type',
  'socketpair/EPROTONOSUPPORT',
  'socketpair/ESOCKTNOSUPPORT',
  'socketpair/create-refused',
  'socketpair/EOPNOTSUPP',
  'socketpair/stream',
  'socketpair/dgram',
  'socketpair/seqpacket',
] as const;

/** PF_UNIX: the one protocol number unix_create takes besides 0. */
const PF_UNIX = 1;

type SocketpairCall = Extract<Call, { op: 'socketpair' }>;

export function socketpairStep(s: State, c: SocketpairCall): Outcome[] {
  // "flags = type & ~SOCK_TYPE_MASK; if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK)) return -EINVAL;"
  const flags = c.type & ~SOCK_TYPE_MASK;
  if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK)) return [fail(s, 'socketpair/EINVAL-flags', 'EINVAL')];
  const type = c.type & SOCK_TYPE_MASK;
  // "reserve descriptors and make sure we won't fail to install them": fd1, then fd2.
  let fd1 = 0;
  while (s.fds[fd1] !== undefined) fd1++;
  let fd2 = fd1 + 1;
  while (s.fds[fd2] !== undefined) fd2++;
  if (fd1 >= s.profile.nofile || fd2 >= s.profile.nofile) return [fail(s, 'socketpair/EMFILE', 'EMFILE')];
  // put_user(fd1, &usockvec[0]), put_user(fd2, &usockvec[1]), before any socket exists.
  if (c.sv !== 'ok') return [fail(s, 'socketpair/EFAULT', 'EFAULT')];
  // __sock_create: "if (family < 0 || family >= NPROTO) return -EAFNOSUPPORT;
  // if (type < 0 || type >= SOCK_MAX) return -EINVAL;"
  if (c.domain < 0 || c.domain >= AF_MAX) return [fail(s, 'socketpair/EAFNOSUPPORT', 'EAFNOSUPPORT')];
  if (type >= SOCK_MAX) return [fail(s, 'socketpair/EINVAL-type', 'EINVAL')];
  if (c.domain !== AF_UNIX) return [otherFamily(s, c.domain, type, c.protocol)];
  // unix_create: "if (protocol && protocol != PF_UNIX) return -EPROTONOSUPPORT;", then the type
  // ("case SOCK_RAW: sock->type = SOCK_DGRAM; fallthrough;"), anything else ESOCKTNOSUPPORT.
  if (c.protocol !== 0 && c.protocol !== PF_UNIX) return [fail(s, 'socketpair/EPROTONOSUPPORT', 'EPROTONOSUPPORT')];
  const kind: UnixType | undefined =
    type === SOCK_STREAM
      ? 'stream'
      : type === SOCK_DGRAM || type === SOCK_RAW
        ? 'dgram'
        : type === SOCK_SEQPACKET
          ? 'seqpacket'
          : undefined;
  if (kind === undefined) return [fail(s, 'socketpair/ESOCKTNOSUPPORT', 'ESOCKTNOSUPPORT')];
  // unix_socketpair: peers of each other, both TCP_ESTABLISHED and SS_CONNECTED; sock_alloc_file
  // gives each file O_RDWR | (flags & O_NONBLOCK); fd_install both.
  const next = produce(s, (d) => {
    const a = d.nextObj++;
    const b = d.nextObj++;
    const fileFlags = O_RDWR | (flags & SOCK_NONBLOCK);
    d.objs[a] = { ...newUnix(kind, fileFlags, s.profile), peer: b };
    d.objs[b] = { ...newUnix(kind, fileFlags, s.profile), peer: a };
    const cloexec = (flags & SOCK_CLOEXEC) !== 0;
    d.fds[fd1] = { obj: a, cloexec };
    d.fds[fd2] = { obj: b, cloexec };
  });
  return [{ rule: `socketpair/${kind}`, expect: { kind: 'returned', ret: 0, sv: [fd1, fd2] }, next: () => next }];
}

/**
 * A family other than AF_UNIX: sock_create makes the first socket as socket(2) would
 * (model/socket/socket.ts answers for it; its EMFILE cannot happen here, the fds being reserved),
 * then sock_no_socketpair refuses. The socket made is released again.
 */
function otherFamily(s: State, domain: number, type: number, protocol: number): Outcome {
  const first = socketStep(s, { op: 'socket', domain, type, protocol })[0]!;
  const e = first.expect;
  if (e.kind === 'returned' && e.errno !== undefined && e.errno !== 'EMFILE') {
    if (e.errno === 'EAFNOSUPPORT') return fail(s, 'socketpair/EAFNOSUPPORT', 'EAFNOSUPPORT');
    return fail(s, 'socketpair/create-refused', e.errno);
  }
  return fail(s, 'socketpair/EOPNOTSUPP', 'EOPNOTSUPP');
}
