/**
 * The interface every implementation under test provides. Types only.
 */
import type { Call, Op } from './call.js';
import type { Observed } from './observed.js';
import type { Profile } from './profile.js';

/**
 * Variations of the world a session starts in, drawn by the generator (and shrunk toward
 * the defaults). An adapter that cannot provide one rejects open() with the reason.
 */
export interface World {
  /** Size of the sequence's fd table (its RLIMIT_NOFILE); default 1024. */
  nofile?: number;
  /** false: run without CAP_NET_BIND_SERVICE; default: as the process has it. */
  capNetBindService?: boolean;
  /**
   * true: the world owns a regular file (spec/file.ts: FILE_SIZE bytes of fixed content),
   * open O_RDONLY at fd FILE_FD (4) with its position at 0, so sockets start at 5; the
   * adapter removes it with the session. Default: no file.
   */
  file?: boolean;
}

/** Options a runner passes to every session. */
export interface SessionOptions {
  /** How long a call may take before it is observed as `blocked` (ms). */
  deadlineMs: number;
  world?: World;
}

/**
 * One clean world: a fresh network namespace (or fresh stack), whose fd table starts as
 * the model's initial table (0, 1, 2: /dev/null opened O_RDWR; 3: the read end of a pipe
 * whose write end is closed; 4: the world's regular file, when World.file asks for it).
 * Two sessions never see each other's ports.
 */
export interface Session {
  /** The profile this world answers by (read inside its namespace). */
  readonly profile: Profile;
  /** Executes one call. Never rejects for a syscall error; rejects only if the session is unusable. */
  exec(call: Call): Promise<Observed>;
  /** Lets asynchronous work finish (a no-op for the model and for Linux loopback). */
  settle(): Promise<void>;
  /** Releases everything the session holds (fds, namespaces, processes). Idempotent. */
  close(): Promise<void>;
}

export interface Adapter {
  readonly name: string;
  /** Opens a new session; rejects with a clear message if the implementation cannot run here. */
  open(opts: SessionOptions): Promise<Session>;
  /**
   * Calls this implementation cannot make here, each with the reason (asked after a first
   * open): the generator leaves them out and the run says so once. Absent: none.
   */
  unsupported?(): ReadonlyMap<Op, string>;
}
