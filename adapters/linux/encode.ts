/**
 * Encodes a Call into the shim's argument slots (a Float64Array shared across calls, so
 * the hot path allocates nothing). The layouts mirror the A_* comments in shim.c.
 */
import { actingCall, DATA_MAX, type AddrIn, type AddrOut, type Call, type IovIn, type IovOut, type MsgCommon, type Op, type Ptr } from '../../spec/call.js';
import { isV6Text, parseIpv6, sockaddrBytes } from '../../spec/inet6.js';
import { AF_VSOCK, SOCKADDR_STORAGE_LEN, SOCKADDR_VM_LEN, SOCKETCALL_NARGS, SOCKETCALL_NUM, UIO_MAXIOV, VMADDR_FLAG_TO_HOST } from '../../spec/constants.js';
import { readVsock } from './profile.js';

const MAP_FIXED = 0x10;
const MAP_ANONYMOUS = 0x20;
const MAP_FIXED_NOREPLACE = 0x100000;

/** The shim's op codes (enum OP_* in shim.c). */
export const OP_CODE: Readonly<Record<Op, number>> = {
  socket: 0, bind: 1, listen: 2, accept: 3, accept4: 4, connect: 5,
  getsockname: 6, getpeername: 7, close: 8, fcntl: 9, setsockopt: 10, socketcall: 11, shutdown: 13,
  getsockopt: 14, mmap: 15, poll: 16, select: 17, send: 18, sendto: 19, recv: 20, recvfrom: 21,
  sendmsg: 22, recvmsg: 23, socketpair: 24, sendfile: 25,
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

/**
 * The CIDs a vsock bind may name here because vsock_find_cid is sure to refuse them
 * (EADDRNOTAVAIL): VMADDR_CID_HYPERVISOR (0) always, VMADDR_CID_LOCAL (1) without the
 * loopback transport, VMADDR_CID_HOST (2) without a host-to-guest one. vsock is not
 * network-namespaced: a bind that succeeds registers a port the hypervisor sees.
 */
let safeCids: Set<number> | undefined;
function vsockBindSafe(cid: number): boolean {
  if (safeCids === undefined) {
    const v = readVsock();
    safeCids = new Set([0, ...(v && !v.loopback ? [1] : []), ...(v && !v.h2g ? [2] : [])]);
  }
  return safeCids.has(cid);
}

/**
 * Why a bind or connect with `x` is not made here: an address vsock_addr_cast would take
 * (AF_VSOCK, 16 bytes or more, no unknown svm_flags) in a connect (it would reach the host)
 * or in a bind whose CID might be local. A sockaddr_in-shaped buffer of family AF_VSOCK
 * reads as CID 0. Undefined: safe on any socket.
 */
function vsockUnsafe(op: 'bind' | 'connect', x: AddrIn, opts: EncodeOptions): string | undefined {
  if (opts.vsockContained === true) return undefined;
  // move_addr_to_kernel refuses a length above sizeof(struct sockaddr_storage) first.
  if (x.ptr !== 'ok' || x.family !== AF_VSOCK || x.len < SOCKADDR_VM_LEN || x.len > SOCKADDR_STORAGE_LEN) return undefined;
  const flags = x.vm?.flags ?? 0;
  if (flags & ~VMADDR_FLAG_TO_HOST & 0xff) return undefined;
  const cid = x.vm?.cid ?? 0;
  if (op === 'connect') return 'connect with a valid sockaddr_vm: vsock is not network-namespaced, the linux adapter never connects to the host';
  if (!vsockBindSafe(cid >>> 0)) return `bind to vsock CID ${cid >>> 0}: it may be local here, and a vsock bind that succeeds registers a port outside the namespace`;
  return undefined;
}

function addrIn(a: Float64Array, x: AddrIn): string | undefined {
  a[1] = PTR_CODE[x.ptr];
  a[2] = x.len;
  if (x.ptr !== 'ok') {
    a[3] = a[4] = a[5] = 0;
    return undefined;
  }
  if (x.vm !== undefined) {
    // shim.c addr_in: a negative slot 4 asks for a sockaddr_vm: -(1 + cid + flags * 2^32).
    a[3] = x.family;
    a[4] = -(1 + (x.vm.cid >>> 0) + (x.vm.flags & 0xff) * 4294967296);
    a[5] = x.port >>> 0;
    return undefined;
  }
  a[3] = x.family;
  a[5] = x.port;
  if (isV6Text(x.addr)) {
    // A sockaddr_in6: the session puts its bytes (addrInBytes) in the out buffer.
    if (parseIpv6(x.addr) === undefined) return `address '${x.addr}' is not IPv6 text`;
    a[4] = A4_IN_OUT;
    return undefined;
  }
  const ip = parseIpv4(x.addr);
  if (ip < 0) return `address '${x.addr}' is not a dotted quad`;
  a[4] = ip;
  return undefined;
}

/** shim.c A4_IN_OUT: slot 4 of an AddrIn whose buffer is in out[0..128) (-2^48, below every sockaddr_vm code). */
const A4_IN_OUT = -(2 ** 48);
/** shim.c NAME_IN_OUT: the msg_name kind of a sendmsg whose msg_name buffer is in out[0..128). */
const NAME_IN_OUT = 3;

/** Whether `x` is an `ok` address buffer that the shim takes as bytes (a sockaddr_in6 layout). */
function inOut(x: AddrIn): x is Extract<AddrIn, { ptr: 'ok' }> {
  return x.ptr === 'ok' && x.vm === undefined && isV6Text(x.addr);
}

/**
 * The address buffer of a bind, connect, sendto or sendmsg's msg_name (also carried by
 * socketcall) whose address is IPv6 text, which the shim takes from the out buffer's first
 * 128 bytes (A4_IN_OUT, NAME_IN_OUT); undefined for every other call.
 */
export function addrInBytes(call: Call): Uint8Array | undefined {
  const c = actingCall(call);
  if (c.op === 'sendmsg') return c.msg.ptr === 'ok' && inOut(c.msg.name) ? sockaddrBytes(c.msg.name) : undefined;
  if (c.op !== 'bind' && c.op !== 'connect' && c.op !== 'sendto') return undefined;
  return inOut(c.addr) ? sockaddrBytes(c.addr) : undefined;
}

function addrOut(a: Float64Array, x: AddrOut, flags: number): void {
  a[1] = PTR_CODE[x.ptr];
  a[2] = PTR_CODE[x.lenPtr];
  a[3] = x.len;
  a[4] = flags;
}

/** What the executor's machine allows beyond this process's rules. */
export interface EncodeOptions {
  /**
   * true: AF_VSOCK reaches nothing outside the machine the calls run on (a qemu guest
   * with no vsock device), so every vsock bind and connect is made. Default: false (this
   * machine's vsock may reach its hypervisor: see vsockUnsafe).
   */
  vsockContained?: boolean;
}

/**
 * Writes `call`'s arguments into `a` (slot 0 is the sequence's fd, or socket's domain)
 * and clears the deadline slot. Returns a reason when the call cannot be executed safely
 * (the observation is then `unsupported`); never performs the call.
 */
export function encode(call: Call, a: Float64Array, opts: EncodeOptions = {}): string | undefined {
  a[A_DEADLINE] = 0;
  a[A_SC] = 0;
  if (call.op === 'socketcall') {
    if (call.args === 'ok' && call.call !== undefined && call.num === SOCKETCALL_NUM[call.call.op]) {
      const why = encode(call.call, a, opts);
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
    case 'socketpair':
      a[0] = call.domain; a[1] = call.type; a[2] = call.protocol; a[3] = PTR_CODE[call.sv];
      return undefined;
    case 'bind':
    case 'connect':
      a[0] = call.fd;
      return vsockUnsafe(call.op, call.addr, opts) ?? addrIn(a, call.addr);
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
      // The second int of the value (struct linger's l_linger), 0 when the call has none.
      a[A_DLEN] = call.linger ?? 0;
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
    case 'sendmsg':
    case 'recvmsg': {
      // The msghdr's scalars go here, its name and iovecs into the vector (encodeVec), and
      // a sendmsg's bytes to out[DATA_OFF..] (the session).
      a[0] = call.fd; a[A_MFLAGS] = call.flags;
      a[1] = PTR_CODE[call.msg.ptr];
      if (call.msg.ptr !== 'ok') { a[2] = a[3] = a[A_DLEN] = 0; a[4] = a[5] = PTR_CODE.ok; return undefined; }
      const m: MsgCommon<IovIn | IovOut> = call.msg;
      if (m.iovs.length > UIO_MAXIOV) return `${call.op} with more than ${UIO_MAXIOV} iovecs given`;
      if (m.iovlen < 0 || m.iovlen >= 2 ** 32 || m.controllen < 0 || m.controllen >= 2 ** 53) return `${call.op} with msg_iovlen ${m.iovlen} or msg_controllen ${m.controllen} outside what the adapter passes`;
      let total = 0;
      for (const v of m.iovs) total += v.ptr === 'ok' ? ('data' in v ? v.data.length / 2 : v.len) : 0;
      if (total > DATA_MAX || m.iovs.some((v) => v.ptr === 'ok' && 'len' in v && v.len < 0)) return `${call.op} whose iovec buffers hold more than ${DATA_MAX} bytes (or a negative length with a buffer): the linux adapter's buffer holds ${DATA_MAX}`;
      if (call.op === 'sendmsg' && call.msg.ptr === 'ok' && call.msg.name.ptr === 'ok') {
        const n = call.msg.name;
        if (isV6Text(n.addr) ? parseIpv6(n.addr) === undefined : parseIpv4(n.addr) < 0) return `address '${n.addr}' is neither a dotted quad nor IPv6 text`;
      }
      a[2] = m.iovlen; a[3] = m.controllen; a[4] = PTR_CODE[m.control]; a[5] = PTR_CODE[m.iov]; a[A_DLEN] = total;
      return undefined;
    }
    case 'sendfile':
      // The deadline slot is set by the session when the call may sleep (see shim.c).
      a[0] = call.fd; a[1] = call.inFd; a[2] = PTR_CODE[call.offset.ptr]; a[3] = call.offset.ptr === 'ok' ? call.offset.value : 0; a[4] = call.count;
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
  if ((call.op === 'sendmsg' || call.op === 'recvmsg') && call.msg.ptr === 'ok') {
    const m = call.msg;
    const n = m.name;
    const v6 = call.op === 'sendmsg' && inOut(call.msg.name);
    const ip = 'addr' in n && !v6 ? parseIpv4(n.addr) : 0;
    const words = [v6 ? NAME_IN_OUT : PTR_CODE[n.ptr], n.len, 'family' in n ? n.family : 0, ip | 0, 'port' in n ? n.port : 0, m.flags | 0, m.iovs.length];
    for (const v of m.iovs) words.push(PTR_CODE[v.ptr], 'data' in v ? v.data.length / 2 : v.len);
    return Int32Array.from(words);
  }
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
