/**
 * select(2): kern_select (the timeout: copied in, then checked by
 * poll_select_set_timeout) → core_sys_select (nfds < 0, the clamp to the fd table's size,
 * the three sets copied in by get_fd_set) → do_select (max_select_fd: EBADF for a member
 * that is not open; then each member polled) → the sets written back (set_fd_set).
 * Nothing in the world changes: select only reads.
 */
import type { Call, FdSet } from '../../spec/call.js';
import {
  FDSET_LIMIT,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLOUT,
  POLLPRI,
  POLLRDBAND,
  POLLRDNORM,
  POLLWRBAND,
  POLLWRNORM,
} from '../../spec/constants.js';
import type { SelectSets } from '../../spec/observed.js';
import { lookupFile } from './fd.js';
import { blocked, fail, type Outcome } from '../core/outcome.js';
import { filePoll } from './sock_poll.js';
import type { State } from '../core/state.js';

export const SELECT_RULES = [
  'select/EFAULT-timeout',
  'select/EINVAL-timeout',
  'select/EINVAL-nfds',
  'select/EFAULT',
  'select/EBADF',
  'select/ready',
  'select/timeout',
  'select/blocks',
] as const;

type SelectCall = Extract<Call, { op: 'select' }>;

/** fs/select.c: which poll bits make a member readable, writable, exceptional. */
const POLLIN_SET = POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR;
const POLLOUT_SET = POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR;
const POLLEX_SET = POLLPRI;

const USEC_PER_SEC = 1_000_000;

export function selectStep(s: State, c: SelectCall): Outcome[] {
  const t = c.timeout;
  // kern_select: copy_from_user of the timeval, then poll_select_set_timeout(sec +
  // usec / USEC_PER_SEC, (usec % USEC_PER_SEC) * NSEC_PER_USEC), whose timespec64_valid
  // rejects a negative second or a nanosecond part outside [0, 1e9): both before nfds.
  if (t.ptr === 'bad') return [fail(s, 'select/EFAULT-timeout', 'EFAULT')];
  if (t.ptr === 'ok') {
    const sec = t.sec + Math.trunc(t.usec / USEC_PER_SEC);
    const nsec = (t.usec % USEC_PER_SEC) * 1000;
    if (sec < 0 || nsec < 0) return [fail(s, 'select/EINVAL-timeout', 'EINVAL')];
  }
  // core_sys_select: "if (n < 0) return -EINVAL;" (n is an int).
  const n = c.nfds | 0;
  if (n < 0) return [fail(s, 'select/EINVAL-nfds', 'EINVAL')];
  // n is then clamped to fdt->max_fds, the fd table's size: at least NR_OPEN_DEFAULT (64),
  // larger when the process (or its parent) ever had a higher fd. Below 64 the clamp
  // changes nothing the call can see; for members at or above 64 every size the table
  // may have is allowed.
  const members = [c.read, c.write, c.except].flatMap((x) => (x.ptr === 'ok' ? x.fds : []));
  const sizes = members.some((fd) => fd >= FDSET_LIMIT) ? tableSizes(n) : [Math.min(n, FDSET_LIMIT)];
  const outs: Outcome[] = [];
  const seen = new Set<string>();
  for (const ne of sizes) {
    const o = selectWith(s, c, ne);
    const key = `${o.rule} ${JSON.stringify(o.expect)}`;
    if (!seen.has(key)) {
      seen.add(key);
      outs.push(o);
    }
  }
  return outs;
}

/** The values min(n, max_fds) may take: max_fds is 64 * 2^k (alloc_fdtable), or n itself. */
function tableSizes(n: number): number[] {
  const r = [n];
  for (let m = FDSET_LIMIT; m < n; m *= 2) r.push(m);
  return r;
}

/** The members of `set` that the kernel reads (below n), or undefined for NULL/bad. */
function readMembers(set: FdSet, n: number): number[] {
  return set.ptr === 'ok' ? set.fds.filter((fd) => fd >= 0 && fd < n) : [];
}

function selectWith(s: State, c: SelectCall, n: number): Outcome {
  // get_fd_set for in, out, ex: copy_from_user of FDS_BYTES(n) (nothing when n is 0).
  if (n > 0 && [c.read, c.write, c.except].some((x) => x.ptr === 'bad')) return fail(s, 'select/EFAULT', 'EFAULT');
  const rd = readMembers(c.read, n);
  const wr = readMembers(c.write, n);
  const ex = readMembers(c.except, n);
  // max_select_fd: any member below n that is not open → EBADF.
  for (const fd of [...rd, ...wr, ...ex]) if (lookupFile(s, fd).errno) return fail(s, 'select/EBADF', 'EBADF');
  // do_select: each member's poll mask against POLLIN_SET / POLLOUT_SET / POLLEX_SET;
  // every (member, set) pair that is ready counts once.
  const mask = (fd: number): number => filePoll(s.objs[s.fds[fd]!.obj]!, s, s.fds[fd]!.obj);
  const rr = rd.filter((fd) => mask(fd) & POLLIN_SET);
  const wr2 = wr.filter((fd) => mask(fd) & POLLOUT_SET);
  const er = ex.filter((fd) => mask(fd) & POLLEX_SET);
  const count = rr.length + wr2.length + er.length;
  if (count === 0 && c.timeout.ptr === 'null') return blocked('select/blocks', () => s);
  // set_fd_set writes FDS_BYTES(n) bytes back: the bits below n rounded up to a long
  // (64) become the results; members above stay as passed (nothing is written when n is 0).
  const words = Math.ceil(n / 64) * 64;
  const after = (set: FdSet, ready: number[]): number[] | undefined => {
    if (set.ptr !== 'ok') return undefined;
    return [...new Set([...set.fds.filter((fd) => fd >= words), ...ready])].sort((a, b) => a - b);
  };
  const sets: SelectSets = {};
  const a = after(c.read, rr);
  if (a) sets.read = a;
  const b = after(c.write, wr2);
  if (b) sets.write = b;
  const e = after(c.except, er);
  if (e) sets.except = e;
  return {
    rule: count > 0 ? 'select/ready' : 'select/timeout',
    expect: { kind: 'returned', ret: count, sets },
    next: () => s,
  };
}
