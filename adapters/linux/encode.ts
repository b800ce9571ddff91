/**
 * Encodes a Call into the shim's argument slots (a Float64Array shared across calls, so
 * the hot path allocates nothing). The layouts mirror the A_* comments in shim.c.
 */
import { actingCall, DATA_MAX, type AddrIn, type AddrOut, type Call, type Op, type Ptr } from '../../spec/call.js';
import { isV6Text, parseIpv6, sockaddrBytes } from '../../spec/inet6.js';
import { SOCKETCALL_NARGS, SOCKETCALL_NUM } from '../../spec/constants.js';

const MAP_FIXED = 0x10;
const MAP_ANONYMOUS = 0x20;
const MAP_FIXED_NOREPLACE = 0x100000;

/** The shim's op codes (enum OP_* in shim.c). */
export const OP_CODE: Readonly<Record<Op, number>> = {
  socket: 0, bind: 1, listen: 2, accept: 3, accept4: 4, connect: 5,
  getsockname: 6, getpeername: 7, close: 8, fcntl: 9, setsockopt: 10, socketcall: 11, shutdown: 13,
  getsockopt: 14, mmap: 15, poll: 16, select: 17, send: 18, sendto: 19, recv: 20, recvfrom: 21,
};

/** The shim's array limit per poll (struct pollfd entries) or fd_set (members). */
export const VEC_ENTRIES = 1024;

/** Number of argument slots (shim.c A_COUNT). */
export const ARG_SLOTS = 10;
/** Slots of a data call's length (send's payload bytes, recv's len) and its MSG_* flags. */
export const A_DLEN = 8;
export const A_MFLAGS = 9;
/** Where a data call's bytes sit in the shim's out buffer (payload going out, bytes read coming back), and their room. */
export const DATA_OFF = 128;
/** Slot of the deadline in ms; 0 runs the call without a timer. */
export const A_DEADLINE = 7;
/** Slot saying how a socket call is made: 0 directly, else through socketcall (shim.c A_SC). */
export const A_SC = 6;

const PTR_CODE: Readonly<Record<Ptr, number>> = { ok: 0, null: 1, bad: 2 };

/**
 * fcntl commands the adapter refuses: they take a user pointer (the call carries a plain
 * number, which could name live memory of this process), or direct signals at another
 * process (F_SETOWN*, F_SETSIG, F_NOTIFY, F_SETLEASE). All are outside the model's domain.
 */
const UNSAFE_FCNTL = new Set([5, 6, 7, 8, 10, 15, 16, 17, 36, 37, 38, 1024, 1026, 1027, 1029, 1035, 1036, 1037, 1038]);

/** A dotted quad as a host-order u32, or -1 if `s` is not one. Allocates nothing. */
export function parseIpv4(s: string): number {
  let v = 0;
  let part = -1;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (part < 0 || dots === 3) return -1;
      v = v * 256 + part;
      part = -1;
      dots++;
    } else if (c >= 48 && c <= 57) {
      part = (part < 0 ? 0 : part * 10) + (c - 48);
      if (part > 255) return -1;
    } else return -1;
  }
  if (part < 0 || dots !== 3) return -1;
  return v * 256 + part;
}

function addrIn(a: Float64Array, x: AddrIn): string | undefined {
  a[1] = PTR_CODE[x.ptr];
  a[2] = x.len;
  if (x.ptr !== 'ok') {
    a[3] = a[4] = a[5] = 0;
    return undefined;
  }
  a[3] = x.family;
  a[5] = x.port;
  if (isV6Text(x.addr)) {
    // A sockaddr_in6: the session puts its bytes (addrInBytes) in the out buffer.
    if (parseIpv6(x.addr) === undefined) return `address '${x.addr}' is not IPv6 text`;
    a[4] = -1;
    return undefined;
  }
  const ip = parseIpv4(x.addr);
  if (ip < 0) return `address '${x.addr}' is not a dotted quad`;
  a[4] = ip;
  return undefined;
}

/**
 * The address buffer of a bind, connect or sendto (also carried by socketcall) whose
 * address is IPv6 text, which the shim takes from the out buffer's first 128 bytes
 * (a[4] = -1, see addrIn); undefined for every other call.
 */
export function addrInBytes(call: Call): Uint8Array | undefined {
  const c = actingCall(call);
  if (c.op !== 'bind' && c.op !== 'connect' && c.op !== 'sendto') return undefined;
  if (c.addr.ptr !== 'ok' || !isV6Text(c.addr.addr)) return undefined;
  return sockaddrBytes(c.addr);
}

function addrOut(a: Float64Array, x: AddrOut, flags: number): void {
  a[1] = PTR_CODE[x.ptr];
  a[2] = PTR_CODE[x.lenPtr];
  a[3] = x.len;
  a[4] = flags;
}

/**
 * Writes `call`'s arguments into `a` (slot 0 is the sequence's fd, or socket's domain)
 * and clears the deadline slot. Returns a reason when the call cannot be executed safely
 * (the observation is then `unsupported`); never performs the call.
 */
export function encode(call: Call, a: Float64Array): string | undefined {
  a[A_DEADLINE] = 0;
  a[A_SC] = 0;
  if (call.op === 'socketcall') {
    if (call.args === 'ok' && call.call !== undefined && call.num === SOCKETCALL_NUM[call.call.op]) {
      const why = encode(call.call, a);
      a[A_SC] = call.readable === undefined ? 1 : 2 + Math.max(0, call.readable);
      return why;
    }
    if (call.args === 'ok' && call.num >= 1 && call.num <= 20 && (call.readable === undefined || call.readable >= SOCKETCALL_NARGS[call.num]!)) {
      return `socketcall(${call.num}) with a readable argument array and no call in it: the linux adapter does not make calls it cannot describe`;
    }
    a[0] = call.num; a[1] = PTR_CODE[call.args]; a[2] = call.readable ?? -1;
    return undefined;
  }
  switch (call.op) {
    case 'socket':
      a[0] = call.domain; a[1] = call.type; a[2] = call.protocol;
      return undefined;
    case 'bind':
    case 'connect':
      a[0] = call.fd;
      return addrIn(a, call.addr);
    case 'listen':
      a[0] = call.fd; a[1] = call.backlog;
      return undefined;
    case 'accept':
    case 'getsockname':
    case 'getpeername':
      a[0] = call.fd;
      addrOut(a, call.out, 0);
      return undefined;
    case 'accept4':
      a[0] = call.fd;
      addrOut(a, call.out, call.flags);
      return undefined;
    case 'close':
      a[0] = call.fd;
      return undefined;
    case 'fcntl':
      if (UNSAFE_FCNTL.has(call.cmd)) return `fcntl cmd ${call.cmd} takes a user pointer or a signal target; the linux adapter does not pass it`;
      a[0] = call.fd; a[1] = call.cmd; a[2] = call.arg;
      return undefined;
    case 'setsockopt':
      a[0] = call.fd; a[1] = call.level; a[2] = call.name; a[3] = call.value; a[4] = call.optlen; a[5] = PTR_CODE[call.ptr ?? 'ok'];
      return undefined;
    case 'getsockopt':
      a[0] = call.fd; a[1] = call.level; a[2] = call.name;
      a[3] = PTR_CODE[call.opt.ptr]; a[4] = PTR_CODE[call.opt.lenPtr]; a[5] = call.opt.len;
      return undefined;
    case 'shutdown':
      a[0] = call.fd; a[1] = call.how;
      return undefined;
    case 'mmap':
      // Never a mapping at a fixed address or an anonymous one: only the fd's file is in question.
      if (call.flags & (MAP_FIXED | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE)) return 'mmap with MAP_FIXED, MAP_FIXED_NOREPLACE or MAP_ANONYMOUS: the linux adapter does not map into its own address space at chosen places';
      a[0] = call.fd; a[1] = call.len; a[2] = call.prot; a[3] = call.flags; a[4] = call.offset;
      return undefined;
    case 'poll':
      if (call.entries.length > VEC_ENTRIES) return `poll with more than ${VEC_ENTRIES} entries: the linux adapter's array holds ${VEC_ENTRIES}`;
      a[0] = call.nfds; a[1] = PTR_CODE[call.fds]; a[2] = call.timeout; a[3] = call.entries.length;
      return undefined;
    case 'select':
      for (const set of [call.read, call.write, call.except]) {
        if (set.ptr === 'ok' && set.fds.some((fd) => fd < 0 || fd >= VEC_ENTRIES)) return `select with a set member outside [0, ${VEC_ENTRIES}): an fd_set cannot hold it`;
      }
      a[0] = call.nfds;
      return undefined;
    case 'send':
    case 'sendto':
      // The payload itself is copied to out[DATA_OFF..] by the session.
      a[0] = call.fd; a[A_DLEN] = call.data.length / 2; a[A_MFLAGS] = call.flags;
      return call.op === 'sendto' ? addrIn(a, call.addr) : undefined;
    case 'recv':
    case 'recvfrom':
      if (call.len < 0 || call.len > DATA_MAX) return `${call.op} with len ${call.len}: the linux adapter's buffer holds ${DATA_MAX} bytes`;
      a[0] = call.fd; a[A_DLEN] = call.len; a[A_MFLAGS] = call.flags;
      if (call.op === 'recvfrom') addrOut(a, call.out, 0);
      return undefined;
    default: {
      const never: never = call;
      return `unknown call ${JSON.stringify(never)}`;
    }
  }
}

/**
 * The array argument of a poll or select (shim.c's g_vec layout), or undefined for other
 * calls. Allocates; poll and select are not on the adapter's hot path.
 */
export function encodeVec(call: Call): Int32Array | undefined {
  if (call.op === 'poll') {
    const v = new Int32Array(2 * call.entries.length);
    call.entries.forEach((e, i) => { v[2 * i] = e.fd; v[2 * i + 1] = e.events; });
    return v;
  }
  if (call.op !== 'select') return undefined;
  const t = call.timeout;
  const words = [PTR_CODE[t.ptr], t.ptr === 'ok' ? t.sec : 0, t.ptr === 'ok' ? t.usec : 0];
  for (const set of [call.read, call.write, call.except]) {
    words.push(PTR_CODE[set.ptr]);
    const fds = set.ptr === 'ok' ? set.fds : [];
    words.push(fds.length, ...fds);
  }
  return Int32Array.from(words);
}
