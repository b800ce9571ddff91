/**
 * Finding the socket behind an fd, as every socket syscall starts (net/socket.c:
 * fdget / sockfd_lookup_light → EBADF; sock_from_file → ENOTSOCK).
 */
import type { ErrnoName } from '../../spec/errno.js';
import type { State, Sock } from '../core/state.js';

export type Lookup = { errno: ErrnoName } | { errno?: undefined; id: number; sock: Sock };

/** fdget: EBADF when `fd` is not open (negative, never opened, closed, or huge). */
export function lookupFile(s: State, fd: number): { errno: 'EBADF' } | { errno?: undefined; id: number } {
  const e = fd >= 0 ? s.fds[fd] : undefined;
  return e === undefined ? { errno: 'EBADF' } : { id: e.obj };
}

/** sockfd_lookup_light: EBADF, then ENOTSOCK for an open fd that is not a socket. */
export function lookupSock(s: State, fd: number): Lookup {
  const f = lookupFile(s, fd);
  if (f.errno) return f;
  const o = s.objs[f.id];
  if (o === undefined || o.kind !== 'socket') return { errno: 'ENOTSOCK' };
  return { id: f.id, sock: o };
}
