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
import type { TSchema } from '@sinclair/typebox';
import type { Call, Op } from './call.js';
import * as K from './constants.js';
import type { Observed } from './observed.js';
import type { Profile } from './profile.js';
import { Problem, got, read } from './schema/read.js';
import { HelperMessageSchemas, RunnerMessageSchemas } from './schema/wire.js';

/** The protocol version this sockspec speaks; a helper's hello must state exactly this. */
export const WIRE_PROTOCOL = 1;

// ---------------------------------------------------------------------------------------
// Symbolic numbers

export { WIRE_NAMES, type FlagSet, type NameTable, type Sym } from './wire-names.js';
import { WIRE_NAMES, type FlagSet, type NameTable, type Sym } from './wire-names.js';

const T = WIRE_NAMES;

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
// Validation: against the message schemas (spec/schema/wire.ts, published as
// schemas/helper-message.schema.json and schemas/runner-message.schema.json).

function parseLine<T>(line: string, schemas: Record<string, TSchema>): Parsed<T> {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    return { ok: false, error: `line: not JSON (${(e as Error).message})` };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, error: `message: expected an object, got ${got(v)}` };
  const type = (v as Record<string, unknown>)['type'];
  if (typeof type !== 'string' || !Object.hasOwn(schemas, type)) {
    return { ok: false, error: `message.type: expected one of ${Object.keys(schemas).join(', ')}, got ${got(type)}` };
  }
  try {
    return { ok: true, msg: read<T>(schemas[type]!, v, type, 'wire') };
  } catch (e) {
    if (e instanceof Problem) return { ok: false, error: e.message };
    return { ok: false, error: `unexpected: ${String(e)}` };
  }
}

/**
 * Parses and validates one line from a helper. Unknown fields are ignored (so a helper
 * may add its own); a missing or mistyped field is an error naming its path.
 */
export function parseHelperMessage(line: string): Parsed<HelperMessage> {
  return parseLine<HelperMessage>(line, HelperMessageSchemas);
}

/** Parses and validates one line from the runner (for helpers written in TS/JS). */
export function parseRunnerMessage(line: string): Parsed<RunnerMessage> {
  return parseLine<RunnerMessage>(line, RunnerMessageSchemas);
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
