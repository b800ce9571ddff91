/**
 * One helper process speaking the wire protocol (spec/wire.md): spawned without a shell
 * in a process group of its own, read line by line, asked one request at a time under a
 * time limit, and killed (SIGKILL to its whole group) when it misbehaves or is shut down.
 *
 * Nothing here throws for what the helper does: a helper that hangs, dies, closes its
 * stdout or writes a bad line turns into a `Reply` of kind `timeout` or `failed` whose
 * detail says what happened (exit status, stderr tail, the offending line). Only
 * `hello()` rejects, for a helper that cannot start a conversation.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import {
  WIRE_PROTOCOL, encodeRunnerMessage, excerpt, parseHelperMessage, replyProblem,
  type Hello, type HelperMessage, type RunnerMessage,
} from '../../spec/wire.js';
import { forget, groupAlive, killGroup, track } from './reaper.js';
import { inPidNamespace } from './pidns.js';

/** A runner message before the helper process numbers it. */
export type Request = RunnerMessage extends infer R ? (R extends RunnerMessage ? Omit<R, 'id'> : never) : never;

/** How a request ended. */
export type Reply =
  | { kind: 'reply'; msg: HelperMessage }
  /** No reply in time: the helper has been killed. */
  | { kind: 'timeout'; detail: string }
  /** The helper is gone or broke the protocol (and has been killed): why, for a report. */
  | { kind: 'failed'; detail: string };

type LineEvent = { line: string } | { timeout: true } | { gone: string };

/** Longest line accepted from a helper. */
const MAX_LINE = 1 << 20;
/** Bytes of stderr kept, and characters of it quoted in a report. */
const STDERR_KEEP = 8192;
const TAIL_CHARS = 600;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Waits for `p`, or `ms`, whichever comes first (the timer is cleared either way). */
function within(p: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise((resolve) => { timer = setTimeout(resolve, ms); });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

function unref(x: unknown): void {
  (x as { unref?: () => void } | null)?.unref?.();
}

export class HelperProcess {
  /** The helper's pid, which is also its process group id (undefined if spawn failed). */
  readonly pid: number | undefined;
  /** The command line, as shown in messages. */
  readonly display: string;
  private readonly child: ChildProcessWithoutNullStreams;
  private out = '';
  private err = Buffer.alloc(0);
  private waiter: ((e: LineEvent) => void) | undefined;
  /** Set once the helper is unusable; resolves to why. */
  private dead: Promise<string> | undefined;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private spawnError: Error | undefined;
  private readonly exited: Promise<void>;
  private readonly stdoutClosed: Promise<void>;
  private readonly stderrClosed: Promise<void>;
  private shut: Promise<void> | undefined;
  private nextId = 1;
  /** The helper's hello, once received and accepted. */
  greeting: Hello | undefined;

  constructor(readonly argv: readonly string[], pidNamespace = true) {
    this.display = argv.join(' ');
    // (in a PID namespace of its own where possible: nothing it starts outlives it, see pidns.ts)
    const run = pidNamespace ? inPidNamespace(argv) : [...argv];
    this.child = spawn(run[0]!, run.slice(1), { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    this.pid = this.child.pid;
    if (this.pid !== undefined) track(this.pid);
    // Helpers never keep the runner alive on their own: pending requests hold timers,
    // and the reaper kills whatever is left when the process exits.
    unref(this.child);
    for (const s of [this.child.stdin, this.child.stdout, this.child.stderr]) unref(s);
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => { this.exit = { code, signal }; resolve(); void this.die(undefined); });
      this.child.on('error', (e) => {
        if (this.pid !== undefined && this.exit === undefined) return; // a write or kill error of a live child
        this.spawnError = e;
        resolve();
        void this.die(`cannot start '${argv[0]}': ${e.message}`);
      });
    });
    this.stdoutClosed = new Promise((resolve) => this.child.stdout.on('close', resolve));
    this.stderrClosed = new Promise((resolve) => this.child.stderr.on('close', resolve));
    this.child.stdin.on('error', () => {}); // EPIPE after the helper died; its exit reports it
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => this.onData(chunk));
    this.child.stdout.on('end', () => void this.die(undefined));
    this.child.stderr.on('data', (b: Buffer) => {
      this.err = Buffer.concat([this.err, b]);
      if (this.err.length > STDERR_KEEP) this.err = this.err.subarray(this.err.length - STDERR_KEEP);
    });
  }

  /**
   * Waits for the helper's hello and checks its protocol version. Rejects with a
   * one-line reason (and kills the helper) when there is none in time, it is not a
   * hello, or the version differs.
   */
  async hello(timeoutMs: number): Promise<Hello> {
    if (this.dead) throw new Error(`helper '${this.display}' ended before its hello: ${await this.dead}`);
    const e = await this.nextLine(timeoutMs, () => {});
    const who = `helper '${this.display}'`;
    if ('timeout' in e) throw new Error(`${who} sent no hello within ${timeoutMs} ms${this.tail(', stderr tail: ')}`);
    if ('gone' in e) throw new Error(`${who} ended before its hello: ${e.gone}`);
    const p = parseHelperMessage(e.line);
    const bad = !p.ok ? p.error : p.msg.type !== 'hello' ? `expected hello first, got ${p.msg.type}` : undefined;
    if (bad !== undefined) {
      await this.kill('bad hello');
      throw new Error(`${who}: protocol error: ${bad}, in message: ${excerpt(e.line)}`);
    }
    const h = (p as { msg: Hello }).msg;
    if (h.protocol !== WIRE_PROTOCOL) {
      await this.kill('wrong protocol version');
      throw new Error(`${who} (${h.name} ${h.version}) speaks wire protocol version ${h.protocol}; this sockspec speaks version ${WIRE_PROTOCOL}`);
    }
    this.greeting = h;
    return h;
  }

  /**
   * Sends one request and waits at most `timeoutMs` for its reply. The reply is
   * validated (schema, request type, id); anything else kills the helper.
   */
  async request(req: Request, timeoutMs: number): Promise<Reply> {
    if (this.dead) return { kind: 'failed', detail: await this.dead };
    const msg = { ...req, id: this.nextId++ } as RunnerMessage;
    const e = await this.nextLine(timeoutMs, () => this.child.stdin.write(`${encodeRunnerMessage(msg)}\n`));
    if ('timeout' in e) return { kind: 'timeout', detail: await this.die(`no reply to ${msg.type} #${msg.id} within ${timeoutMs} ms (killed)`) };
    if ('gone' in e) return { kind: 'failed', detail: e.gone };
    const p = parseHelperMessage(e.line);
    const problem = p.ok ? replyProblem(msg, p.msg) : p.error;
    if (problem !== undefined || !p.ok) return { kind: 'failed', detail: await this.die(`protocol error: ${problem}, in message: ${excerpt(e.line)}`) };
    return { kind: 'reply', msg: p.msg };
  }

  /** True once the helper can no longer answer. */
  get broken(): boolean {
    return this.dead !== undefined;
  }

  /**
   * Ends the helper: closes its stdin (a helper exits on EOF), waits up to `graceMs`,
   * then SIGKILLs its process group and waits until the group is empty (at most ~2.5 s).
   * Idempotent; never rejects.
   */
  shutdown(graceMs: number): Promise<void> {
    this.shut ??= (async () => {
      if (!this.dead) {
        this.dead = Promise.resolve('the session was closed');
        this.child.stdin.end();
        await within(this.exited, graceMs);
      }
      if (this.pid === undefined) return;
      killGroup(this.pid);
      await within(this.exited, 2000);
      for (let i = 0; i < 100 && groupAlive(this.pid); i++) await sleep(5);
      forget(this.pid);
    })();
    return this.shut;
  }

  private nextLine(timeoutMs: number, send: () => void): Promise<LineEvent> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.waiter = undefined; resolve({ timeout: true }); }, timeoutMs);
      this.waiter = (e) => { clearTimeout(timer); this.waiter = undefined; resolve(e); };
      send();
    });
  }

  private onData(chunk: string): void {
    this.out += chunk;
    for (let nl = this.out.indexOf('\n'); nl >= 0; nl = this.out.indexOf('\n')) {
      const line = this.out.slice(0, nl).replace(/\r$/, '');
      this.out = this.out.slice(nl + 1);
      if (line.trim() !== '') this.onLine(line);
    }
    if (this.out.length > MAX_LINE) {
      const line = this.out;
      this.out = '';
      void this.die(`protocol error: a line longer than ${MAX_LINE} characters, in message: ${excerpt(line)}`);
    }
  }

  private onLine(line: string): void {
    if (this.waiter) this.waiter({ line });
    else if (!this.dead) void this.die(`protocol error: unsolicited message (no request was pending), in message: ${excerpt(line)}`);
  }

  /** Gives up on the helper: kills its group; later requests fail with `reason`. */
  kill(reason: string): Promise<string> {
    return this.die(reason);
  }

  /**
   * Marks the helper dead (once) and kills its group. `reason` undefined: it died or
   * closed stdout on its own; the detail is then its exit status. A pending request is
   * answered with the detail once stdout and stderr have been drained (a last reply
   * written just before exit still counts).
   */
  private die(reason: string | undefined): Promise<string> {
    this.dead ??= (async () => {
      let why = reason;
      if (why === undefined) {
        await within(this.exited, 300);
        if (this.exit === undefined) {
          if (this.pid !== undefined) killGroup(this.pid);
          why = 'closed its stdout while still running (killed)';
        }
      } else if (this.pid !== undefined) killGroup(this.pid);
      await within(Promise.all([this.stdoutClosed, this.stderrClosed]), 100);
      if (this.pid !== undefined) killGroup(this.pid);
      const status = this.exit === undefined ? undefined
        : this.exit.code !== null ? `exit status ${this.exit.code}` : `killed by signal ${this.exit.signal}`;
      const detail = why ?? (this.spawnError ? `cannot start: ${this.spawnError.message}` : status ?? 'ended');
      return reason === undefined ? `${detail}; ${this.tail('stderr tail: ') || 'stderr empty'}` : `${detail}${this.tail('; stderr tail: ')}`;
    })();
    void this.dead.then((d) => this.waiter?.({ gone: d }));
    return this.dead;
  }

  /** The last lines of the helper's stderr, on one line, after `prefix`; '' when empty. */
  private tail(prefix: string): string {
    const t = this.err.toString('utf8').trim();
    if (t === '') return '';
    const s = t.length > TAIL_CHARS ? `…${t.slice(-TAIL_CHARS)}` : t;
    return prefix + s.split('\n').map((l) => l.trim()).filter((l) => l !== '').join(' | ');
  }
}
