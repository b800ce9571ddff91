/**
 * fcntl(2) F_GETFD/F_SETFD/F_GETFL/F_SETFL: do_fcntl (fdget_raw → EBADF) and setfl; a
 * command do_fcntl does not know is EINVAL, one it knows and the model does not is refused.
 */
import { produce } from 'immer';
import type { Call } from '../../spec/call.js';
import {
  FD_CLOEXEC,
  F_GETFD,
  F_GETFL,
  F_SETFD,
  F_SETFL,
  O_APPEND_BIT,
  O_ASYNC,
  O_DIRECT,
  O_NOATIME,
  O_NONBLOCK,
} from './fcntlbits.js';
import { lookupFile } from './fd.js';
import { fail, ok, type Outcome } from '../core/outcome.js';
import type { State } from '../core/state.js';

export const FCNTL_RULES = [
  'fcntl/EBADF',
  'fcntl/EINVAL-cmd',
  'fcntl/F_GETFD',
  'fcntl/F_SETFD',
  'fcntl/F_GETFL',
  'fcntl/F_SETFL',
  'fcntl/F_SETFL-EINVAL-direct',
] as const;

/** SETFL_MASK (include/linux/fs.h) without FASYNC, which ->fasync sets itself. */
const SETFL_MASK = O_APPEND_BIT | O_NONBLOCK | O_DIRECT | O_NOATIME;

/**
 * The other commands do_fcntl (fs/fcntl.c, 6.18, x86_64) dispatches: F_DUPFD 0, the record
 * locks 5-7, F_SETOWN..F_GETSIG 8-11, F_SETOWN_EX/F_GETOWN_EX/F_GET_OWNER_UIDS 15-17, the
 * OFD locks 36-38, then F_LINUX_SPECIFIC_BASE (1024) + 0..15: leases, F_NOTIFY,
 * F_DUPFD_QUERY, F_CREATED_QUERY, F_CANCELLK, F_DUPFD_CLOEXEC, the pipe sizes, the seals,
 * the write-life hints, and the numbers later kernels take next (delegations). None is
 * modelled: they are refused, never answered as unknown (EINVAL is only for the rest).
 */
const UNMODELLED_CMDS = new Set([
  0,
  5,
  6,
  7,
  8,
  9,
  10,
  11,
  15,
  16,
  17,
  36,
  37,
  38,
  ...Array.from({ length: 16 }, (_, i) => 1024 + i),
]);

type FcntlCall = Extract<Call, { op: 'fcntl' }>;

export function fcntlStep(s: State, c: FcntlCall): Outcome[] {
  const f = lookupFile(s, c.fd);
  if (f.errno) return [fail(s, 'fcntl/EBADF', 'EBADF')];
  const fd = s.fds[c.fd]!;
  const o = s.objs[f.id]!;
  const arg = c.arg | 0;
  switch (c.cmd) {
    case F_GETFD:
      return [ok('fcntl/F_GETFD', fd.cloexec ? FD_CLOEXEC : 0, () => s)];
    case F_SETFD: {
      const next = produce(s, (d) => {
        d.fds[c.fd]!.cloexec = (arg & FD_CLOEXEC) !== 0;
      });
      return [ok('fcntl/F_SETFD', 0, () => next)];
    }
    case F_GETFL:
      return [ok('fcntl/F_GETFL', o.fileFlags, () => s)];
    case F_SETFL: {
      // setfl: O_DIRECT needs FMODE_CAN_ODIRECT (sockets and /dev/null lack it; pipes are
      // exempt; the regular file's filesystem sets it: ext4, xfs, btrfs, tmpfs since 6.6).
      const isPipe = o.kind === 'file' && o.what === 'pipe-read';
      if (arg & O_DIRECT && !isPipe && !(o.kind === 'file' && o.what === 'regular'))
        return [fail(s, 'fcntl/F_SETFL-EINVAL-direct', 'EINVAL')];
      // ->fasync (sockets and pipes have one) moves FASYNC; /dev/null has none.
      const hasFasync = o.kind !== 'file' || isPipe;
      const mask = SETFL_MASK | (hasFasync ? O_ASYNC : 0);
      const next = produce(s, (d) => {
        const x = d.objs[f.id]!;
        x.fileFlags = (arg & mask) | (x.fileFlags & ~mask);
      });
      return [ok('fcntl/F_SETFL', 0, () => next)];
    }
    default:
      if (UNMODELLED_CMDS.has(c.cmd))
        throw new Error(`model: fcntl command ${c.cmd} is not modelled (only F_GETFD, F_SETFD, F_GETFL, F_SETFL)`);
      // do_fcntl: "default: err = -EINVAL;".
      return [fail(s, 'fcntl/EINVAL-cmd', 'EINVAL')];
  }
}
