/**
 * The schema of a call, in its two spellings: as traces and expectation files store it
 * (every argument a number, `CallSchema`) and as it travels to a helper (spec/wire.md:
 * numbers that have names travel as names, bit sets as flag sets; `wireCallSchema` in
 * ./wire.ts). One function builds both, from the fields that differ.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { DATA_MAX } from '../call.js';
import { withCodec, type Codec } from './read.js';

/** A C int as stored (32 bits; either signedness is accepted on the wire and read as signed). */
export const Int = Type.Integer();
export const Ptr = Type.Union([Type.Literal('ok'), Type.Literal('null'), Type.Literal('bad')], { description: 'a pointer: "ok" (a valid buffer), "null" or "bad" (an unmapped address)' });
const NoBuffer = Type.Union([Type.Literal('null'), Type.Literal('bad')]);
export const Hex = Type.String({ pattern: '^(?:[0-9a-f]{2})*$', description: 'lowercase hex bytes' });
export const Ip = Type.String({ pattern: '^(\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*)$', description: 'a dotted IPv4 address or IPv6 text' });

/** The argument fields whose spelling differs between a trace and the wire. */
export interface CallFields {
  domain: TSchema; sockType: TSchema; protocol: TSchema; sockFlags: TSchema; msgFlags: TSchema; fcntlCmd: TSchema; fcntlArg: TSchema;
  level: TSchema; optName: TSchema; mmapProt: TSchema; mmapFlags: TSchema; socketcallNum: TSchema; pollEvents: TSchema;
  family: TSchema; data: TSchema; addr: TSchema;
  /** Checks JSON Schema cannot state (the wire's): an address's text, a msghdr's total, option names by level. */
  codecs?: { addrOk: Codec; msgIn: Codec; sockopt: Codec };
}

/** The Call union (and the socketcall inner calls) over `f`. */
export function callSchemas(f: CallFields, wire: boolean): { call: TSchema; inner: TSchema; addrIn: TSchema } {
  // The wire states ranges; stored traces (written by sockspec itself) only integers.
  const R = (minimum?: number, maximum?: number): TSchema => (wire ? Type.Integer({ minimum, maximum }) : Int);
  // Stored files are closed (an unknown field is an error); wire messages are open (a helper may add its own fields).
  const closed = wire ? {} : { additionalProperties: false };
  const addrOk = Type.Object({
    ptr: Type.Literal('ok'), len: Int, family: f.family, addr: f.addr, port: Int,
    flowinfo: Type.Optional(Int), scope_id: Type.Optional(Int), vm: Type.Optional(Type.Object({ cid: Int, flags: Int }, closed)),
  }, closed);
  if (f.codecs) withCodec(addrOk, f.codecs.addrOk);
  const addrIn = Type.Union([addrOk, Type.Object({ ptr: NoBuffer, len: Int }, closed)]);
  const addrOut = Type.Object({ ptr: Ptr, lenPtr: Ptr, len: Int }, { ...closed, description: 'an out-address: the buffer, the length pointer, *len before the call' });
  const ptrOnly = Type.Object({ ptr: NoBuffer }, closed);
  const fdSet = Type.Union([Type.Object({ ptr: Type.Literal('ok'), fds: Type.Array(R(0, 1023)) }, closed), ptrOnly]);
  const timeval = Type.Union([Type.Object({ ptr: Type.Literal('ok'), sec: Int, usec: Int }, closed), ptrOnly]);
  const offset = Type.Union([Type.Object({ ptr: Type.Literal('ok'), value: Int }, closed), ptrOnly]);
  const common = { iov: Ptr, iovlen: R(0, 2 ** 32 - 1), control: Ptr, controllen: R(0, 2 ** 32 - 1), flags: R(0, 2 ** 32 - 1) };
  const iovIn = Type.Union([
    Type.Object({ ptr: Type.Literal('ok'), data: Hex }, closed),
    Type.Object({ ptr: Type.Literal('null'), len: R(-(2 ** 31), 0) }, closed),
  ]);
  const iovOut = Type.Object({ ptr: Type.Union([Type.Literal('ok'), Type.Literal('null')]), len: Int }, closed);
  const maxIov = wire ? { maxItems: 1024 } : {};
  const msgInOk = Type.Object({ ptr: Type.Literal('ok'), name: addrIn, iovs: Type.Array(iovIn, maxIov), ...common }, closed);
  if (f.codecs) withCodec(msgInOk, f.codecs.msgIn);
  const msgIn = Type.Union([msgInOk, ptrOnly]);
  const msgOut = Type.Union([Type.Object({
    ptr: Type.Literal('ok'), name: Type.Object({ ptr: Ptr, len: Int }, closed), iovs: Type.Array(iovOut, maxIov), ...common,
  }, closed), ptrOnly]);
  const op = <O extends string, P extends Record<string, TSchema>>(o: O, props: P) => Type.Object({ op: Type.Literal(o), ...props }, closed);
  const fd = Int;
  const sockopt = <S extends TSchema>(x: S): S => (f.codecs ? withCodec(x, f.codecs.sockopt) : x);
  const inner = [
    op('socket', { domain: f.domain, type: f.sockType, protocol: f.protocol }),
    op('bind', { fd, addr: addrIn }),
    op('listen', { fd, backlog: Int }),
    op('accept', { fd, out: addrOut }),
    op('accept4', { fd, out: addrOut, flags: f.sockFlags }),
    op('connect', { fd, addr: addrIn }),
    op('getsockname', { fd, out: addrOut }),
    op('getpeername', { fd, out: addrOut }),
    sockopt(op('setsockopt', { fd, level: f.level, name: f.optName, value: Int, optlen: Int, ptr: Type.Optional(Ptr), linger: Type.Optional(Int) })),
    sockopt(op('getsockopt', { fd, level: f.level, name: f.optName, opt: addrOut })),
    op('shutdown', { fd, how: Int }),
    op('send', { fd, data: f.data, flags: f.msgFlags }),
    op('sendto', { fd, data: f.data, flags: f.msgFlags, addr: addrIn }),
    op('recv', { fd, len: R(0, DATA_MAX), flags: f.msgFlags }),
    op('recvfrom', { fd, len: R(0, DATA_MAX), flags: f.msgFlags, out: addrOut }),
    op('sendmsg', { fd, msg: msgIn, flags: f.msgFlags }),
    op('recvmsg', { fd, msg: msgOut, flags: f.msgFlags }),
  ];
  const innerCall = Type.Union(inner, { description: 'a call socketcall() carries' });
  const call = Type.Union([
    ...inner.slice(0, 8),
    op('close', { fd }),
    op('fcntl', { fd, cmd: f.fcntlCmd, arg: f.fcntlArg }),
    ...inner.slice(8, 11),
    op('socketcall', { num: f.socketcallNum, args: Ptr, readable: Type.Optional(R(0)), call: Type.Optional(innerCall) }),
    op('mmap', { fd, len: R(0), prot: f.mmapProt, flags: f.mmapFlags, offset: R(0) }),
    op('poll', { fds: Ptr, entries: Type.Array(Type.Object({ fd: Int, events: f.pollEvents }, closed)), nfds: Int, timeout: Int }),
    op('select', { nfds: Int, read: fdSet, write: fdSet, except: fdSet, timeout: timeval }),
    ...inner.slice(11),
    op('socketpair', { domain: f.domain, type: f.sockType, protocol: Int, sv: Ptr }),
    op('sendfile', { fd, inFd: Int, offset, count: Int }),
  ], { description: 'a call' });
  return { call, inner: innerCall, addrIn };
}

/** Calls as traces and expectation files store them: every argument a number. */
const numeric: CallFields = {
  domain: Int, sockType: Int, protocol: Int, sockFlags: Int, msgFlags: Int, fcntlCmd: Int, fcntlArg: Int, level: Int, optName: Int,
  mmapProt: Int, mmapFlags: Int, socketcallNum: Int, pollEvents: Int, family: Int, data: Hex, addr: Ip,
};
const stored = callSchemas(numeric, false);
export const CallSchema = stored.call;
