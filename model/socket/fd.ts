/**
 * Finding the socket behind an fd, as every socket syscall starts (net/socket.c:
 * fdget / sockfd_lookup_light → EBADF; sock_from_file → ENOTSOCK).
 */
import type { SocketObj } from '../core/proto_ops.js';
import type { State } from '../core/state.js';

/** fdget: EBADF when `fd` is not open (negative, never opened, closed, or huge). */
export function lookupFile(s: State, fd: number): { errno: 'EBADF' } | { errno?: undefined; id: number } {
  const e = fd >= 0 ? s.fds[fd] : undefined;
  return e === undefined ? { errno: 'EBADF' } : { id: e.obj };
}

/** sockfd_lookup_light for a socket of any family (AF_INET, AF_INET6, AF_UNIX, AF_VSOCK). */
export function sockfdLookup(
  s: State,
  fd: number,
): { errno: 'EBADF' | 'ENOTSOCK' } | { errno?: undefined; id: number; sk: SocketObj } {
  const f = lookupFile(s, fd);
  if (f.errno) return f;
  const o = s.objs[f.id];
  if (o === undefined || o.kind === 'file') return { errno: 'ENOTSOCK' };
  return { id: f.id, sk: o };
}
