/**
 * The model's world: an fd table, open file descriptions and sockets. Plain data,
 * changed only through immer producers in the syscall files. Never holds functions.
 */
import { type Profile } from '../../spec/profile.js';
import { O_LARGEFILE, O_RDONLY, O_RDWR } from '../../spec/constants.js';
import type { VsockSock } from './vsock_sock.js';
import { FILE_FD } from '../../spec/file.js';
import type { UnixSock } from './unix_sock.js';
import type { Sock, TcpBucket } from './inet_sock.js';

/**
 * A non-socket open file the sequence starts with: /dev/null, the pipe's read end, or the
 * world's regular file (spec/file.ts), whose file position `pos` (f_pos) the model keeps.
 */
export interface File {
  kind: 'file';
  what: 'devnull' | 'pipe-read' | 'regular';
  fileFlags: number;
  refs: number;
  /** f_pos of the regular file (0 for the others, which nothing moves). */
  pos: number;
}

/** AF_UNIX sockets (socketpair) and AF_VSOCK sockets are their own kinds: model/unix/af_unix.ts, model/vsock/. */
export type Obj = Sock | File | UnixSock | VsockSock;

export interface FdEntry {
  obj: number;
  cloexec: boolean;
}

export interface State {
  profile: Profile;
  fds: Record<number, FdEntry>;
  objs: Record<number, Obj>;
  nextObj: number;
  /**
   * TCP bind buckets' fast-path fields by port (see model/ipv4/inet_connection_sock.ts). An entry counts only
   * while some TCP socket holds its port (the kernel frees an empty bucket); absent: none set.
   */
  tcpBuckets?: Record<number, TcpBucket>;
}

/**
 * The world every sequence starts in: fds 0, 1, 2 are /dev/null opened O_RDWR, fd 3 is
 * the read end of a pipe whose write end is closed; when the profile has a file
 * (World.file), fd 4 is that regular file opened O_RDONLY (open(2) sets O_LARGEFILE on
 * 64-bit) at position 0; no sockets.
 */
export function initialState(profile: Profile): State {
  const devnull = (): File => ({ kind: 'file', what: 'devnull', fileFlags: O_RDWR | O_LARGEFILE, refs: 1, pos: 0 });
  const s: State = {
    profile,
    fds: {
      0: { obj: 0, cloexec: false },
      1: { obj: 1, cloexec: false },
      2: { obj: 2, cloexec: false },
      3: { obj: 3, cloexec: false },
    },
    objs: {
      0: devnull(),
      1: devnull(),
      2: devnull(),
      3: { kind: 'file', what: 'pipe-read', fileFlags: O_RDONLY, refs: 1, pos: 0 },
    },
    nextObj: 4,
  };
  if (profile.file !== undefined) {
    s.fds[FILE_FD] = { obj: FILE_FD, cloexec: false };
    s.objs[FILE_FD] = { kind: 'file', what: 'regular', fileFlags: O_RDONLY | O_LARGEFILE, refs: 1, pos: 0 };
    s.nextObj = FILE_FD + 1;
  }
  return s;
}

/** The lowest fd number not in use (alloc_fd's rule). */
export function lowestFreeFd(s: State): number {
  let fd = 0;
  while (s.fds[fd] !== undefined) fd++;
  return fd;
}

// States are immutable, so derived lists are computed once per state object (the sockets
// once per objs record, which worlds that changed only fds share).
const liveCache = new WeakMap<State, number[]>();
const sockCache = new WeakMap<State['objs'], [number, Sock][]>();

/** Live fds in ascending order (do not mutate the returned array). */
export function liveFds(s: State): number[] {
  let r = liveCache.get(s);
  if (r === undefined) {
    r = [];
    for (const k in s.fds) r.push(Number(k));
    r.sort((a, b) => a - b);
    liveCache.set(s, r);
  }
  return r;
}

/** All sockets with their object ids, ascending (do not mutate the returned array). */
export function sockets(s: State): [number, Sock][] {
  const objs = s.objs;
  let r = sockCache.get(objs);
  if (r === undefined) {
    r = [];
    // Object ids are below nextObj: indexed reads, not a for-in over the record's keys.
    for (let id = 0; id < s.nextObj; id++) {
      const o = objs[id];
      if (o !== undefined && o.kind === 'socket') r.push([id, o]);
    }
    sockCache.set(objs, r);
  }
  return r;
}

/**
 * Whether two worlds hold the same data (key order aside; an absent key and one set to
 * undefined are the same). Worlds share every object a step did not touch, so this
 * compares by reference first and walks only what differs. Reads both, changes neither.
 */
export function sameState(a: State, b: State): boolean {
  return same(a, b);
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!same(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let n = 0;
  for (const k in x) {
    if (x[k] === undefined) continue;
    n++;
    if (!same(x[k], y[k])) return false;
  }
  for (const k in y) if (y[k] !== undefined) n--;
  return n === 0;
}
