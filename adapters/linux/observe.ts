/**
 * The two halves of a call around shim.c's executor, shared by every adapter that runs
 * it (linux in this process, linux-vm in a guest): `prepare` fills the argument slots and
 * the out buffer (and the array argument) from a Call, `observe` turns the result slots
 * and buffers the executor filled into an Observed. Neither makes a syscall.
 */
import { actingCall, DATA_MAX, msgData, type Call } from '../../spec/call.js';
import { errnoName } from '../../spec/errno.js';
import { formatIpv6 } from '../../spec/inet6.js';
import { OPTVAL_SHOWN, type Bound, type Observed, type Returned, type SelectSets } from '../../spec/observed.js';
import { DATA_OFF, OP_CODE, VEC_ENTRIES, addrInBytes, encode, encodeVec, type EncodeOptions } from './encode.js';

/** Result slots (enum R_* in shim.c). */
const R_RET = 0, R_ERRNO = 1, R_ADDRLEN = 2, R_BLOCKED = 3, R_BOUND = 4, R_BOUND_ADDR = 5, R_BOUND_PORT = 6, R_BOUND6 = 7;
/** Values of res[R_BLOCKED] (enum B_* in shim.c). */
const B_BLOCKED = 1, B_NO_TIMER = -1, B_FLAGS_LOST = -2, B_REFUSED = -3;
/** socketpair's two fds (R_SV0, R_SV1 in shim.c). */
const R_SV0 = 5, R_SV1 = 6;
/** The number of result slots (shim.c R_COUNT, rounded up). */
export const RES_SLOTS = 12;
/** The out buffer's size: an address or option value at 0, data at DATA_OFF. */
export const OUT_BYTES = DATA_OFF + DATA_MAX;
/** The longest an accept (or a read nothing can satisfy) waits before it counts as blocked (ms); see timedDeadline. */
export const ACCEPT_WAIT_MS = 0.5;
/** How far past its own timeout a poll or select may run before the deadline interrupts it. */
const TIMEOUT_BACKSTOP_MS = 5000;
const ADDR_BUF = 128;

/** A call ready for the executor: its op code, the call it acts as, its array argument, whether it may sleep. */
export interface Prepared {
  acting: Call;
  op: number;
  vec: Int32Array | undefined;
  mayBlock: boolean;
}

/**
 * Fills `args` and `out` for `call` (the payload of a send at out[DATA_OFF..], an IPv6
 * address at out[0..]); returns the reason as a string when the call is not made here.
 */
export function prepare(call: Call, args: Float64Array, out: Buffer, opts: EncodeOptions = {}): Prepared | string {
  const why = encode(call, args, opts);
  if (why !== undefined) return why;
  // socketcall carrying a call is that call, made through the multiplexer (encode set A_SC).
  const acting = actingCall(call);
  const op = OP_CODE[acting.op];
  const vec = encodeVec(acting);
  if (acting.op === 'send' || acting.op === 'sendto') out.write(acting.data, DATA_OFF, 'hex');
  if (acting.op === 'sendmsg' && acting.msg.ptr === 'ok') out.write(msgData(acting.msg), DATA_OFF, 'hex');
  const sa = addrInBytes(call);
  if (sa !== undefined) out.set(sa, 0);
  const mayBlock = acting.op === 'accept' || acting.op === 'accept4' || acting.op === 'connect' || acting.op === 'poll' || acting.op === 'select'
    || acting.op === 'recv' || acting.op === 'recvfrom' || acting.op === 'recvmsg' || acting.op === 'send' || acting.op === 'sendto' || acting.op === 'sendmsg'
    || acting.op === 'sendfile';
  return { acting, op, vec, mayBlock };
}

/**
 * The deadline (ms, for the A_DEADLINE slot) of a call that the executor's non-blocking
 * attempt left to a timed one. `shortWaitMs` is how long a wait that nothing in the
 * sequence can end lasts (ACCEPT_WAIT_MS in this process).
 */
export function timedDeadline(call: Call, deadlineMs: number, shortWaitMs = ACCEPT_WAIT_MS): number {
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
  return timeoutMs !== undefined ? timeoutMs + Math.max(deadlineMs, TIMEOUT_BACKSTOP_MS)
    : call.op === 'connect' || call.op === 'sendfile' ? deadlineMs : Math.min(deadlineMs, shortWaitMs);
}

/** How many words of the executor's array result `observe` reads for `call` (shim.c g_vout). */
export function vecWords(call: Call): number {
  if (call.op === 'poll' && call.fds === 'ok') return call.entries.length;
  if (call.op === 'select') return 3 * (VEC_ENTRIES + 1);
  if (call.op === 'recvmsg' && call.msg.ptr === 'ok') return 4;
  return 0;
}

function ipString(u: number): string {
  return `${u >>> 24}.${(u >>> 16) & 255}.${(u >>> 8) & 255}.${u & 255}`;
}

function bound(call: Call, r: Int32Array): Bound | undefined {
  if (call.op !== 'bind' && call.op !== 'listen' && call.op !== 'connect' && call.op !== 'send' && call.op !== 'sendto' && call.op !== 'sendmsg' && call.op !== 'sendfile') return undefined;
  if (r[R_BOUND] === 2) {
    // An AF_INET6 address: its 16 bytes in network order in the four R_BOUND6 slots.
    const b = new Uint8Array(r.buffer, r.byteOffset + 4 * R_BOUND6, 16);
    return { addr: formatIpv6(b), port: r[R_BOUND_PORT]! };
  }
  if (r[R_BOUND] !== 1) return undefined;
  return { addr: ipString(r[R_BOUND_ADDR]! >>> 0), port: r[R_BOUND_PORT]! };
}

/**
 * Turns the executor's result slots `r`, its out buffer and its array result (the first
 * `n` words, from `vec`) into an observation of `call` (the acting call). Throws when the
 * executor itself failed (its deadline timer, a socket's flags).
 */
export function observe(call: Call, r: Int32Array, out: Buffer, vec: (n: number) => Int32Array): Observed {
  if (r[R_BLOCKED] === B_NO_TIMER) throw new Error(`the deadline timer could not be armed (${errnoName(r[R_ERRNO]!)})`);
  if (r[R_BLOCKED] === B_FLAGS_LOST) throw new Error(`a socket's file flags could not be restored after a non-blocking connect (${errnoName(r[R_ERRNO]!)})`);
  if (r[R_BLOCKED] === B_REFUSED) return { kind: 'unsupported', detail: 'bind of an AF_UNIX socket to a filesystem name: the linux adapter does not create files' };
  const b = bound(call, r);
  if (r[R_BLOCKED] === B_BLOCKED) return b ? { kind: 'blocked', bound: b } : { kind: 'blocked' };
  const o: Returned = { kind: 'returned', ret: r[R_RET]! };
  if (o.ret < 0) o.errno = errnoName(r[R_ERRNO]!);
  if (call.op === 'sendfile' && call.offset.ptr === 'ok') o.offset = Number(out.readBigInt64LE(0));
  if (call.op === 'recv' || call.op === 'recvfrom') {
    if (o.ret >= 0) o.data = out.toString('hex', DATA_OFF, DATA_OFF + Math.min(o.ret, call.len));
  }
  if (call.op === 'recvmsg' && call.msg.ptr === 'ok') {
    // The iovec buffers lie one after the other at out[DATA_OFF..]; the msghdr's fields come back in the vector.
    const m = call.msg;
    const total = m.iovs.slice(0, m.iovlen).reduce((n, v) => n + (v.ptr === 'ok' ? v.len : 0), 0);
    if (o.ret >= 0) o.data = out.toString('hex', DATA_OFF, DATA_OFF + Math.min(o.ret, total));
    if (m.name.ptr === 'ok') o.addr = out.toString('hex', 0, Math.min(Math.max(m.name.len, 0), ADDR_BUF));
    const v = vec(4);
    o.addrlen = v[0]!;
    o.msgFlags = v[1]! >>> 0;
    o.controllen = (v[2]! >>> 0) + (v[3]! >>> 0) * 2 ** 32;
  }
  if (call.op === 'accept' || call.op === 'accept4' || call.op === 'getsockname' || call.op === 'getpeername' || call.op === 'recvfrom') {
    if (call.out.ptr === 'ok') o.addr = out.toString('hex', 0, Math.min(Math.max(call.out.len, 0), ADDR_BUF));
    if (call.out.lenPtr === 'ok') o.addrlen = r[R_ADDRLEN]!;
  }
  if (call.op === 'getsockopt') {
    if (call.opt.ptr === 'ok') o.optval = out.toString('hex', 0, Math.min(Math.max(call.opt.len, 0), OPTVAL_SHOWN));
    if (call.opt.lenPtr === 'ok') o.optlen = r[R_ADDRLEN]!;
  }
  if (b) o.bound = b;
  if (call.op === 'socketpair' && call.sv === 'ok' && o.ret === 0) o.sv = [r[R_SV0]!, r[R_SV1]!];
  if (call.op === 'poll' && call.fds === 'ok') o.revents = Array.from(vec(call.entries.length));
  if (call.op === 'select') {
    const v = vec(3 * (VEC_ENTRIES + 1));
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
