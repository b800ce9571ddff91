/**
 * The exec adapter: any program that speaks the wire protocol (spec/wire.md) on its
 * stdin and stdout is an implementation under test. `exec:./their-shim --flag` runs
 * `./their-shim` with `--flag`, without a shell.
 *
 * Each session is a fresh helper process (spawned in a process group of its own, killed
 * as a group), so one failure never carries into the next sequence; with `reuse` a
 * helper that ended a session cleanly is `reset` and kept for the next one. No helper
 * outlives close(), a failed open(), or the runner's process.
 */
import type { Adapter, Session, SessionOptions, World } from '../../spec/adapter.js';
import type { Hello } from '../../spec/wire.js';
import { OPS } from '../../spec/call.js';
import type { Profile } from '../../spec/profile.js';
import { splitCommand } from './argv.js';
import { HelperProcess } from './helper.js';
import { ExecSession, type Limits } from './session.js';

export { splitCommand } from './argv.js';

export interface ExecOptions {
  /** Added to SessionOptions.deadlineMs to give a call's reply time for process I/O (ms); default 1000. */
  graceMs?: number;
  /** Limit for the hello and for the replies to open, settle and reset (ms); default 10000. */
  startupMs?: number;
  /** How long close() lets a helper exit on EOF before SIGKILL to its group (ms); default 500. */
  closeMs?: number;
  /**
   * Keep a helper across sessions: after a session with no blocked, crashed or protocol
   * failure, close() sends `reset` and the next open() reuses the helper. Faster for
   * helpers that start slowly; trusts the helper's reset to clear everything. Default false.
   */
  reuse?: boolean;
  /** The adapter's name; default `exec:<command>`. */
  name?: string;
  /**
   * Start the helper in a PID namespace of its own where possible (pidns.ts); default true.
   * false for a helper that is a sandbox manager (runsc: it needs the host's /proc, and
   * its own clean-up works by host pids).
   */
  pidNamespace?: boolean;
}

export interface ExecAdapter extends Adapter {
  /** The helper's command line. */
  readonly argv: readonly string[];
  /** The hello of the most recently started helper (undefined before the first open). */
  readonly hello: Hello | undefined;
  /** Shuts down a helper kept for reuse (nothing to do without `reuse`). */
  dispose(): Promise<void>;
}

export const DEFAULT_GRACE_MS = 1000;
export const DEFAULT_STARTUP_MS = 10_000;
export const DEFAULT_CLOSE_MS = 500;

/** An adapter that runs `command` (a string split like a shell would, or an argv). */
export function execAdapter(command: string | readonly string[], o: ExecOptions = {}): ExecAdapter {
  const argv = typeof command === 'string' ? splitCommand(command) : [...command];
  if (argv.length === 0) throw new Error('exec: needs a command, e.g. exec:./my-helper');
  const startupMs = o.startupMs ?? DEFAULT_STARTUP_MS;
  const closeMs = o.closeMs ?? DEFAULT_CLOSE_MS;
  /** A helper kept for reuse (after a clean session and a successful reset). */
  let parked: HelperProcess | undefined;
  let hello: Hello | undefined;

  const release = async (h: HelperProcess, reusable: boolean): Promise<void> => {
    if (o.reuse && reusable && parked === undefined) {
      const r = await h.request({ type: 'reset' }, startupMs);
      if (r.kind === 'reply' && r.msg.type === 'ready' && parked === undefined) {
        parked = h;
        return;
      }
    }
    await h.shutdown(closeMs);
  };

  /** Opens a world on `h`; rejects with the reason (and shuts `h` down) when it cannot. */
  const openOn = async (h: HelperProcess, hi: Hello, opts: SessionOptions): Promise<Session> => {
    const world = opts.world ?? {};
    const r = await h.request({ type: 'open', world, deadlineMs: opts.deadlineMs }, startupMs);
    let why: string;
    if (r.kind !== 'reply') why = r.detail;
    else if (r.msg.type === 'rejected') why = `it cannot provide the world ${JSON.stringify(world)}: ${r.msg.reason}`;
    else if (r.msg.type === 'opened') {
      const mismatch = worldMismatch(world, r.msg.profile);
      if (mismatch === undefined) {
        const limits: Limits = { callMs: opts.deadlineMs + (o.graceMs ?? DEFAULT_GRACE_MS), startupMs, closeMs };
        return new ExecSession(h, r.msg.profile, new Set(hi.capabilities.calls), limits, release, hi.capabilities.settles);
      }
      why = mismatch;
    } else why = `helper error: ${r.msg.type === 'error' ? r.msg.message : r.msg.type}`;
    await h.shutdown(r.kind === 'reply' && r.msg.type === 'rejected' ? closeMs : 0);
    throw new Error(`exec helper '${h.display}' (${hi.name} ${hi.version}) did not open a session: ${why}`);
  };

  return {
    name: o.name ?? `exec:${typeof command === 'string' ? command : argv.join(' ')}`,
    argv,
    get hello() { return hello; },
    unsupported() {
      const calls = new Set<string>(hello?.capabilities.calls ?? OPS);
      return new Map(OPS.filter((op) => !calls.has(op)).map((op) => [op, `the helper (${hello?.name ?? '?'}) does not list it in its hello`]));
    },
    async open(opts: SessionOptions): Promise<Session> {
      const kept = parked;
      parked = undefined;
      if (kept?.greeting) {
        try {
          return await openOn(kept, kept.greeting, opts);
        } catch {
          // A kept helper that fails to open again is replaced by a fresh one below.
        }
      }
      const h = new HelperProcess(argv, o.pidNamespace ?? true);
      let hi: Hello;
      try {
        hi = await h.hello(startupMs);
      } catch (e) {
        await h.shutdown(0);
        throw e;
      }
      hello = hi;
      return openOn(h, hi, opts);
    },
    async dispose(): Promise<void> {
      const kept = parked;
      parked = undefined;
      await kept?.shutdown(closeMs);
    },
  };
}

/** Why `p` is not the profile of `w` (a world the helper claims but did not provide). */
function worldMismatch(w: World, p: Profile): string | undefined {
  if (w.nofile !== undefined && p.nofile !== w.nofile) return `the world asks for nofile=${w.nofile} but the helper's profile says ${p.nofile} (it should have rejected the world)`;
  if (w.capNetBindService !== undefined && p.capNetBindService !== w.capNetBindService) {
    return `the world asks for capNetBindService=${w.capNetBindService} but the helper's profile says ${p.capNetBindService} (it should have rejected the world)`;
  }
  if ((w.file === true) !== (p.file !== undefined)) {
    return `the world ${w.file === true ? 'asks for' : 'has no'} a regular file but the helper's profile ${p.file !== undefined ? 'describes one' : 'does not'} (it should have rejected the world)`;
  }
  return undefined;
}
