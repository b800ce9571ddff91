/**
 * One Linux session: the Node main thread inside a fresh network namespace, the
 * sequence's fds at base + v, and calls executed through the C shim, synchronously on the
 * main thread. accept, accept4 and connect too, unless the kernel may sleep in them
 * (shim.c's ss_try decides, exactly; see nosleep.c): those run on a worker thread under a
 * deadline timer, so the event loop never waits on them.
 */
import type { Session, SessionOptions } from '../../spec/adapter.js';
import { actingCall, msgData, type Call } from '../../spec/call.js';
import { errnoName } from '../../spec/errno.js';
import { OPTVAL_SHOWN, type Bound, type Observed, type Returned, type SelectSets } from '../../spec/observed.js';
import type { Profile } from '../../spec/profile.js';
import type { Variants } from '../../spec/variants.js';
import { ARG_SLOTS, A_DEADLINE, DATA_OFF, OP_CODE, VEC_ENTRIES, addrInBytes, encode, encodeVec } from './encode.js';
import { formatIpv6 } from '../../spec/inet6.js';
import { DATA_MAX } from '../../spec/call.js';
import { shim, type Shim } from './native.js';
import { readProfile, VIRTUAL_NOFILE } from './profile.js';
import { tmpdir } from 'node:os';

/** Result slots (enum R_* in shim.c). */
const R_RET = 0, R_ERRNO = 1, R_ADDRLEN = 2, R_BLOCKED = 3, R_BOUND = 4, R_BOUND_ADDR = 5, R_BOUND_PORT = 6, R_BOUND6 = 7;
/** Values of res[R_BLOCKED] (enum B_* in shim.c). */
const B_BLOCKED = 1, B_NO_TIMER = -1, B_FLAGS_LOST = -2, B_REFUSED = -3;
/** socketpair's two fds (R_SV0, R_SV1 in shim.c). */
const R_SV0 = 5, R_SV1 = 6;
const RES_SLOTS = 12;
/** The longest an accept waits before it counts as blocked (ms); see exec(). */
const ACCEPT_WAIT_MS = 0.5;
/** How far past its own timeout a poll or select may run before the deadline interrupts it (see execTimed). */
const TIMEOUT_BACKSTOP_MS = 5000;
const ADDR_BUF = 128;

/** ss_open's stages, for error messages (res[1] when it fails). */
const OPEN_STAGE = [
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

function ipString(u: number): string {
  return `${u >>> 24}.${(u >>> 16) & 255}.${(u >>> 8) & 255}.${u & 255}`;
}

class LinuxSession implements Session {
  readonly profile: Profile;
  private readonly args = new Float64Array(ARG_SLOTS);
  private readonly out = Buffer.alloc(DATA_OFF + DATA_MAX);
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
    const why = encode(call, this.args);
    if (why !== undefined) return Promise.resolve({ kind: 'unsupported', detail: why });
    // socketcall carrying a call is that call, made through the multiplexer (encode set A_SC).
    const acting = actingCall(call);
    const op = OP_CODE[acting.op];
    const vec = encodeVec(acting);
    if (vec !== undefined) this.lib.setVec(vec);
    if (acting.op === 'send' || acting.op === 'sendto') this.out.write(acting.data, DATA_OFF, 'hex');
    if (acting.op === 'sendmsg' && acting.msg.ptr === 'ok') this.out.write(msgData(acting.msg), DATA_OFF, 'hex');
    const sa = addrInBytes(call);
    if (sa !== undefined) this.out.set(sa, 0);
    const mayBlock = acting.op === 'accept' || acting.op === 'accept4' || acting.op === 'connect' || acting.op === 'poll' || acting.op === 'select'
      || acting.op === 'recv' || acting.op === 'recvfrom' || acting.op === 'recvmsg' || acting.op === 'send' || acting.op === 'sendto' || acting.op === 'sendmsg'
      || acting.op === 'sendfile';
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
    // accept sleeps only when its queue is empty, and nothing in a sequence can fill the
    // queue while the sequence waits (only a kernel timer, >= 1 s away), so a short wait
    // tells the same answer as a long one; connect waits on the handshake, which gets the
    // full deadline.
    // recv, recvfrom and recvmsg come here when nothing can be read (or, with MSG_WAITALL,
    // not all of it), and nothing in a sequence can send while it waits, so they wait as
    // accept does: one real call under the deadline (a MSG_WAITALL read that the deadline
    // cuts short returns what it took, and the shim reports it blocked). A blocking AF_UNIX
    // send, sendto or sendmsg likewise (nothing can read while it waits).
    // poll and select come here when nothing was ready: with a timeout they wait for it
    // (the generator keeps timeouts below the deadline); without one (poll's negative
    // timeout, select's NULL) they wait as accept does, for the same reason.
    // sendfile comes here for a blocking TCP socket: it waits for a handshake or for room
    // in the send buffer, which the peer's ACK makes; it gets the full deadline (as does a
    // sendfile to a blocking AF_UNIX socket, which only the peer's reads would free).
    // A poll or select with a timeout ends by itself: its deadline is only a backstop, well
    // past the timeout, so that a worker the machine is slow to schedule still sees the
    // timeout expire rather than the deadline's signal (which would make it EINTR).
    const timeoutMs = call.op === 'poll' && call.timeout >= 0 ? call.timeout
      : call.op === 'select' && call.timeout.ptr === 'ok' ? Math.max(0, call.timeout.sec * 1000 + call.timeout.usec / 1000) : undefined;
    this.args[A_DEADLINE] = timeoutMs !== undefined ? timeoutMs + Math.max(this.deadlineMs, TIMEOUT_BACKSTOP_MS)
      : call.op === 'connect' || call.op === 'sendfile' ? this.deadlineMs : Math.min(this.deadlineMs, ACCEPT_WAIT_MS);
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
    const r = this.res;
    if (r[R_BLOCKED] === B_NO_TIMER) throw new Error(`the deadline timer could not be armed (${errnoName(r[R_ERRNO]!)})`);
    if (r[R_BLOCKED] === B_FLAGS_LOST) throw new Error(`a socket's file flags could not be restored after a non-blocking connect (${errnoName(r[R_ERRNO]!)})`);
    if (r[R_BLOCKED] === B_REFUSED) return { kind: 'unsupported', detail: 'bind of an AF_UNIX socket to a filesystem name: the linux adapter does not create files' };
    const bound = this.bound(call);
    if (r[R_BLOCKED] === B_BLOCKED) return bound ? { kind: 'blocked', bound } : { kind: 'blocked' };
    const o: Returned = { kind: 'returned', ret: r[R_RET]! };
    if (o.ret < 0) o.errno = errnoName(r[R_ERRNO]!);
    if (call.op === 'sendfile' && call.offset.ptr === 'ok') o.offset = Number(this.out.readBigInt64LE(0));
    if (call.op === 'recv' || call.op === 'recvfrom') {
      if (o.ret >= 0) o.data = this.out.toString('hex', DATA_OFF, DATA_OFF + Math.min(o.ret, call.len));
    }
    if (call.op === 'recvmsg' && call.msg.ptr === 'ok') {
      // The iovec buffers lie one after the other at out[DATA_OFF..]; the msghdr's fields come back in the vector.
      const m = call.msg;
      const total = m.iovs.slice(0, m.iovlen).reduce((n, v) => n + (v.ptr === 'ok' ? v.len : 0), 0);
      if (o.ret >= 0) o.data = this.out.toString('hex', DATA_OFF, DATA_OFF + Math.min(o.ret, total));
      if (m.name.ptr === 'ok') o.addr = this.out.toString('hex', 0, Math.min(Math.max(m.name.len, 0), ADDR_BUF));
      const v = this.vec(4);
      o.addrlen = v[0]!;
      o.msgFlags = v[1]! >>> 0;
      o.controllen = (v[2]! >>> 0) + (v[3]! >>> 0) * 2 ** 32;
    }
    if (call.op === 'accept' || call.op === 'accept4' || call.op === 'getsockname' || call.op === 'getpeername' || call.op === 'recvfrom') {
      if (call.out.ptr === 'ok') o.addr = this.out.toString('hex', 0, Math.min(Math.max(call.out.len, 0), ADDR_BUF));
      if (call.out.lenPtr === 'ok') o.addrlen = r[R_ADDRLEN]!;
    }
    if (call.op === 'getsockopt') {
      if (call.opt.ptr === 'ok') o.optval = this.out.toString('hex', 0, Math.min(Math.max(call.opt.len, 0), OPTVAL_SHOWN));
      if (call.opt.lenPtr === 'ok') o.optlen = r[R_ADDRLEN]!;
    }
    if (bound) o.bound = bound;
    if (call.op === 'socketpair' && call.sv === 'ok' && o.ret === 0) o.sv = [r[R_SV0]!, r[R_SV1]!];
    if (call.op === 'poll' && call.fds === 'ok') {
      const v = this.vec(call.entries.length);
      o.revents = Array.from(v);
    }
    if (call.op === 'select') {
      const v = this.vec(3 * (VEC_ENTRIES + 1));
      let at = 0;
      const sets: SelectSets = {};
      for (const [name, set] of [['read', call.read], ['write', call.write], ['except', call.except]] as const) {
        const n = v[at++]!;
        const members = Array.from(v.subarray(at, at + n));
        at += n;
        if (set.ptr === 'ok') sets[name] = members;
      }
      o.sets = sets;
    }
    return o;
  }

  /** The shim's array results of the last poll or select (its first `n` words). */
  private vec(n: number): Int32Array {
    const v = new Int32Array(n);
    this.lib.getVec(v);
    return v;
  }

  private bound(call: Call): Bound | undefined {
    if (call.op !== 'bind' && call.op !== 'listen' && call.op !== 'connect' && call.op !== 'send' && call.op !== 'sendto' && call.op !== 'sendmsg' && call.op !== 'sendfile') return undefined;
    const r = this.res;
    if (r[R_BOUND] === 2) {
      // An AF_INET6 address: its 16 bytes in network order in the four R_BOUND6 slots.
      const b = new Uint8Array(r.buffer, r.byteOffset + 4 * R_BOUND6, 16);
      return { addr: formatIpv6(b), port: r[R_BOUND_PORT]! };
    }
    if (r[R_BOUND] !== 1) return undefined;
    return { addr: ipString(r[R_BOUND_ADDR]! >>> 0), port: r[R_BOUND_PORT]! };
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
    if (e !== 0) throw new Error(`the session's fds are closed, but returning to the original network namespace failed (${errnoName(e)})`);
  }
}

/**
 * Opens a session: enters a new network namespace on the calling (main) thread, brings
 * lo up, builds the initial fd table and reads the profile there (with `variants`, the
 * kernel's variant set, when the caller knows it). Rejects with a clear
 * message when a session is already open in this process or the world cannot be built.
 */
export async function openLinuxSession(opts: SessionOptions, variants?: Variants): Promise<Session> {
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
    profile = { ...readProfile(), nofile, ...(variants !== undefined ? { variants } : {}) };
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
