/**
 * One linux-vm session: a fresh network namespace inside the guest (guest.c CMD_OPEN:
 * shim.c's ss_open, as the linux adapter makes it in this process), the calls encoded
 * here as the linux adapter encodes them (adapters/linux/observe.ts prepare), executed by
 * the guest's copy of shim.c, and observed here (observe). The profile is read inside the
 * session's namespace in the guest, with the guest's kernel release.
 */
import type { Session, SessionOptions } from '../../spec/adapter.js';
import type { Call } from '../../spec/call.js';
import { errnoName } from '../../spec/errno.js';
import type { Observed } from '../../spec/observed.js';
import type { Profile } from '../../spec/profile.js';
import type { Variants } from '../../spec/variants.js';
import { ARG_SLOTS, A_DEADLINE } from '../linux/encode.js';
import { OUT_BYTES, observe, prepare, timedDeadline, vecWords } from '../linux/observe.js';
import { PROFILE_FILES, profileFrom, VIRTUAL_NOFILE, type ReadFile } from '../linux/profile.js';
import { OPEN_STAGE } from '../linux/session.js';
import { CMD, type Guest } from './guest.js';

/**
 * How long a call that nothing in the sequence can end waits in the guest before it counts
 * as blocked (ms; the linux adapter waits 0.5 ms). A TCG guest runs some 30 times slower
 * than the host, so a call that sleeps only for a moment (a lock, a softirq) gets more room.
 */
export const GUEST_SHORT_WAIT_MS = 5;
/**
 * The least deadline of a call that waits on something that does end (connect on a
 * handshake, sendfile on the peer's ACK), in ms: in a TCG guest on a loaded machine a
 * loopback handshake has taken longer than the runner's default 50 ms (a connect observed
 * blocked on 6.1 that answered 0 when re-run). Only a call that truly blocks pays it.
 */
export const GUEST_DEADLINE_FLOOR_MS = 1000;
/** How long a session's own requests (open, close, the profile's files) may take in the guest. */
const CONTROL_MS = 10_000;

/** The guest's answers to CMD_READ of `paths`, as a reader for profileFrom. */
export async function readGuestFiles(guest: Guest, paths: readonly string[]): Promise<ReadFile> {
  const r = await guest.request({ cmd: CMD.read, text: paths.join('\n') }, CONTROL_MS);
  return filesReader(r.text, paths);
}

/** A reader over the guest's answer `text` to a request naming `paths` (guest.c read_files). */
function filesReader(text: Buffer, paths: readonly string[]): ReadFile {
  const parts = text.toString('utf8').split('\0');
  const files = new Map<string, string | undefined>();
  paths.forEach((p, i) => {
    const v = parts[i] ?? '0';
    files.set(p, v[0] === '1' ? v.slice(1) : v[0] === 'd' ? '' : undefined);
  });
  return (p) => files.get(p);
}

class VmSession implements Session {
  private readonly args = new Float64Array(ARG_SLOTS);
  private readonly out = Buffer.alloc(OUT_BYTES);
  private closed = false;

  constructor(private readonly guest: Guest, readonly profile: Profile, private readonly deadlineMs: number, private readonly socketcallWhy: string | undefined) {}

  async exec(call: Call): Promise<Observed> {
    if (this.closed) throw new Error('the linux-vm session is closed');
    if (call.op === 'socketcall' && this.socketcallWhy !== undefined) return { kind: 'unsupported', detail: `socketcall: ${this.socketcallWhy}` };
    const p = prepare(call, this.args, this.out, { vsockContained: true });
    if (typeof p === 'string') return { kind: 'unsupported', detail: p };
    const { acting, op, vec, mayBlock } = p;
    // A call that may sleep: the guest tries it without a timer and, if the kernel would
    // sleep, makes it under this deadline (as the linux adapter's ss_try + timed ss_exec).
    if (mayBlock) this.args[A_DEADLINE] = timedDeadline(acting, Math.max(this.deadlineMs, GUEST_DEADLINE_FLOOR_MS), GUEST_SHORT_WAIT_MS);
    let r;
    try {
      r = await this.guest.request({
        cmd: mayBlock ? CMD.tryExec : CMD.exec, op, a: this.args, out: this.out,
        ...(vec !== undefined ? { vec } : {}), nvout: vecWords(acting),
      }, mayBlock ? this.args[A_DEADLINE]! : 0);
    } catch (e) {
      // The guest died in the call (a kernel panic shows in the console's tail) or stopped answering: a finding, not a harness error.
      if (!this.guest.alive) return { kind: 'crashed', detail: this.guest.deathReason() };
      throw e;
    }
    // The out buffer keeps what the guest's held, as the linux adapter's keeps what the shim left.
    r.out.copy(this.out);
    return observe(acting, r.res, this.out, (n) => r.vout.subarray(0, n));
  }

  settle(): Promise<void> {
    return Promise.resolve();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.guest.alive) return; // nothing of the session is left
    const r = await this.guest.request({ cmd: CMD.close }, CONTROL_MS);
    if (r.rc !== 0) throw new Error(`the guest closed the session's fds, but returning to its first network namespace failed (${errnoName(r.rc)})`);
  }
}

/** What the adapter learnt of a guest's kernel at boot. */
export interface GuestKernel {
  /** uname -r and uname -v. */
  release: string;
  version: string;
  /** Why socketcall cannot be made in the guest (undefined: it can). */
  socketcallWhy: string | undefined;
  /** The profile's files as the guest's first network namespace has them. */
  initNs: ReadFile;
}

/**
 * Opens a session in `guest` (one at a time: the guest's shim holds one), its profile
 * carrying `variants` (the guest kernel's variant set) when given. Rejects with a clear
 * message when the world cannot be built there.
 */
export async function openVmSession(guest: Guest, k: GuestKernel, opts: SessionOptions, variants?: Variants): Promise<Session> {
  const nofile = opts.world?.nofile ?? VIRTUAL_NOFILE;
  const a = new Float64Array(ARG_SLOTS);
  a[0] = nofile;
  a[1] = opts.world?.capNetBindService === false ? 1 : 0;
  a[2] = opts.world?.file === true ? 1 : 0;
  // The profile's files are read in the new namespace in the same request.
  const r = await guest.request({ cmd: CMD.open, a, text: PROFILE_FILES.join('\n') }, CONTROL_MS);
  if (r.rc !== 0) throw new Error(`cannot open a linux-vm session: ${OPEN_STAGE[r.res[1]!] ?? 'unknown stage'} (${errnoName(r.rc)})`);
  const facts = [0, 1, 2, 3].map((i) => r.out.readDoubleLE(8 * i));
  let profile: Profile;
  try {
    // Before 6.x made them per namespace, net.core's [rw]mem_* exist only in the first
    // namespace (and are global): a file the session's namespace lacks is read there.
    const ns = filesReader(r.text, PROFILE_FILES);
    profile = { ...profileFrom((p) => ns(p) ?? k.initNs(p), k.release, k.version), nofile, ...(variants !== undefined ? { variants } : {}) };
  } catch (e) {
    await guest.request({ cmd: CMD.close }, CONTROL_MS);
    throw e;
  }
  if (opts.world?.file === true) {
    profile.file = { noexec: facts[1] === 1, mapSync: { validate: facts[2] === 1, refuse: facts[3] === 1 } };
    if (facts[0]! >= 0) profile.file.maxBytes = facts[0]!;
  }
  return new VmSession(guest, profile, Math.max(opts.deadlineMs, 0.001), k.socketcallWhy);
}
