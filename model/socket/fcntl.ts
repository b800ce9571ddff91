/**
 * fcntl(2) F_GETFD/F_SETFD/F_GETFL/F_SETFL: do_fcntl (fdget_raw → EBADF) and setfl.
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
      return [fail(s, 'fcntl/EINVAL-cmd', 'EINVAL')];
  }
}
