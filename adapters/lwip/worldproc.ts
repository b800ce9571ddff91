/**
 * One lwIP world program (world.c) as a child of the helper: spawned in the helper's
 * process group (so that the runner's kill of the group ends it too), asked one request
 * at a time over its stdin and stdout, and killed and waited for at the end. A world
 * that dies turns every pending and later request into a rejection that says how it
 * ended (exit status or signal, stderr tail).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

/** One answer of the world program to a call: the result slots and the output buffer. */
export interface WorldResult {
  res: number[];
  out: Buffer;
}

/** The world program's op codes (enum OP_* in shim.h). */
export const OP = { socket: 0, bind: 1, listen: 2, accept: 3, connect: 4, getsockname: 5, getpeername: 6, close: 7, fcntl: 8, setsockopt: 9, shutdown: 10 } as const;
/** Argument slots (enum A_* in shim.h): A_DEADLINE holds the ms a blocking connect may take. */
export const A_COUNT = 7, A_DEADLINE = 6;
/** Result slots (enum R_* in shim.h). */
export const R_RET = 0, R_ERRNO = 1, R_ADDRLEN = 2, R_BLOCKED = 3, R_BOUND = 4, R_BOUND_ADDR = 5, R_BOUND_PORT = 6, R_COUNT = 8;

const STDERR_KEEP = 2048;

export class WorldProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private buf = '';
  private err = '';
  private waiter: ((line: string | Error) => void) | undefined;
  private ended: string | undefined;
  private readonly exited: Promise<void>;

  private constructor(exe: string, args: string[]) {
    this.child = spawn(exe, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => {
      // 'close': after the exit and after stdout and stderr are drained.
      this.child.on('close', (code, signal) => {
        this.end(code !== null ? `exit status ${code}` : `killed by signal ${signal}`);
        resolve();
      });
      this.child.on('error', (e) => { this.end(`cannot start: ${e.message}`); resolve(); });
    });
    this.child.stdin.on('error', () => {}); // EPIPE after it died; its exit reports it
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (s: string) => {
      this.buf += s;
      for (let nl = this.buf.indexOf('\n'); nl >= 0; nl = this.buf.indexOf('\n')) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        const w = this.waiter;
        this.waiter = undefined;
        w?.(line);
      }
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (s: string) => { this.err = (this.err + s).slice(-STDERR_KEEP); });
  }

  /**
   * Starts a world: the program makes its namespace, TAP device `ifname` and lwIP stack
   * with address `ip`/`mask` (host order). Resolves with the process and lwIP's version,
   * or with the world program's reason when it cannot start (it has then exited).
   */
  static async start(exe: string, ifname: string, ip: number, mask: number): Promise<{ world: WorldProcess; version: string } | { error: string; stage?: number; errno?: number }> {
    const w = new WorldProcess(exe, [ifname, String(ip >>> 0), String(mask >>> 0)]);
    let line: string;
    try {
      line = await w.next();
    } catch (e) {
      return { error: (e as Error).message };
    }
    const started = /^started (\S+)$/.exec(line);
    if (started) return { world: w, version: started[1]! };
    await w.kill();
    const failed = /^failed (\d+) (\d+)$/.exec(line);
    if (failed) return { error: 'the world program could not start lwIP', errno: Number(failed[1]), stage: Number(failed[2]) };
    return { error: `the world program said '${line}'` };
  }

  /** Executes one call (op code and argument slots, see shim.h); rejects if the world is gone. */
  async call(op: number, args: Float64Array): Promise<WorldResult> {
    const line = await this.ask(`call ${op} ${Array.from(args).join(' ')}\n`);
    const parts = line.split(' ');
    if (parts[0] !== 'result' || parts.length !== R_COUNT + 2) throw new Error(`the lwIP world program answered '${line.slice(0, 200)}'`);
    return { res: parts.slice(1, 1 + R_COUNT).map(Number), out: Buffer.from(parts[1 + R_COUNT]!, 'hex') };
  }

  /** Lets the stack finish its queued work; resolves with the round trips it took. */
  async settle(): Promise<number> {
    const line = await this.ask('settle\n');
    const m = /^settled (-?\d+)$/.exec(line);
    if (!m) throw new Error(`the lwIP world program answered '${line.slice(0, 200)}'`);
    return Number(m[1]);
  }

  /** True once the process has ended (exited, killed, or failed to start). */
  get gone(): boolean {
    return this.ended !== undefined;
  }

  /** SIGKILL, then waits for the exit (the namespace and TAP device go with it). Idempotent. */
  async kill(): Promise<void> {
    if (this.ended === undefined) this.child.kill('SIGKILL');
    await this.exited;
  }

  private ask(request: string): Promise<string> {
    const p = this.next();
    if (this.ended === undefined) this.child.stdin.write(request);
    return p;
  }

  private next(): Promise<string> {
    if (this.ended !== undefined) return Promise.reject(new Error(this.ended));
    return new Promise((resolve, reject) => {
      this.waiter = (l) => (l instanceof Error ? reject(l) : resolve(l));
    });
  }

  private end(how: string): void {
    if (this.ended !== undefined) return;
    const tail = this.err.trim().split('\n').map((l) => l.trim()).filter((l) => l !== '').join(' | ');
    this.ended = `the lwIP world process ended: ${how}${tail ? `; stderr tail: ${tail}` : ''}`;
    const w = this.waiter;
    this.waiter = undefined;
    w?.(new Error(this.ended));
  }
}
