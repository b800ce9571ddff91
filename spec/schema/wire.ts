/**
 * The wire protocol's messages (spec/wire.md) as schemas: what a helper sends
 * (`HelperMessageSchemas`, by type) and what the runner sends (`RunnerMessageSchemas`).
 * Numbers that have names travel as names and bit sets as flag sets; each such field
 * carries a codec that turns the name back into its number, so that checking a message
 * and decoding it are one walk (./read.ts). Published as schemas/helper-message.schema.json
 * and schemas/runner-message.schema.json.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { canonicalIpv6, isV6Text, parseIpv6 } from '../inet6.js';
import { DATA_MAX, OPS } from '../call.js';
import * as K from '../constants.js';
import { ERRNO } from '../errno.js';
import { OPTVAL_SHOWN } from '../observed.js';
import { WIRE_NAMES as T, type NameTable } from '../wire-names.js';
import { callSchemas, Int } from './call.js';
import { observedSchema, profileSchema } from './observed.js';
import { Problem, withCodec, withMessage } from './read.js';

/** Names a flag set in fcntl's argument or a call's `ret` may use. */
export const FCNTL_BITS: NameTable = [...T.fileFlags, ...T.accessMode, ...T.fdFlags];

const CInt = Type.Integer({ minimum: -(2 ** 31), maximum: 2 ** 32 - 1, description: 'a C int (either signedness; read as signed)' });
const value = (table: NameTable, name: string): number => table.find(([n]) => n === name)![1];
const names = (table: NameTable) => Type.Union(table.map(([n]) => Type.Literal(n)));

/** A number that may travel as its name from `table`. */
function sym(table: NameTable, description: string): TSchema {
  return withCodec(withMessage(Type.Union([names(table), CInt], { description: `${description}: a name (${table.map(([n]) => n).join(', ')}) or a C int` }),
    (v) => (typeof v === 'string' ? `unknown name '${v}' (known here: ${table.map(([n]) => n).join(', ')})` : `expected a name or a C int, got ${JSON.stringify(v)}`)),
  (v) => (typeof v === 'string' ? value(table, v) : (v as number) | 0));
}

/** A bit set: names from `table`, at most one of `single` (values, not bits), at most one number for the rest. */
function flags(table: NameTable, description: string, single: NameTable = []): TSchema {
  const all = [...single, ...table];
  const s = Type.Array(Type.Union([names(all), Type.Integer({ minimum: 0, maximum: 2 ** 32 - 1 })]), { description: `${description}: a flag set (names of ${all.map(([n]) => n).join(', ')}, and at most one number for bits without a name)` });
  return withCodec(s, (v, path) => {
    let acc = 0;
    let numbers = 0;
    let singles = 0;
    (v as (string | number)[]).forEach((e, i) => {
      if (typeof e === 'number') {
        if (++numbers > 1) throw new Problem(`${path}[${i}]`, 'a flag set holds at most one number');
        acc |= e;
      } else {
        if (single.some(([n]) => n === e) && ++singles > 1) throw new Problem(`${path}[${i}]`, `at most one of ${single.map(([n]) => n).join(', ')}`);
        acc |= value(all, e);
      }
    });
    return acc | 0;
  });
}

const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
/** Dotted-quad or IPv6 text, IPv6 canonicalised; undefined if neither. */
function ipText(addr: string): string | undefined {
  if (isV6Text(addr)) return parseIpv6(addr) === undefined ? undefined : canonicalIpv6(addr);
  const m = DOTTED.exec(addr);
  return m && m.slice(1).every((x) => Number(x) <= 255) ? addr : undefined;
}

function hex(maxBytes: number): TSchema {
  return withCodec(Type.String({ pattern: '^(?:[0-9a-fA-F]{2})*$', maxLength: 2 * maxBytes, description: `hex of at most ${maxBytes} bytes` }), (v) => (v as string).toLowerCase());
}

const wireCall = callSchemas({
  domain: sym(T.domain, 'an address family'), sockType: flags(T.sockFlags, 'a socket type', T.sockType), protocol: sym(T.protocol, 'a protocol'),
  sockFlags: flags(T.sockFlags, 'socket flags'), msgFlags: flags(T.msgFlags, 'message flags'), fcntlCmd: sym(T.fcntlCmd, 'an fcntl command'),
  fcntlArg: withCodec(Type.Union([CInt, flags(FCNTL_BITS, 'file status or fd flags')]), (v) => v),
  level: sym(T.level, 'an option level'), optName: sym(T.solSocketOpt, 'an option name (names only at level SOL_SOCKET)'),
  mmapProt: flags(T.mmapProt, 'mmap protection'), mmapFlags: flags(T.mmapFlags, 'mmap flags'), socketcallNum: sym(T.socketcall, 'a socketcall number'),
  pollEvents: Type.Union([CInt, flags(K.POLL_NAMES, 'poll events')]), family: sym(T.domain, 'an address family'),
  data: Type.String({ pattern: '^(?:[0-9a-f]{2})*$', maxLength: 2 * DATA_MAX, description: `lowercase hex of at most ${DATA_MAX} bytes` }), addr: Type.String(),
  codecs: {
    addrOk: (v, path) => {
      const a = v as { addr: string; vm?: unknown; port: number };
      if (a.vm !== undefined) {
        if (a.port < 0 || a.port > 0xffffffff) throw new Problem(`${path}.port`, `${a.port} is outside 0..4294967295`);
        return a;
      }
      const text = ipText(a.addr);
      if (text === undefined) throw new Problem(`${path}.addr`, `expected a dotted quad or IPv6 text, got ${JSON.stringify(a.addr)}`);
      if (a.port < 0 || a.port > 65535) throw new Problem(`${path}.port`, `${a.port} is outside 0..65535`);
      return { ...a, addr: text };
    },
    msgIn: (v, path) => {
      const m = v as { iovs: { ptr: string; data?: string }[] };
      const total = m.iovs.reduce((n, x) => n + (x.ptr === 'ok' ? (x.data?.length ?? 0) / 2 : 0), 0);
      if (total > DATA_MAX) throw new Problem(`${path}.iovs`, `the iovec buffers hold at most ${DATA_MAX} bytes in all`);
      return v;
    },
    sockopt: (v, path, raw) => {
      if (typeof (raw as { name: unknown }).name === 'string' && (v as { level: number }).level !== K.SOL_SOCKET) {
        throw new Problem(`${path}.name`, 'option names are symbolic only at level SOL_SOCKET; send the number');
      }
      return v;
    },
  },
}, true);
/** A call as it travels (spec/wire.md, "Calls"). */
export const WireCallSchema = wireCall.call;

/** An errno as a helper may send it: a name of the table, an alias, or E<number>. */
const ALIASES: Record<string, string> = { EWOULDBLOCK: 'EAGAIN', ENOTSUP: 'EOPNOTSUPP', EDEADLOCK: 'EDEADLK' };
const errnoNames = [...Object.keys(ERRNO), ...Object.keys(ALIASES).filter((a) => Object.hasOwn(ERRNO, ALIASES[a]!))];
const WireErrno = withCodec(withMessage(
  Type.Union([names(errnoNames.map((n) => [n, 0] as const)), Type.String({ pattern: '^E\\d+$' })], { description: 'an errno name of spec/errno.ts (or the alias EWOULDBLOCK, ENOTSUP, EDEADLOCK), or E<number>' }),
  (v) => (typeof v === 'string' ? `'${v}' is not in sockspec's errno table (spec/errno.ts); send it as E<number>` : `expected an errno name, got ${JSON.stringify(v)}`),
), (v) => {
  const s = v as string;
  if (Object.hasOwn(ALIASES, s)) return ALIASES[s];
  if (/^E\d+$/.test(s)) {
    const n = Number(s.slice(1));
    return Object.entries(ERRNO).find(([, x]) => x === n)?.[0] ?? s;
  }
  return s;
});
const WireBound = Type.Object({
  addr: withCodec(withMessage(Type.String({ description: 'a dotted quad or IPv6 text' }), (v) => `expected a dotted quad or IPv6 text, got ${JSON.stringify(v)}`), (v, path) => {
    const t = ipText(v as string);
    if (t === undefined) throw new Problem(path, `expected a dotted quad or IPv6 text, got ${JSON.stringify(v)}`);
    return t;
  }),
  port: Type.Integer({ minimum: 0, maximum: 65535 }),
}, { description: 'the local address the call bound implicitly (AF_INET and AF_INET6 only)' });

const observed = withCodec(observedSchema({
  ret: Type.Union([CInt, flags(FCNTL_BITS, 'F_GETFL/F_GETFD bits')]), errno: WireErrno, hex: hex(128), optval: hex(OPTVAL_SHOWN), bound: WireBound,
}, true), (v, path) => {
  const o = v as { kind: string; ret?: number; errno?: string };
  if (o.kind === 'returned') {
    o.ret = o.ret! | 0;
    if (o.ret === -1 && o.errno === undefined) throw new Problem(`${path}.errno`, 'missing: a call that returns -1 states its errno');
  }
  return o;
});

const World = Type.Object({
  nofile: Type.Optional(Type.Integer({ minimum: 0 })), capNetBindService: Type.Optional(Type.Boolean()), file: Type.Optional(Type.Boolean()),
}, { description: 'the world to make: RLIMIT_NOFILE, CAP_NET_BIND_SERVICE, a regular file at fd 3' });

const Capabilities = withCodec(Type.Object({
  families: Type.Array(Type.Union([Type.String(), Type.Integer()]), { description: 'address families socket() can create, e.g. ["AF_INET"]' }),
  types: Type.Array(Type.Union([Type.String(), Type.Integer()]), { description: 'socket types, e.g. ["SOCK_STREAM"]' }),
  calls: Type.Array(Type.Union(OPS.map((o) => Type.Literal(o))), { description: 'the calls it executes' }),
  settles: Type.Optional(Type.Boolean({ description: 'the runner sends settle after every call (default false)' })),
}), (v) => ({ settles: false, ...(v as object) }));

const id = Type.Integer({ minimum: 0 });
const msg = <T extends string>(type: T, props: Record<string, TSchema>, description: string) => Type.Object({ type: Type.Literal(type), ...props }, { description });

/** Helper to runner, by type. */
export const HelperMessageSchemas = {
  hello: msg('hello', { protocol: Int, name: Type.String(), version: Type.String(), capabilities: Capabilities }, 'the helper\'s first line'),
  opened: msg('opened', { id, profile: profileSchema(true) }, 'the world is made; its facts'),
  rejected: msg('rejected', { id, reason: Type.String() }, 'the world cannot be made'),
  result: msg('result', { id, observed }, 'what the call answered'),
  settled: msg('settled', { id }, 'asynchronous work has finished'),
  ready: msg('ready', { id }, 'the world is dropped'),
  error: msg('error', { id: Type.Union([id, Type.Null()]), message: Type.String() }, 'the request could not be understood'),
} as const;

/** Runner to helper, by type. */
export const RunnerMessageSchemas = {
  open: msg('open', { id, world: World, deadlineMs: Type.Integer({ minimum: 0 }) }, 'make a fresh world'),
  call: msg('call', { id, call: WireCallSchema }, 'run one call in the world'),
  settle: msg('settle', { id }, 'let asynchronous work finish'),
  reset: msg('reset', { id }, 'drop the world'),
} as const;

export const HelperMessageSchema = Type.Union(Object.values(HelperMessageSchemas), { title: 'sockspec helper message', description: 'One line from a helper to sockspec (spec/wire.md)' });
export const RunnerMessageSchema = Type.Union(Object.values(RunnerMessageSchemas), { title: 'sockspec runner message', description: 'One line from sockspec to a helper (spec/wire.md)' });
