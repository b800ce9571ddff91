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

// States are immutable, so derived lists are computed once per state object.
const liveCache = new WeakMap<State, number[]>();
const sockCache = new WeakMap<State, [number, Sock][]>();

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

/** All sockets with their object ids (do not mutate the returned array). */
export function sockets(s: State): [number, Sock][] {
  let r = sockCache.get(s);
  if (r === undefined) {
    r = [];
    for (const k in s.objs) {
      const o = s.objs[k as unknown as number]!;
      if (o.kind === 'socket') r.push([Number(k), o]);
    }
    sockCache.set(s, r);
  }
  return r;
}
