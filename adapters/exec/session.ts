/**
 * One session over one helper process: calls go out one at a time, answers come back as
 * observations. A helper that stops answering is observed as `blocked` for that call and
 * `crashed` for every later one; a helper that dies or breaks the protocol is observed
 * as `crashed` with the reason. exec() never rejects for anything the helper does.
 */
import type { Session } from '../../spec/adapter.js';
import type { Call, Op } from '../../spec/call.js';
import type { Observed } from '../../spec/observed.js';
import type { Profile } from '../../spec/profile.js';
import type { HelperProcess } from './helper.js';

/** The time limits a session runs by (see ExecOptions). */
export interface Limits {
  /** A call's reply is awaited this long: SessionOptions.deadlineMs + graceMs. */
  callMs: number;
  /** settle's and reset's replies. */
  startupMs: number;
  /** close(): how long a helper may take to exit on EOF before SIGKILL. */
  closeMs: number;
}

export class ExecSession implements Session {
  /** Why the session can no longer execute calls (they are then observed as crashed). */
  private over: string | undefined;
  /** False once something went wrong that makes the helper unfit for reuse. */
  private healthy = true;
  private calls = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | undefined;

  /**
   * `release` receives the helper at close(): with `reset` true the session was clean
   * and the helper may be reset and kept; otherwise it must be shut down.
   */
  constructor(
    private readonly helper: HelperProcess,
    readonly profile: Profile,
    private readonly supported: ReadonlySet<Op>,
    private readonly limits: Limits,
    private readonly release: (h: HelperProcess, reusable: boolean) => Promise<void>,
    /** The helper asked for `settle` after every call (hello capabilities.settles). */
    private readonly settles = false,
  ) {}

  exec(call: Call): Promise<Observed> {
    return this.serial(() => this.execNow(call));
  }

  /**
   * Asks the helper to let asynchronous work finish, if it said it has any; a failure
   * ends the session (never rejects).
   */
  settle(): Promise<void> {
    if (!this.settles) return Promise.resolve();
    return this.serial(async () => {
      if (this.closing || this.over !== undefined) return;
      const r = await this.helper.request({ type: 'settle' }, this.limits.startupMs);
      if (r.kind === 'reply' && r.msg.type === 'settled') return;
      this.end(r.kind === 'reply' ? `settle: helper error: ${r.msg.type === 'error' ? r.msg.message : r.msg.type}` : `settle: ${r.detail}`);
    });
  }

  /** Ends the helper (or hands it back for reuse after a clean session). Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.queue.then(() => this.release(this.helper, this.healthy && this.over === undefined && !this.helper.broken));
    return this.closing;
  }

  private async execNow(call: Call): Promise<Observed> {
    if (this.closing) throw new Error('exec on a closed session');
    const n = ++this.calls;
    if (this.over !== undefined) return { kind: 'crashed', detail: `the session is over: ${this.over}` };
    if (!this.supported.has(call.op)) {
      return { kind: 'unsupported', detail: `the helper does not implement ${call.op} (its hello lists ${[...this.supported].join(', ') || 'no calls'})` };
    }
    const r = await this.helper.request({ type: 'call', call }, this.limits.callMs);
    switch (r.kind) {
      case 'reply':
        if (r.msg.type === 'result') {
          if (r.msg.observed.kind === 'crashed') this.healthy = false;
          return r.msg.observed;
        }
        {
          const detail = `helper error: ${r.msg.type === 'error' ? r.msg.message : r.msg.type}`;
          this.end(`call ${n} (${call.op}): ${detail}`);
          return { kind: 'crashed', detail };
        }
      case 'timeout':
        this.end(`call ${n} (${call.op}): ${r.detail}`);
        return { kind: 'blocked' };
      case 'failed':
        this.end(`call ${n} (${call.op}): ${r.detail}`);
        return { kind: 'crashed', detail: r.detail };
    }
  }

  private end(why: string): void {
    this.over ??= why;
    this.healthy = false;
    void this.helper.kill(why);
  }

  private serial<T>(f: () => Promise<T>): Promise<T> {
    const p = this.queue.then(f);
    this.queue = p.catch(() => {});
    return p;
  }
}
