/**
 * The helper's fd layer: the sequence's fd table laid over lwIP's own socket numbers,
 * every call either executed on lwIP (in the world program) or, where lwIP has no notion
 * of the fd, answered as Linux answers it. What it adds around lwIP, and nothing more:
 * - the table: fds 0, 1, 2 (/dev/null) and 3 (a pipe) are files lwIP never sees; new
 *   sockets take the lowest free number below the world's nofile;
 * - an fd that is not in the table is EBADF;
 * - socket calls on a file answer as Linux does for a non-socket (ENOTSOCK, after the
 *   checks Linux makes before it looks at the file: connect copies the address in first,
 *   accept4 checks its flags and reserves an fd first); close of a file succeeds;
 *   fcntl on a file is `unsupported` (lwIP has no files, and the helper invents no answers);
 * - nofile: socket() past the table's end closes lwIP's new socket and answers EMFILE
 *   (Linux reserves the fd after creating the socket); accept reserves its fd before it
 *   asks lwIP (Linux's order), so a full table is EMFILE with the queue untouched.
 * Everything else is lwIP's own answer. Calls lwIP cannot be asked are `unsupported`:
 * accept4 with flags (lwIP has accept only) and any faulting pointer (lwIP is a library in
 * the world's process: it would crash on one, not answer EFAULT). NULL pointers are passed
 * to lwIP as they are.
 */
import type { AddrOut, Call, Op } from '../../spec/call.js';
import { errnoName, type ErrnoName } from '../../spec/errno.js';
import type { Observed, Returned } from '../../spec/observed.js';
import {
  A_COUNT, A_DEADLINE, OP, R_ADDRLEN, R_BLOCKED, R_BOUND, R_BOUND_ADDR, R_BOUND_PORT, R_ERRNO, R_RET, type WorldProcess,
} from './worldproc.js';

const ADDR_BUF = 128;
const SOCK_NONBLOCK = 0o4000, SOCK_CLOEXEC = 0o2000000;

/** The calls the fd layer executes (the helper's hello lists exactly these). */
export const LWIP_CALLS = [
  'socket', 'bind', 'listen', 'accept', 'accept4', 'connect', 'getsockname', 'getpeername', 'close', 'fcntl', 'setsockopt', 'shutdown',
] as const satisfies readonly Op[];

type LwipCall = Extract<Call, { op: (typeof LWIP_CALLS)[number] }>;

function isLwipCall(c: Call): c is LwipCall {
  return (LWIP_CALLS as readonly string[]).includes(c.op);
}

/** Why the fd layer does not pass a call its hello leaves out (runs do not generate them). */
const NOT_PASSED: Partial<Record<Op, string>> = {
  socketcall: 'lwIP has no multiplexer (and no 32-bit entry)',
  mmap: 'lwIP sockets are not files',
  poll: "lwip_poll would need the fd layer's files too",
  select: "lwip_select would need the fd layer's files too",
  socketpair: 'lwIP has no AF_UNIX',
  sendfile: 'lwIP has no files to send from',
};

type Entry = { kind: 'file' } | { kind: 'lwip'; s: number };

function ipString(u: number): string {
  return `${u >>> 24}.${(u >>> 16) & 255}.${(u >>> 8) & 255}.${u & 255}`;
}

function ipNumber(s: string): number | undefined {
  const p = s.split('.');
  if (p.length !== 4 || p.some((x) => !/^\d{1,3}$/.test(x) || Number(x) > 255)) return undefined;
  return p.reduce((v, x) => v * 256 + Number(x), 0);
}

const fail = (errno: ErrnoName): Returned => ({ kind: 'returned', ret: -1, errno });
const unsupported = (detail: string): Observed => ({ kind: 'unsupported', detail });

/** An out-parameter the callee did not touch: the 0xa5 fill and the length as passed. */
function untouched(o: Returned, out: AddrOut): Returned {
  if (out.ptr === 'ok') o.addr = 'a5'.repeat(Math.min(Math.max(out.len, 0), ADDR_BUF));
  if (out.lenPtr === 'ok') o.addrlen = out.len;
  return o;
}

/** One world's fd table over one world program; calls are executed one at a time. */
export class FdLayer {
  private readonly table: (Entry | undefined)[] = [{ kind: 'file' }, { kind: 'file' }, { kind: 'file' }, { kind: 'file' }];
  private readonly a = new Float64Array(A_COUNT);

  constructor(private readonly world: WorldProcess, readonly nofile: number, private readonly deadlineMs: number) {}

  /** Executes `call`. Rejects only when the world program is gone (it died or hung up). */
  async exec(call: Call): Promise<Observed> {
    if (call.op === 'socket') {
      const r = await this.run(OP.socket, [call.domain, call.type, call.protocol]);
      if (r.kind !== 'returned' || r.ret < 0) return r;
      const fd = this.lowestFree();
      if (fd >= this.nofile) {
        await this.run(OP.close, [r.ret]);
        return fail('EMFILE');
      }
      this.table[fd] = { kind: 'lwip', s: r.ret };
      return { kind: 'returned', ret: fd };
    }
    if (!isLwipCall(call)) return unsupported(`${call.op}: the lwip helper does not pass it${NOT_PASSED[call.op] ? ` (${NOT_PASSED[call.op]})` : ''}`);
    const e = call.fd >= 0 && call.fd < this.table.length ? this.table[call.fd] : undefined;
    const hasOut = call.op === 'accept' || call.op === 'accept4' || call.op === 'getsockname' || call.op === 'getpeername';
    if (e === undefined) return hasOut ? untouched(fail('EBADF'), call.out) : fail('EBADF');
    if (e.kind === 'file') return this.onFile(call);
    const s = e.s;
    if ((call.op === 'bind' || call.op === 'connect') && call.addr.ptr === 'bad') return unsupported('a faulting address pointer (lwIP would crash on it, not answer EFAULT)');
    if (hasOut && (call.out.ptr === 'bad' || call.out.lenPtr === 'bad')) return unsupported('a faulting out-pointer (lwIP would crash on it, not answer EFAULT)');
    switch (call.op) {
      case 'bind':
      case 'connect': {
        const x = call.addr;
        if (x.ptr !== 'ok') return this.run(OP[call.op], [s, 1, x.len], call);
        const ip = ipNumber(x.addr);
        if (ip === undefined) return unsupported(`address '${x.addr}' is not a dotted quad`);
        return this.run(OP[call.op], [s, 0, x.len, x.family, ip, x.port], call);
      }
      case 'listen':
        return this.run(OP.listen, [s, call.backlog], call);
      case 'accept':
      case 'accept4': {
        if (call.op === 'accept4' && call.flags !== 0) return unsupported('accept4 with flags: lwIP has accept only');
        const fd = this.lowestFree();
        if (fd >= this.nofile) return untouched(fail('EMFILE'), call.out);
        const r = await this.run(OP.accept, this.outArgs(s, call.out), call);
        if (r.kind === 'returned' && r.ret >= 0) {
          this.table[fd] = { kind: 'lwip', s: r.ret };
          r.ret = fd;
        }
        return r;
      }
      case 'getsockname':
      case 'getpeername':
        return this.run(OP[call.op], this.outArgs(s, call.out), call);
      case 'close': {
        const r = await this.run(OP.close, [s]);
        // lwIP may refuse (EINPROGRESS while a blocking connect waits): the socket stays.
        if (r.kind === 'returned' && r.ret === 0) this.table[call.fd] = undefined;
        return r;
      }
      case 'fcntl':
        return this.run(OP.fcntl, [s, call.cmd, call.arg]);
      case 'setsockopt':
        if ((call.ptr ?? 'ok') !== 'ok') return unsupported('setsockopt with a NULL or faulting option pointer: the lwip helper does not pass it');
        return this.run(OP.setsockopt, [s, call.level, call.name, call.value, call.optlen, call.linger ?? 0]);
      case 'shutdown':
        return this.run(OP.shutdown, [s, call.how]);
      default: {
        const never: never = call;
        return unsupported(`unknown call ${JSON.stringify(never)}`);
      }
    }
  }

  /** A socket call on fd 0..3 (or another file): Linux's answers for a non-socket. */
  private onFile(call: Exclude<LwipCall, { op: 'socket' }>): Observed {
    switch (call.op) {
      case 'close':
        this.table[call.fd] = undefined;
        return { kind: 'returned', ret: 0 };
      case 'fcntl':
        return unsupported('fcntl on a file that is not an lwIP socket (lwIP has no files)');
      case 'connect': {
        // __sys_connect: move_addr_to_kernel before sock_from_file.
        const { len, ptr } = call.addr;
        if (len < 0 || len > ADDR_BUF) return fail('EINVAL');
        if (len > 0 && ptr !== 'ok') return fail('EFAULT');
        return fail('ENOTSOCK');
      }
      case 'accept':
      case 'accept4': {
        // __sys_accept4_file: flags, then a free fd, then do_accept's sock_from_file.
        const flags = call.op === 'accept4' ? call.flags : 0;
        if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) return untouched(fail('EINVAL'), call.out);
        if (this.lowestFree() >= this.nofile) return untouched(fail('EMFILE'), call.out);
        return untouched(fail('ENOTSOCK'), call.out);
      }
      case 'getsockname':
      case 'getpeername':
        return untouched(fail('ENOTSOCK'), call.out);
      case 'bind':
      case 'listen':
      case 'setsockopt':
      case 'shutdown':
        return fail('ENOTSOCK');
      default: {
        const never: never = call;
        return unsupported(`unknown call ${JSON.stringify(never)}`);
      }
    }
  }

  private lowestFree(): number {
    const i = this.table.indexOf(undefined);
    return i < 0 ? this.table.length : i;
  }

  private outArgs(s: number, o: AddrOut): number[] {
    return [s, o.ptr === 'ok' ? 0 : 1, o.lenPtr === 'ok' ? 0 : 1, o.len];
  }

  /** Runs one op with `args` in slots 0.. and turns the answer into an observation of `call`. */
  private async run(op: number, args: number[], call?: Call): Promise<Observed> {
    this.a.fill(0);
    args.forEach((v, i) => { this.a[i] = v; });
    this.a[A_DEADLINE] = this.deadlineMs;
    const { res: r, out } = await this.world.call(op, this.a);
    if (r[R_BLOCKED] === -1) return { kind: 'crashed', detail: `the lwIP world program could not run the call (${errnoName(r[R_ERRNO]!)})` };
    const bound = r[R_BOUND] === 1 ? { addr: ipString(r[R_BOUND_ADDR]! >>> 0), port: r[R_BOUND_PORT]! } : undefined;
    if (r[R_BLOCKED] === 1) return bound ? { kind: 'blocked', bound } : { kind: 'blocked' };
    const o: Returned = { kind: 'returned', ret: r[R_RET]! };
    if (o.ret < 0) o.errno = errnoName(r[R_ERRNO]!);
    if (call && 'out' in call) {
      if (call.out.ptr === 'ok') o.addr = out.toString('hex', 0, Math.min(Math.max(call.out.len, 0), ADDR_BUF));
      if (call.out.lenPtr === 'ok') o.addrlen = r[R_ADDRLEN]!;
    }
    if (bound) o.bound = bound;
    return o;
  }
}
