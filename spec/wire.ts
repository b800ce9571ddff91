/**
 * The wire protocol between sockspec and an out-of-process implementation (a "helper"):
 * one JSON object per line over the helper's stdin and stdout. This file is the schema
 * in code: the message types as they are decoded, the symbolic flag tables, encoders
 * and validating parsers. spec/wire.md is the prose and the worked example.
 *
 * Pure: no I/O, and no function here throws on bad input; a parser answers
 * `{ ok: false, error }` with the JSON path of the first offending field.
 */
import type { World } from './adapter.js';
import { canonicalIpv6, isV6Text, parseIpv6 } from './inet6.js';
import { DATA_MAX, OPS, type AddrIn, type AddrOut, type Call, type FdSet, type IovIn, type IovOut, type MsgCommon, type MsgIn, type MsgOut, type Offset, type Op, type OptOut, type Ptr, type SocketcallInner, type Timeval } from './call.js';
import * as K from './constants.js';
import { ERRNO, type ErrnoName } from './errno.js';
import { OPTVAL_SHOWN, type Bound, type Observed, type SelectSets } from './observed.js';
import type { Buffers, Profile } from './profile.js';
import { variantsProblem, type Variants } from './variants.js';

/** The protocol version this sockspec speaks; a helper's hello must state exactly this. */
export const WIRE_PROTOCOL = 1;

// ---------------------------------------------------------------------------------------
// Symbolic numbers

/** A name and its value (Linux x86_64). */
export type NameTable = readonly (readonly [string, number])[];

/** A number that has a name travels as the name; others travel as the number. */
export type Sym = string | number;

/**
 * A bit set: names, plus at most one number holding the bits without a name. Its value
 * is the bitwise OR of all elements, read as a C int. `[]` is 0.
 */
export type FlagSet = (string | number)[];

/** The tables that give wire names to numbers, one per kind of argument. */
export const WIRE_NAMES = {
  domain: [
    ['AF_UNSPEC', K.AF_UNSPEC], ['AF_UNIX', K.AF_UNIX], ['AF_INET', K.AF_INET], ['AF_INET6', K.AF_INET6],
    ['AF_NETLINK', K.AF_NETLINK], ['AF_PACKET', K.AF_PACKET], ['AF_VSOCK', K.AF_VSOCK],
  ],
  /** socket()'s base types (values under SOCK_TYPE_MASK, not bits: at most one per set). */
  sockType: [
    ['SOCK_STREAM', K.SOCK_STREAM], ['SOCK_DGRAM', K.SOCK_DGRAM], ['SOCK_RAW', K.SOCK_RAW], ['SOCK_RDM', K.SOCK_RDM],
    ['SOCK_SEQPACKET', K.SOCK_SEQPACKET], ['SOCK_DCCP', K.SOCK_DCCP], ['SOCK_PACKET', K.SOCK_PACKET],
  ],
  sockFlags: [['SOCK_NONBLOCK', K.SOCK_NONBLOCK], ['SOCK_CLOEXEC', K.SOCK_CLOEXEC]],
  msgFlags: [['MSG_OOB', K.MSG_OOB], ['MSG_PEEK', K.MSG_PEEK], ['MSG_TRUNC', K.MSG_TRUNC], ['MSG_DONTWAIT', K.MSG_DONTWAIT], ['MSG_WAITALL', K.MSG_WAITALL], ['MSG_NOSIGNAL', K.MSG_NOSIGNAL]],
  protocol: [
    ['IPPROTO_ICMP', K.IPPROTO_ICMP], ['IPPROTO_TCP', K.IPPROTO_TCP], ['IPPROTO_UDP', K.IPPROTO_UDP],
    ['IPPROTO_SCTP', K.IPPROTO_SCTP], ['IPPROTO_UDPLITE', K.IPPROTO_UDPLITE],
  ],
  fcntlCmd: [
    ['F_DUPFD', K.F_DUPFD], ['F_GETFD', K.F_GETFD], ['F_SETFD', K.F_SETFD], ['F_GETFL', K.F_GETFL], ['F_SETFL', K.F_SETFL],
    ['F_DUPFD_CLOEXEC', 1030],
  ],
  /** File status bits (F_SETFL's argument, F_GETFL's result). */
  fileFlags: [
    ['O_APPEND', 0o2000], ['O_NONBLOCK', K.O_NONBLOCK], ['O_ASYNC', 0o20000], ['O_DIRECT', 0o40000],
    ['O_LARGEFILE', K.O_LARGEFILE], ['O_NOATIME', 0o1000000], ['O_CLOEXEC', K.O_CLOEXEC],
  ],
  /** Access modes: values in the low two bits of F_GETFL's result (O_RDONLY is 0). */
  accessMode: [['O_RDONLY', K.O_RDONLY], ['O_WRONLY', K.O_WRONLY], ['O_RDWR', K.O_RDWR]],
  fdFlags: [['FD_CLOEXEC', K.FD_CLOEXEC]],
  level: [['SOL_SOCKET', K.SOL_SOCKET], ['IPPROTO_TCP', K.IPPROTO_TCP], ['IPPROTO_UDP', K.IPPROTO_UDP]],
  /** SOL_SOCKET option names; options of other levels travel as numbers. */
  solSocketOpt: [
    ['SO_DEBUG', 1], ['SO_REUSEADDR', K.SO_REUSEADDR], ['SO_TYPE', 3], ['SO_ERROR', 4], ['SO_DONTROUTE', 5],
    ['SO_BROADCAST', 6], ['SO_SNDBUF', 7], ['SO_RCVBUF', 8], ['SO_KEEPALIVE', 9], ['SO_OOBINLINE', 10],
    ['SO_LINGER', 13], ['SO_REUSEPORT', 15], ['SO_ACCEPTCONN', K.SO_ACCEPTCONN], ['SO_PROTOCOL', K.SO_PROTOCOL],
    ['SO_DOMAIN', K.SO_DOMAIN],
  ],
  /** mmap()'s protection bits and flags. */
  mmapProt: [['PROT_READ', 0x1], ['PROT_WRITE', 0x2], ['PROT_EXEC', 0x4]],
  mmapFlags: [
    ['MAP_SHARED', 0x01], ['MAP_PRIVATE', 0x02], ['MAP_POPULATE', 0x8000], ['MAP_HUGETLB', 0x40000], ['MAP_SYNC', 0x80000],
  ],
  /** socketcall()'s call numbers. */
  socketcall: [
    ['SYS_SOCKET', 1], ['SYS_BIND', 2], ['SYS_CONNECT', 3], ['SYS_LISTEN', 4], ['SYS_ACCEPT', 5], ['SYS_GETSOCKNAME', 6],
    ['SYS_GETPEERNAME', 7], ['SYS_SOCKETPAIR', 8], ['SYS_SEND', 9], ['SYS_RECV', 10], ['SYS_SENDTO', 11], ['SYS_RECVFROM', 12],
    ['SYS_SHUTDOWN', 13], ['SYS_SETSOCKOPT', 14], ['SYS_GETSOCKOPT', 15], ['SYS_SENDMSG', 16], ['SYS_RECVMSG', 17],
    ['SYS_ACCEPT4', 18], ['SYS_RECVMMSG', 19], ['SYS_SENDMMSG', 20],
  ],
} as const satisfies Record<string, NameTable>;

const T = WIRE_NAMES;
/** Names a flag set in fcntl's argument or a call's `ret` may use. */
const FCNTL_BITS: NameTable = [...T.fileFlags, ...T.accessMode, ...T.fdFlags];

function symOf(table: NameTable, n: number): Sym {
  for (const [name, v] of table) if (v === n) return name;
  return n;
}

/** `n`'s bits as names from `table` (table order) and one number for the rest. */
function bitsOf(table: NameTable, n: number): FlagSet {
  let rest = n >>> 0;
  const out: FlagSet = [];
  for (const [name, v] of table) {
    if (v !== 0 && (rest & v) >>> 0 === v) { out.push(name); rest = (rest & ~v) >>> 0; }
  }
  if (rest !== 0) out.push(rest);
  return out;
}

/** socket()'s type: the base type's name (if it has one), the flags, then leftover bits. */
function sockTypeOf(n: number): FlagSet {
  const u = n >>> 0;
  const base = u & K.SOCK_TYPE_MASK;
  const baseName = symOf(T.sockType, base);
  const flags = bitsOf(T.sockFlags, (u & ~K.SOCK_TYPE_MASK) >>> 0);
  const names = flags.filter((f): f is string => typeof f === 'string');
  const rest = ((flags.find((f) => typeof f === 'number') ?? 0) as number) | (typeof baseName === 'number' ? base : 0);
  return [...(typeof baseName === 'string' ? [baseName] : []), ...names, ...(rest !== 0 ? [rest >>> 0] : [])];
}

// ---------------------------------------------------------------------------------------
// Messages

/** What a helper implements, stated in its hello. Informational except `calls`. */
export interface Capabilities {
  /** Address families its socket() can create, e.g. ["AF_INET"]. */
  families: Sym[];
  /** Socket types, e.g. ["SOCK_STREAM", "SOCK_DGRAM"]. */
  types: Sym[];
  /** The calls it executes; the runner answers any other call `unsupported` itself. */
  calls: Op[];
  /**
   * The implementation works asynchronously (its own threads or timers): the runner sends
   * `settle` after every call. Optional in the hello; default false (no settle requests).
   */
  settles: boolean;
}

/** The helper's first line. */
export interface Hello {
  type: 'hello';
  protocol: number;
  name: string;
  version: string;
  capabilities: Capabilities;
}

/** Runner to helper, decoded. `id`s increase by one per request over the helper's life. */
export type RunnerMessage =
  | { type: 'open'; id: number; world: World; deadlineMs: number }
  | { type: 'call'; id: number; call: Call }
  | { type: 'settle'; id: number }
  | { type: 'reset'; id: number };

/** Helper to runner, decoded. Every message but hello answers the request with its `id`. */
export type HelperMessage =
  | Hello
  | { type: 'opened'; id: number; profile: Profile }
  | { type: 'rejected'; id: number; reason: string }
  | { type: 'result'; id: number; observed: Observed }
  | { type: 'settled'; id: number }
  | { type: 'ready'; id: number }
  /** The helper could not understand a request (`id` null when it could not read one). */
  | { type: 'error'; id: number | null; message: string };

/** The replies each request allows, besides `error`. */
export const REPLIES: Readonly<Record<RunnerMessage['type'], readonly HelperMessage['type'][]>> = {
  open: ['opened', 'rejected'],
  call: ['result'],
  settle: ['settled'],
  reset: ['ready'],
};

export type Parsed<T> = { ok: true; msg: T } | { ok: false; error: string };

// ---------------------------------------------------------------------------------------
// Encoding (what goes on the wire)

/** A call as it travels: numbers with names become names, flags become flag sets. */
export function encodeCall(c: Call): Record<string, unknown> {
  switch (c.op) {
    case 'socket': {
      const inet = c.domain === K.AF_INET || c.domain === K.AF_INET6;
      return { op: c.op, domain: symOf(T.domain, c.domain), type: sockTypeOf(c.type), protocol: inet ? symOf(T.protocol, c.protocol) : c.protocol };
    }
    case 'socketpair':
      return { op: c.op, domain: symOf(T.domain, c.domain), type: sockTypeOf(c.type), protocol: c.protocol, sv: c.sv };
    case 'bind':
    case 'connect':
      return { op: c.op, fd: c.fd, addr: c.addr.ptr === 'ok' ? { ...c.addr, family: symOf(T.domain, c.addr.family) } : { ...c.addr } };
    case 'listen':
      return { ...c };
    case 'accept':
    case 'getsockname':
    case 'getpeername':
      return { op: c.op, fd: c.fd, out: { ...c.out } };
    case 'accept4':
      return { op: c.op, fd: c.fd, out: { ...c.out }, flags: bitsOf(T.sockFlags, c.flags) };
    case 'close':
      return { ...c };
    case 'fcntl': {
      const arg = c.cmd === K.F_SETFL ? bitsOf(T.fileFlags, c.arg) : c.cmd === K.F_SETFD ? bitsOf(T.fdFlags, c.arg) : c.arg;
      return { op: c.op, fd: c.fd, cmd: symOf(T.fcntlCmd, c.cmd), arg };
    }
    case 'setsockopt': {
      const m: Record<string, unknown> = { op: c.op, fd: c.fd, level: symOf(T.level, c.level), name: optSym(c.level, c.name), value: c.value, optlen: c.optlen };
      if (c.ptr !== undefined && c.ptr !== 'ok') m.ptr = c.ptr;
      if (c.linger !== undefined) m.linger = c.linger;
      return m;
    }
    case 'getsockopt':
      return { op: c.op, fd: c.fd, level: symOf(T.level, c.level), name: optSym(c.level, c.name), opt: { ...c.opt } };
    case 'mmap':
      return { op: c.op, fd: c.fd, len: c.len, prot: bitsOf(T.mmapProt, c.prot), flags: bitsOf(T.mmapFlags, c.flags), offset: c.offset };
    case 'shutdown':
      return { op: c.op, fd: c.fd, how: c.how };
    case 'socketcall':
      return {
        op: c.op, num: symOf(T.socketcall, c.num), args: c.args, ...(c.readable !== undefined ? { readable: c.readable } : {}),
        ...(c.call !== undefined ? { call: encodeCall(c.call) } : {}),
      };
    case 'poll':
      return { op: c.op, fds: c.fds, entries: c.entries.map((e) => ({ fd: e.fd, events: bitsOf(K.POLL_NAMES, e.events & 0xffff) })), nfds: c.nfds, timeout: c.timeout };
    case 'select':
      return { op: c.op, nfds: c.nfds, read: { ...c.read }, write: { ...c.write }, except: { ...c.except }, timeout: { ...c.timeout } };
    case 'send':
      return { op: c.op, fd: c.fd, data: c.data, flags: bitsOf(T.msgFlags, c.flags) };
    case 'sendto':
      return { op: c.op, fd: c.fd, data: c.data, flags: bitsOf(T.msgFlags, c.flags), addr: c.addr.ptr === 'ok' ? { ...c.addr, family: symOf(T.domain, c.addr.family) } : { ...c.addr } };
    case 'recv':
      return { op: c.op, fd: c.fd, len: c.len, flags: bitsOf(T.msgFlags, c.flags) };
    case 'recvfrom':
      return { op: c.op, fd: c.fd, len: c.len, flags: bitsOf(T.msgFlags, c.flags), out: { ...c.out } };
    case 'sendmsg':
    case 'recvmsg': {
      const m = c.msg;
      if (m.ptr !== 'ok') return { op: c.op, fd: c.fd, msg: { ptr: m.ptr }, flags: bitsOf(T.msgFlags, c.flags) };
      const name = 'family' in m.name ? { ...m.name, family: symOf(T.domain, m.name.family) } : { ...m.name };
      return { op: c.op, fd: c.fd, msg: { ...m, name, iovs: m.iovs.map((v) => ({ ...v })) }, flags: bitsOf(T.msgFlags, c.flags) };
    }
    case 'sendfile':
      return { op: c.op, fd: c.fd, inFd: c.inFd, offset: { ...c.offset }, count: c.count };
  }
}

function optSym(level: number, name: number): Sym {
  return level === K.SOL_SOCKET ? symOf(T.solSocketOpt, name) : name;
}

/** One line (without its newline) carrying a runner message. */
export function encodeRunnerMessage(m: RunnerMessage): string {
  return JSON.stringify(m.type === 'call' ? { type: 'call', id: m.id, call: encodeCall(m.call) } : m);
}

/** One line (without its newline) carrying a helper message (for helpers written in TS/JS). */
export function encodeHelperMessage(m: HelperMessage): string {
  return JSON.stringify(m);
}

// ---------------------------------------------------------------------------------------
// Validation

class Bad extends Error {}

function fail(path: string, what: string): never {
  throw new Bad(`${path}: ${what}`);
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

function rec(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, `expected an object, got ${show(v)}`);
  return v as Record<string, unknown>;
}

function int(v: unknown, path: string, lo = Number.MIN_SAFE_INTEGER, hi = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(path, `expected an integer, got ${show(v)}`);
  if (v < lo || v > hi) fail(path, `${v} is outside ${lo}..${hi}`);
  return v;
}

/** A C int argument (32 bits, either signedness on the wire, read as signed). */
function cint(v: unknown, path: string): number {
  return int(v, path, -(2 ** 31), 2 ** 32 - 1) | 0;
}

function str(v: unknown, path: string): string {
  if (typeof v !== 'string') fail(path, `expected a string, got ${show(v)}`);
  return v;
}

function bool(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') fail(path, `expected true or false, got ${show(v)}`);
  return v;
}

function oneOf<S extends string>(v: unknown, path: string, allowed: readonly S[]): S {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) fail(path, `expected one of ${allowed.join(', ')}, got ${show(v)}`);
  return v as S;
}

function lookup(table: NameTable, name: string, path: string): number {
  for (const [n, v] of table) if (n === name) return v;
  return fail(path, `unknown name '${name}' (known here: ${table.map(([n]) => n).join(', ')})`);
}

function sym(v: unknown, path: string, table: NameTable): number {
  return typeof v === 'string' ? lookup(table, v, path) : cint(v, path);
}

/** A flag set's value; `single` names are values, of which a set may hold one. */
function flags(v: unknown, path: string, table: NameTable, single: NameTable = []): number {
  if (!Array.isArray(v)) fail(path, `expected a flag set (array of names and at most one number), got ${show(v)}`);
  let acc = 0;
  let numbers = 0;
  let singles = 0;
  v.forEach((e, i) => {
    const p = `${path}[${i}]`;
    if (typeof e === 'number') {
      if (++numbers > 1) fail(p, 'a flag set holds at most one number');
      acc |= int(e, p, 0, 2 ** 32 - 1);
    } else if (typeof e === 'string') {
      if (single.some(([n]) => n === e)) {
        if (++singles > 1) fail(p, `at most one of ${single.map(([n]) => n).join(', ')}`);
        acc |= lookup(single, e, p);
      } else acc |= lookup(table, e, p);
    } else fail(p, `expected a name or a number, got ${show(e)}`);
  });
  return acc | 0;
}

const PTRS: readonly Ptr[] = ['ok', 'null', 'bad'];

function addrIn(v: unknown, path: string): AddrIn {
  const o = rec(v, path);
  const ptr = oneOf(o.ptr, `${path}.ptr`, PTRS);
  const len = cint(o.len, `${path}.len`);
  if (ptr !== 'ok') return { ptr, len };
  const family = sym(o.family, `${path}.family`, T.domain);
  if (o.vm !== undefined) {
    // A struct sockaddr_vm: svm_port and svm_cid are u32, svm_flags a byte.
    const vm = rec(o.vm, `${path}.vm`);
    return { ptr, len, family, addr: str(o.addr, `${path}.addr`), port: int(o.port, `${path}.port`, 0, 0xffffffff), vm: { cid: int(vm.cid, `${path}.vm.cid`, 0, 0xffffffff), flags: int(vm.flags, `${path}.vm.flags`, 0, 255) } };
  }
  const addr = str(o.addr, `${path}.addr`);
  if (!DOTTED.test(addr) && parseIpv6(addr) === undefined) fail(`${path}.addr`, `expected a dotted quad or IPv6 text, got ${show(addr)}`);
  const r: AddrIn = { ptr, len, family, addr: isV6Text(addr) ? canonicalIpv6(addr) : addr, port: int(o.port, `${path}.port`, 0, 65535) };
  if (o.flowinfo !== undefined) r.flowinfo = int(o.flowinfo, `${path}.flowinfo`, 0, 0xffffffff);
  if (o.scope_id !== undefined) r.scope_id = int(o.scope_id, `${path}.scope_id`, 0, 0xffffffff);
  return r;
}

function addrOut(v: unknown, path: string): AddrOut {
  const o = rec(v, path);
  return { ptr: oneOf(o.ptr, `${path}.ptr`, PTRS), lenPtr: oneOf(o.lenPtr, `${path}.lenPtr`, PTRS), len: cint(o.len, `${path}.len`) };
}

function optOut(v: unknown, path: string): OptOut {
  const o = rec(v, path);
  return { ptr: oneOf(o.ptr, `${path}.ptr`, PTRS), lenPtr: oneOf(o.lenPtr, `${path}.lenPtr`, PTRS), len: cint(o.len, `${path}.len`) };
}

/** Decodes a call as it travels (the inverse of encodeCall). */
function call(v: unknown, path: string): Call {
  const o = rec(v, path);
  const op = oneOf(o.op, `${path}.op`, OPS);
  const fd = (): number => cint(o.fd, `${path}.fd`);
  switch (op) {
    case 'socket':
      return { op, domain: sym(o.domain, `${path}.domain`, T.domain), type: flags(o.type, `${path}.type`, T.sockFlags, T.sockType), protocol: sym(o.protocol, `${path}.protocol`, T.protocol) };
    case 'socketpair':
      return { op, domain: sym(o.domain, `${path}.domain`, T.domain), type: flags(o.type, `${path}.type`, T.sockFlags, T.sockType), protocol: cint(o.protocol, `${path}.protocol`), sv: oneOf(o.sv, `${path}.sv`, PTRS) };
    case 'bind':
    case 'connect':
      return { op, fd: fd(), addr: addrIn(o.addr, `${path}.addr`) };
    case 'listen':
      return { op, fd: fd(), backlog: cint(o.backlog, `${path}.backlog`) };
    case 'accept':
    case 'getsockname':
    case 'getpeername':
      return { op, fd: fd(), out: addrOut(o.out, `${path}.out`) };
    case 'accept4':
      return { op, fd: fd(), out: addrOut(o.out, `${path}.out`), flags: flags(o.flags, `${path}.flags`, T.sockFlags) };
    case 'close':
      return { op, fd: fd() };
    case 'fcntl': {
      const arg = Array.isArray(o.arg) ? flags(o.arg, `${path}.arg`, FCNTL_BITS) : cint(o.arg, `${path}.arg`);
      return { op, fd: fd(), cmd: sym(o.cmd, `${path}.cmd`, T.fcntlCmd), arg };
    }
    case 'mmap':
      return {
        op, fd: fd(), len: int(o.len, `${path}.len`, 0), prot: flags(o.prot, `${path}.prot`, T.mmapProt), flags: flags(o.flags, `${path}.flags`, T.mmapFlags),
        offset: int(o.offset, `${path}.offset`, 0),
      };
    case 'setsockopt':
    case 'getsockopt': {
      const level = sym(o.level, `${path}.level`, T.level);
      const name = typeof o.name === 'string' && level !== K.SOL_SOCKET
        ? fail(`${path}.name`, 'option names are symbolic only at level SOL_SOCKET; send the number')
        : sym(o.name, `${path}.name`, T.solSocketOpt);
      if (op === 'getsockopt') return { op, fd: fd(), level, name, opt: optOut(o.opt, `${path}.opt`) };
      const c: Call = { op, fd: fd(), level, name, value: cint(o.value, `${path}.value`), optlen: cint(o.optlen, `${path}.optlen`) };
      if (o.ptr !== undefined) c.ptr = oneOf(o.ptr, `${path}.ptr`, PTRS);
      if (o.linger !== undefined) c.linger = cint(o.linger, `${path}.linger`);
      return c;
    }
    case 'shutdown':
      return { op, fd: fd(), how: cint(o.how, `${path}.how`) };
    case 'socketcall': {
      const c: Extract<Call, { op: 'socketcall' }> = { op, num: sym(o.num, `${path}.num`, T.socketcall), args: oneOf(o.args, `${path}.args`, PTRS) };
      if (o.readable !== undefined) c.readable = int(o.readable, `${path}.readable`, 0);
      if (o.call !== undefined) {
        const inner = call(o.call, `${path}.call`);
        if (inner.op === 'close' || inner.op === 'fcntl' || inner.op === 'socketcall' || inner.op === 'poll' || inner.op === 'select' || inner.op === 'mmap' || inner.op === 'sendfile') fail(`${path}.call.op`, `socketcall cannot carry ${inner.op}`);
        c.call = inner as SocketcallInner;
      }
      return c;
    }
    case 'poll': {
      if (!Array.isArray(o.entries)) fail(`${path}.entries`, `expected an array of {fd, events}, got ${show(o.entries)}`);
      const entries = o.entries.map((e, i) => {
        const p = `${path}.entries[${i}]`;
        const x = rec(e, p);
        const events = Array.isArray(x.events) ? flags(x.events, `${p}.events`, K.POLL_NAMES) : cint(x.events, `${p}.events`);
        return { fd: cint(x.fd, `${p}.fd`), events };
      });
      return { op, fds: oneOf(o.fds, `${path}.fds`, PTRS), entries, nfds: int(o.nfds, `${path}.nfds`, -(2 ** 31), 2 ** 32 - 1), timeout: cint(o.timeout, `${path}.timeout`) };
    }
    case 'select':
      return {
        op, nfds: cint(o.nfds, `${path}.nfds`), read: fdSet(o.read, `${path}.read`), write: fdSet(o.write, `${path}.write`),
        except: fdSet(o.except, `${path}.except`), timeout: timeval(o.timeout, `${path}.timeout`),
      };
    case 'send':
    case 'sendto': {
      const data = str(o.data, `${path}.data`);
      if (!/^([0-9a-f]{2})*$/.test(data) || data.length > 2 * DATA_MAX) fail(`${path}.data`, `expected lowercase hex of at most ${DATA_MAX} bytes`);
      const fl = flags(o.flags, `${path}.flags`, T.msgFlags);
      return op === 'send' ? { op, fd: fd(), data, flags: fl } : { op, fd: fd(), data, flags: fl, addr: addrIn(o.addr, `${path}.addr`) };
    }
    case 'recv':
    case 'recvfrom': {
      const len = int(o.len, `${path}.len`, 0, DATA_MAX);
      const fl = flags(o.flags, `${path}.flags`, T.msgFlags);
      return op === 'recv' ? { op, fd: fd(), len, flags: fl } : { op, fd: fd(), len, flags: fl, out: addrOut(o.out, `${path}.out`) };
    }
    case 'sendmsg':
      return { op, fd: fd(), msg: msgIn(o.msg, `${path}.msg`), flags: flags(o.flags, `${path}.flags`, T.msgFlags) };
    case 'recvmsg':
      return { op, fd: fd(), msg: msgOut(o.msg, `${path}.msg`), flags: flags(o.flags, `${path}.flags`, T.msgFlags) };
    case 'sendfile': {
      const x = rec(o.offset, `${path}.offset`);
      const ptr = oneOf(x.ptr, `${path}.offset.ptr`, PTRS);
      const offset: Offset = ptr === 'ok' ? { ptr, value: int(x.value, `${path}.offset.value`) } : { ptr };
      return { op, fd: fd(), inFd: cint(o.inFd, `${path}.inFd`), offset, count: int(o.count, `${path}.count`) };
    }
  }
}

/** The msghdr fields both directions share (MsgCommon); iovecs are read by `iov`. */
function msgCommon<I>(o: Record<string, unknown>, path: string, iov: (v: unknown, path: string) => I): MsgCommon<I> {
  const list = o.iovs;
  if (!Array.isArray(list) || list.length > K.UIO_MAXIOV) fail(`${path}.iovs`, `expected an array of at most ${K.UIO_MAXIOV} iovecs`);
  const iovs = list.map((v, i) => iov(v, `${path}.iovs[${i}]`));
  let total = 0;
  for (const v of iovs as unknown[]) {
    const x = v as { ptr: Ptr; data?: string; len?: number };
    if (x.ptr === 'ok') total += x.data !== undefined ? x.data.length / 2 : x.len ?? 0;
  }
  if (total > DATA_MAX) fail(`${path}.iovs`, `the iovec buffers hold at most ${DATA_MAX} bytes in all`);
  return {
    iov: oneOf(o.iov, `${path}.iov`, PTRS), iovs, iovlen: int(o.iovlen, `${path}.iovlen`, 0, 2 ** 32 - 1),
    control: oneOf(o.control, `${path}.control`, PTRS), controllen: int(o.controllen, `${path}.controllen`, 0, 2 ** 32 - 1),
    flags: int(o.flags, `${path}.flags`, 0, 2 ** 32 - 1),
  };
}

function msgIn(v: unknown, path: string): MsgIn {
  const o = rec(v, path);
  const ptr = oneOf(o.ptr, `${path}.ptr`, PTRS);
  if (ptr !== 'ok') return { ptr };
  const iov = (x: unknown, p: string): IovIn => {
    const e = rec(x, p);
    if (oneOf(e.ptr, `${p}.ptr`, ['ok', 'null'] as const) === 'null') return { ptr: 'null', len: int(e.len, `${p}.len`, -(2 ** 31), 0) };
    const data = str(e.data, `${p}.data`);
    if (!/^([0-9a-f]{2})*$/.test(data)) fail(`${p}.data`, 'expected lowercase hex');
    return { ptr: 'ok', data };
  };
  return { ptr, name: addrIn(o.name, `${path}.name`), ...msgCommon(o, path, iov) };
}

function msgOut(v: unknown, path: string): MsgOut {
  const o = rec(v, path);
  const ptr = oneOf(o.ptr, `${path}.ptr`, PTRS);
  if (ptr !== 'ok') return { ptr };
  const iov = (x: unknown, p: string): IovOut => {
    const e = rec(x, p);
    const k = oneOf(e.ptr, `${p}.ptr`, ['ok', 'null'] as const);
    return { ptr: k, len: k === 'ok' ? int(e.len, `${p}.len`, 0, DATA_MAX) : int(e.len, `${p}.len`, -(2 ** 31), 0) };
  };
  const n = rec(o.name, `${path}.name`);
  return { ptr, name: { ptr: oneOf(n.ptr, `${path}.name.ptr`, PTRS), len: cint(n.len, `${path}.name.len`) }, ...msgCommon(o, path, iov) };
}

function intList(v: unknown, path: string, lo?: number, hi?: number): number[] {
  if (!Array.isArray(v)) fail(path, `expected an array of integers, got ${show(v)}`);
  return v.map((e, i) => int(e, `${path}[${i}]`, lo, hi));
}

function fdSet(v: unknown, path: string): FdSet {
  const o = rec(v, path);
  const ptr = oneOf(o.ptr, `${path}.ptr`, PTRS);
  return ptr === 'ok' ? { ptr, fds: intList(o.fds, `${path}.fds`, 0, 1023) } : { ptr };
}

function timeval(v: unknown, path: string): Timeval {
  const o = rec(v, path);
  const ptr = oneOf(o.ptr, `${path}.ptr`, PTRS);
  return ptr === 'ok' ? { ptr, sec: int(o.sec, `${path}.sec`), usec: int(o.usec, `${path}.usec`) } : { ptr };
}

function selectSets(v: unknown, path: string): SelectSets {
  const o = rec(v, path);
  const r: SelectSets = {};
  for (const k of ['read', 'write', 'except'] as const) if (o[k] !== undefined) r[k] = intList(o[k], `${path}.${k}`, 0, 1023);
  return r;
}

function world(v: unknown, path: string): World {
  const o = rec(v, path);
  const w: World = {};
  if (o.nofile !== undefined) w.nofile = int(o.nofile, `${path}.nofile`, 0);
  if (o.capNetBindService !== undefined) w.capNetBindService = bool(o.capNetBindService, `${path}.capNetBindService`);
  if (o.file !== undefined) w.file = bool(o.file, `${path}.file`);
  return w;
}

const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function bound(v: unknown, path: string): Bound {
  const o = rec(v, path);
  const addr = str(o.addr, `${path}.addr`);
  if (isV6Text(addr)) {
    // IPv6 text (an AF_INET6 socket's address), compared in canonical form.
    if (parseIpv6(addr) === undefined) fail(`${path}.addr`, `expected IPv6 text, got ${show(addr)}`);
    return { addr: canonicalIpv6(addr), port: int(o.port, `${path}.port`, 0, 65535) };
  }
  const m = DOTTED.exec(addr);
  if (!m || m.slice(1).some((x) => Number(x) > 255)) fail(`${path}.addr`, `expected a dotted quad or IPv6 text, got ${show(addr)}`);
  return { addr, port: int(o.port, `${path}.port`, 0, 65535) };
}

function errno(v: unknown, path: string): ErrnoName | `E${number}` {
  const s = str(v, path);
  if (s === 'EWOULDBLOCK') return 'EAGAIN';
  if (Object.hasOwn(ERRNO, s)) return s as ErrnoName;
  if (/^E\d+$/.test(s)) {
    const n = Number(s.slice(1));
    const named = (Object.entries(ERRNO) as [ErrnoName, number][]).find(([, x]) => x === n);
    return named ? named[0] : (s as `E${number}`);
  }
  return fail(path, `'${s}' is not in sockspec's errno table (spec/errno.ts); send it as E<number>`);
}

function observed(v: unknown, path: string): Observed {
  const o = rec(v, path);
  const kind = oneOf(o.kind, `${path}.kind`, ['returned', 'blocked', 'crashed', 'unsupported'] as const);
  switch (kind) {
    case 'returned': {
      const ret = Array.isArray(o.ret) ? flags(o.ret, `${path}.ret`, FCNTL_BITS) : cint(o.ret, `${path}.ret`);
      const r: Observed = { kind, ret };
      if (o.errno !== undefined) r.errno = errno(o.errno, `${path}.errno`);
      if (ret === -1 && r.errno === undefined) fail(`${path}.errno`, 'missing: a call that returns -1 states its errno');
      if (o.addr !== undefined) {
        const hex = str(o.addr, `${path}.addr`);
        if (!/^([0-9a-fA-F]{2})*$/.test(hex) || hex.length > 256) fail(`${path}.addr`, 'expected hex of at most 128 bytes');
        r.addr = hex.toLowerCase();
      }
      if (o.addrlen !== undefined) r.addrlen = cint(o.addrlen, `${path}.addrlen`);
      if (o.data !== undefined) {
        const hex = str(o.data, `${path}.data`);
        if (!/^([0-9a-fA-F]{2})*$/.test(hex) || hex.length > 2 * DATA_MAX) fail(`${path}.data`, `expected hex of at most ${DATA_MAX} bytes`);
        r.data = hex.toLowerCase();
      }
      if (o.optval !== undefined) {
        const hex = str(o.optval, `${path}.optval`);
        if (!/^([0-9a-fA-F]{2})*$/.test(hex) || hex.length > 2 * OPTVAL_SHOWN) fail(`${path}.optval`, `expected hex of at most ${OPTVAL_SHOWN} bytes`);
        r.optval = hex.toLowerCase();
      }
      if (o.optlen !== undefined) r.optlen = cint(o.optlen, `${path}.optlen`);
      if (o.msgFlags !== undefined) r.msgFlags = int(o.msgFlags, `${path}.msgFlags`, 0, 2 ** 32 - 1);
      if (o.controllen !== undefined) r.controllen = int(o.controllen, `${path}.controllen`, 0);
      if (o.offset !== undefined) r.offset = int(o.offset, `${path}.offset`);
      if (o.bound !== undefined) r.bound = bound(o.bound, `${path}.bound`);
      if (o.revents !== undefined) r.revents = intList(o.revents, `${path}.revents`, 0, 65535);
      if (o.sets !== undefined) r.sets = selectSets(o.sets, `${path}.sets`);
      if (o.sv !== undefined) {
        const sv = intList(o.sv, `${path}.sv`, 0, 2147483647);
        if (sv.length !== 2) fail(`${path}.sv`, 'expected the two fds socketpair stored');
        r.sv = [sv[0]!, sv[1]!];
      }
      return r;
    }
    case 'blocked':
      return o.bound === undefined ? { kind } : { kind, bound: bound(o.bound, `${path}.bound`) };
    case 'crashed':
    case 'unsupported':
      return { kind, detail: str(o.detail, `${path}.detail`) };
  }
}

function profile(v: unknown, path: string): Profile {
  const o = rec(v, path);
  const range = o.portRange;
  if (!Array.isArray(range) || range.length !== 2) fail(`${path}.portRange`, `expected [low, high], got ${show(range)}`);
  const p: Profile = {
    kernel: str(o.kernel, `${path}.kernel`),
    somaxconn: int(o.somaxconn, `${path}.somaxconn`, 0),
    portRange: [int(range[0], `${path}.portRange[0]`, 1, 65535), int(range[1], `${path}.portRange[1]`, 1, 65535)],
    unprivilegedPortStart: int(o.unprivilegedPortStart, `${path}.unprivilegedPortStart`, 0, 65536),
    nofile: int(o.nofile, `${path}.nofile`, 0),
    capNetBindService: bool(o.capNetBindService, `${path}.capNetBindService`),
  };
  if (o.build !== undefined) p.build = str(o.build, `${path}.build`);
  if (o.variants !== undefined) {
    const why = variantsProblem(o.variants);
    if (why !== undefined) fail(`${path}.variants`, why);
    p.variants = o.variants as Partial<Variants>;
  }
  if (o.buffers !== undefined) p.buffers = buffers(o.buffers, `${path}.buffers`);
  if (o.vsock !== undefined) {
    const v = rec(o.vsock, `${path}.vsock`);
    p.vsock = { loopback: bool(v.loopback, `${path}.vsock.loopback`), h2g: bool(v.h2g, `${path}.vsock.h2g`), dgram: bool(v.dgram, `${path}.vsock.dgram`) };
  }
  if (o.file !== undefined) {
    const f = rec(o.file, `${path}.file`);
    p.file = { noexec: bool(f.noexec, `${path}.file.noexec`) };
    if (f.maxBytes !== undefined) p.file.maxBytes = int(f.maxBytes, `${path}.file.maxBytes`, 0);
    if (f.mapSync !== undefined) {
      const m = rec(f.mapSync, `${path}.file.mapSync`);
      p.file.mapSync = { validate: bool(m.validate, `${path}.file.mapSync.validate`), refuse: bool(m.refuse, `${path}.file.mapSync.refuse`) };
    }
  }
  return p;
}

function triple(v: unknown, path: string): [number, number, number] {
  if (!Array.isArray(v) || v.length !== 3) fail(path, `expected [min, default, max], got ${show(v)}`);
  return [int(v[0], `${path}[0]`, 0), int(v[1], `${path}[1]`, 0), int(v[2], `${path}[2]`, 0)];
}

function buffers(v: unknown, path: string): Buffers {
  const o = rec(v, path);
  return {
    rmemDefault: int(o.rmemDefault, `${path}.rmemDefault`, 0), wmemDefault: int(o.wmemDefault, `${path}.wmemDefault`, 0),
    rmemMax: int(o.rmemMax, `${path}.rmemMax`, 0), wmemMax: int(o.wmemMax, `${path}.wmemMax`, 0),
    tcpRmem: triple(o.tcpRmem, `${path}.tcpRmem`), tcpWmem: triple(o.tcpWmem, `${path}.tcpWmem`),
  };
}

function symList(v: unknown, path: string): Sym[] {
  if (!Array.isArray(v)) fail(path, `expected an array, got ${show(v)}`);
  return v.map((e, i) => (typeof e === 'number' ? int(e, `${path}[${i}]`) : str(e, `${path}[${i}]`)));
}

function capabilities(v: unknown, path: string): Capabilities {
  const o = rec(v, path);
  if (!Array.isArray(o.calls)) fail(`${path}.calls`, `expected an array of call names, got ${show(o.calls)}`);
  return {
    families: symList(o.families, `${path}.families`),
    types: symList(o.types, `${path}.types`),
    calls: o.calls.map((c, i) => oneOf(c, `${path}.calls[${i}]`, OPS)),
    settles: o.settles === undefined ? false : bool(o.settles, `${path}.settles`),
  };
}

function json(line: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    return fail('line', `not JSON (${(e as Error).message})`);
  }
  return rec(v, 'message');
}

function id(o: Record<string, unknown>, type: string): number {
  return int(o.id, `${type}.id`, 0);
}

function guard<T>(f: () => T): Parsed<T> {
  try {
    return { ok: true, msg: f() };
  } catch (e) {
    if (e instanceof Bad) return { ok: false, error: e.message };
    return { ok: false, error: `unexpected: ${String(e)}` };
  }
}

/**
 * Parses and validates one line from a helper. Unknown fields are ignored (so a helper
 * may add its own); a missing or mistyped field is an error naming its path.
 */
export function parseHelperMessage(line: string): Parsed<HelperMessage> {
  return guard((): HelperMessage => {
    const o = json(line);
    const type = oneOf(o.type, 'message.type', ['hello', 'opened', 'rejected', 'result', 'settled', 'ready', 'error'] as const);
    switch (type) {
      case 'hello':
        return { type, protocol: int(o.protocol, 'hello.protocol'), name: str(o.name, 'hello.name'), version: str(o.version, 'hello.version'), capabilities: capabilities(o.capabilities, 'hello.capabilities') };
      case 'opened':
        return { type, id: id(o, type), profile: profile(o.profile, 'opened.profile') };
      case 'rejected':
        return { type, id: id(o, type), reason: str(o.reason, 'rejected.reason') };
      case 'result':
        return { type, id: id(o, type), observed: observed(o.observed, 'result.observed') };
      case 'settled':
      case 'ready':
        return { type, id: id(o, type) };
      case 'error':
        return { type, id: o.id === null || o.id === undefined ? null : id(o, type), message: str(o.message, 'error.message') };
    }
  });
}

/** Parses and validates one line from the runner (for helpers written in TS/JS). */
export function parseRunnerMessage(line: string): Parsed<RunnerMessage> {
  return guard((): RunnerMessage => {
    const o = json(line);
    const type = oneOf(o.type, 'message.type', ['open', 'call', 'settle', 'reset'] as const);
    switch (type) {
      case 'open':
        return { type, id: id(o, type), world: world(o.world, 'open.world'), deadlineMs: int(o.deadlineMs, 'open.deadlineMs', 0) };
      case 'call':
        return { type, id: id(o, type), call: call(o.call, 'call.call') };
      case 'settle':
      case 'reset':
        return { type, id: id(o, type) };
    }
  });
}

/**
 * Why `reply` is not an answer to `req` (wrong type for the request, or wrong id), or
 * undefined when it is one. An `error` reply with a null id answers any request.
 */
export function replyProblem(req: RunnerMessage, reply: HelperMessage): string | undefined {
  if (reply.type === 'error') return reply.id === null || reply.id === req.id ? undefined : `error reply has id ${reply.id}, expected ${req.id}`;
  const allowed = REPLIES[req.type];
  if (!allowed.includes(reply.type)) return `expected ${allowed.join(' or ')} in reply to ${req.type} #${req.id}, got ${reply.type}`;
  if (reply.type !== 'hello' && reply.id !== req.id) return `${reply.type} has id ${reply.id}, expected ${req.id} (the ${req.type} request)`;
  return undefined;
}

/** `line` shortened to `max` characters for an error report. */
export function excerpt(line: string, max = 200): string {
  return line.length <= max ? line : `${line.slice(0, max)}… (${line.length} chars)`;
}
