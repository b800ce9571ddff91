/**
 * One Linux session: the Node main thread inside a fresh network namespace, the
 * sequence's fds at base + v, and calls executed through the C shim, synchronously on the
 * main thread. accept, accept4 and connect too, unless the kernel may sleep in them
 * (shim.c's ss_try decides, exactly; see nosleep.c): those run on a worker thread under a
 * deadline timer, so the event loop never waits on them.
 */
import type { Session, SessionOptions } from '../../spec/adapter.js';
import type { Call } from '../../spec/call.js';
import { errnoName } from '../../spec/errno.js';
import type { Observed } from '../../spec/observed.js';
import type { Profile } from '../../spec/profile.js';
import type { Variants } from '../../spec/variants.js';
import { ARG_SLOTS, A_DEADLINE } from './encode.js';
import { OUT_BYTES, RES_SLOTS, observe, prepare, timedDeadline } from './observe.js';
import { shim, type Shim } from './native.js';
import { readProfile, VIRTUAL_NOFILE } from './profile.js';
import { tmpdir } from 'node:os';

/** ss_open's stages, for error messages (res[1] when it fails). */
export const OPEN_STAGE = [
  'a session is already open in this process',
  'cannot reserve an fd region below RLIMIT_NOFILE',
  'cannot open /proc/thread-self/ns/net',
  'unshare(CLONE_NEWNET) failed',
  'cannot bring lo up in the new namespace',
  'cannot build the initial fd table',
  'cannot drop CAP_NET_BIND_SERVICE',
  "cannot create the world's regular file",
];

let openSessions = 0;
let workersWarm = false;
let asyncCalls = 0;

/**
 * How many calls this process has handed to a worker thread (the timed path) since it
 * started. For tests and measurements; never reset.
 */
export function linuxAsyncCalls(): number {
  return asyncCalls;
}

/** Runs one no-op on the worker pool so that its threads are created in the host netns. */
function warmWorkers(lib: Shim): Promise<void> {
  if (workersWarm) return Promise.resolve();
  return new Promise((resolve, reject) => lib.noopAsync((err) => {
    if (err) reject(err instanceof Error ? err : new Error(String(err)));
    else { workersWarm = true; resolve(); }
  }));
}

class LinuxSession implements Session {
  readonly profile: Profile;
  private readonly args = new Float64Array(ARG_SLOTS);
  private readonly out = Buffer.alloc(OUT_BYTES);
  private readonly res = new Int32Array(RES_SLOTS);
  private closed = false;
  private inflight: Promise<Observed> | undefined;

  constructor(private readonly lib: Shim, profile: Profile, private readonly deadlineMs: number) {
    this.profile = profile;
  }

  exec(call: Call): Promise<Observed> {
    if (this.closed) return Promise.reject(new Error('the linux session is closed'));
    if (this.inflight) {
      const again = (): Promise<Observed> => this.exec(call);
      return this.inflight.then(again, again);
    }
    if (call.op === 'socketcall' && socketcallUnavailable() !== undefined) return Promise.resolve({ kind: 'unsupported', detail: `socketcall: ${socketcallUnavailable()}` });
    const p = prepare(call, this.args, this.out);
    if (typeof p === 'string') return Promise.resolve({ kind: 'unsupported', detail: p });
    const { acting, op, vec, mayBlock } = p;
    if (vec !== undefined) this.lib.setVec(vec);
    try {
      if (!mayBlock) this.lib.exec(op, this.args, this.out, this.res);
      else if (this.lib.tryExec(op, this.args, this.out, this.res) !== 0) return this.execTimed(acting, op);
      return Promise.resolve(this.observe(acting));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Makes (or, after ss_try's non-blocking attempt, completes) `call` on a worker thread under the deadline. */
  private execTimed(call: Call, op: number): Promise<Observed> {
    asyncCalls++;
    this.args[A_DEADLINE] = timedDeadline(call, this.deadlineMs);
    const p = new Promise<Observed>((resolve, reject) => {
      this.lib.execAsync(op, this.args, this.out, this.res, (err) => {
        this.inflight = undefined;
        if (err) return reject(err instanceof Error ? err : new Error(String(err)));
        try {
          resolve(this.observe(call));
        } catch (e) {
          reject(e);
        }
      });
    });
    this.inflight = p;
    return p;
  }

  /** Turns the shim's result slots into an observation of `call`. */
  private observe(call: Call): Observed {
    return observe(call, this.res, this.out, (n) => {
      const v = new Int32Array(n);
      this.lib.getVec(v);
      return v;
    });
  }

  settle(): Promise<void> {
    return Promise.resolve();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.inflight) await this.inflight.catch(() => undefined);
    openSessions--;
    const e = this.lib.close();
    // The errno travels with the error: gVisor has no setns (EOPNOTSUPP), and its helper
    // (adapters/gvisor/helper.mjs) lets the next world unshare from this one instead.
    if (e !== 0) throw Object.assign(new Error(`the session's fds are closed, but returning to the original network namespace failed (${errnoName(e)})`), { errno: errnoName(e) });
  }
}

/**
 * Opens a session: enters a new network namespace on the calling (main) thread, brings
 * lo up, builds the initial fd table and reads the profile there (with `read`, default
 * readProfile; the gvisor helper passes its own, as gVisor lacks some /proc/sys files),
 * with `variants`, the kernel's variant set, when the caller knows it. Rejects with a
 * clear message when a session is already open in this process or the world cannot be built.
 */
export async function openLinuxSession(opts: SessionOptions, variants?: Variants, read: () => Profile = readProfile): Promise<Session> {
  const lib = shim();
  if (openSessions > 0) throw new Error('a linux session is already open in this process; close it first');
  await warmWorkers(lib);
  if (openSessions > 0) throw new Error('a linux session is already open in this process; close it first');
  const res = new Int32Array(2);
  const nofile = opts.world?.nofile ?? VIRTUAL_NOFILE;
  // ss_open's own range (shim.c NOFILE): 0, 1, 2 and 3 are taken (the world's file takes 4).
  const least = opts.world?.file === true ? 5 : 4;
  if (!Number.isSafeInteger(nofile) || nofile < least || nofile > VIRTUAL_NOFILE) {
    throw new Error(`the linux adapter cannot make a world with nofile ${nofile}: it makes fd tables of ${least} to ${VIRTUAL_NOFILE} fds`);
  }
  const dropBindService = opts.world?.capNetBindService === false;
  const facts = new Float64Array(4);
  const e = lib.open(res, nofile, dropBindService, opts.world?.file === true ? tmpdir() : null, facts);
  if (e !== 0) throw new Error(`cannot open a linux session: ${OPEN_STAGE[res[1]!] ?? 'unknown stage'} (${errnoName(e)})`);
  openSessions++;
  let profile: Profile;
  try {
    profile = { ...read(), nofile, ...(variants !== undefined ? { variants } : {}) };
    if (opts.world?.file === true) {
      profile.file = { noexec: facts[1] === 1, mapSync: { validate: facts[2] === 1, refuse: facts[3] === 1 } };
      if (facts[0]! >= 0) profile.file.maxBytes = facts[0]!;
    }
  } catch (err) {
    openSessions--;
    lib.close();
    throw err;
  }
  return new LinuxSession(lib, profile, Math.max(opts.deadlineMs, 0.001));
}

let socketcallWhy: string | undefined | null = null;

/**
 * Why socketcall cannot run here (undefined when it can): it needs the 32-bit compat
 * entry (IA32 emulation) and memory below 4 GiB. Probed once, in a child process.
 */
export function socketcallUnavailable(): string | undefined {
  if (socketcallWhy === null) {
    const e = shim().probeSocketcall();
    socketcallWhy = e === 0 ? undefined
      : e === 38 ? 'this kernel has no 32-bit compat entry (IA32 emulation) to make socketcall(2) through'
        : `socketcall(2) through the 32-bit entry cannot be set up (${errnoName(e)})`;
  }
  return socketcallWhy;
}
