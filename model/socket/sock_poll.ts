/**
 * What a file's ->poll reports (vfs_poll → sock_poll → tcp_poll / udp_poll, or the file's
 * own poll), before poll or select filter it. Pure: reads the state, changes nothing.
 */
import { POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM } from '../../spec/constants.js';
import { type Obj, type State } from '../core/state.js';
import { opsOf } from './proto_ops.js';

/**
 * vfs_poll for any open file of the model: sockets by protocol; /dev/null and the regular
 * file have no ->poll (DEFAULT_POLLMASK: POLLIN|POLLOUT|POLLRDNORM|POLLWRNORM); the initial pipe's read end,
 * empty with its write end closed, reports only POLLHUP (pipe_poll: no writers, and the
 * file was made by pipe(2) so f_pipe differs from w_counter).
 */
export function filePoll(o: Obj, s: State, id: number): number {
  if (o.kind !== 'file') return opsOf(o).poll(s, id, o);
  return o.what !== 'pipe-read' ? POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM : POLLHUP;
}
