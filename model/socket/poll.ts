/**
 * poll(2): do_sys_poll (the nfds limit, copying the entries in) → do_poll → do_pollfd per
 * entry (vfs_poll through sock_poll, masked by the entry's events) → the revents copied
 * back. Nothing in the world changes: poll only reads.
 */
import type { Call } from '../../spec/call.js';
import { POLLERR, POLLHUP, POLLNVAL } from '../../spec/constants.js';
import { REVENTS_UNTOUCHED } from '../../spec/observed.js';
import { lookupFile } from './fd.js';
import { blocked, fail, type Outcome } from '../core/outcome.js';
import { filePoll } from './sock_poll.js';
import type { State } from '../core/state.js';

export const POLL_RULES = ['poll/EINVAL-nfds', 'poll/EFAULT', 'poll/ready', 'poll/timeout', 'poll/blocks'] as const;

type PollCall = Extract<Call, { op: 'poll' }>;

/**
 * do_pollfd: a negative fd is skipped (revents 0); an fd that is not open gives POLLNVAL
 * whatever was asked; otherwise the file's poll mask filtered by
 * "demangle_poll(pollfd->events) | EPOLLERR | EPOLLHUP" (events is a short; x86 needs
 * no mangling), so POLLERR and POLLHUP are reported even when not asked for.
 */
export function pollEntry(s: State, fd: number, events: number): number {
  if (fd < 0) return 0;
  const f = lookupFile(s, fd);
  if (f.errno) return POLLNVAL;
  const o = s.objs[f.id];
  if (o === undefined) return POLLNVAL;
  return filePoll(o, s, f.id) & ((events & 0xffff) | POLLERR | POLLHUP);
}

export function pollStep(s: State, c: PollCall): Outcome[] {
  // sys_poll takes "unsigned int nfds"; do_sys_poll: "if (nfds > rlimit(RLIMIT_NOFILE))
  // return -EINVAL;" before it reads anything.
  const nfds = c.nfds >>> 0;
  if (nfds > s.profile.nofile) return [fail(s, 'poll/EINVAL-nfds', 'EINVAL')];
  // copy_from_user of the entries (none when nfds is 0).
  if (nfds > 0 && c.fds !== 'ok') return [fail(s, 'poll/EFAULT', 'EFAULT')];
  // do_poll: one pass over the entries; count the ones with a non-zero revents. Entries
  // past the call's own are {fd: -1} (skipped); the call's entries past nfds are not read
  // and not written.
  const revents = c.entries.map((e, i) => (i < nfds ? pollEntry(s, e.fd, e.events) : REVENTS_UNTOUCHED));
  let count = 0;
  for (let i = 0; i < Math.min(nfds, revents.length); i++) if (revents[i] !== 0) count++;
  const out = c.fds === 'ok' ? { revents } : {};
  if (count > 0) return [{ rule: 'poll/ready', expect: { kind: 'returned', ret: count, ...out }, next: () => s }];
  // Nothing ready: a timeout >= 0 expires (0 at once) and poll returns 0 with the revents
  // written; a negative one waits until an event or a signal (the adapter's deadline).
  if (c.timeout < 0) return [blocked('poll/blocks', () => s)];
  return [{ rule: 'poll/timeout', expect: { kind: 'returned', ret: 0, ...out }, next: () => s }];
}
