/**
 * Traces as JSON files: a stable serialisation (fixed key order, 2-space indent, final
 * newline) and a reader that checks every field and names the file and the field path of
 * the first thing that is wrong. Neither function changes its input.
 */
import { variantsProblem, type Variants } from '../../spec/variants.js';
import type { AddrIn, AddrOut, SockaddrVm, Call, FdSet, IovIn, IovOut, MsgIn, MsgOut, Offset, OptOut, PollEntry, SocketcallInner, Timeval } from '../../spec/call.js';
import { ERRNO, type ErrnoName } from '../../spec/errno.js';
import type { Expected, OptHole, PortHole } from '../../spec/expected.js';
import type { Bound, Observed, Returned, SelectSets } from '../../spec/observed.js';
import type { Buffers, FileFacts, Profile, VsockTransports } from '../../spec/profile.js';
import {
  ShapeError, arrayOf, bool, either, int, matching, member, nullable, num, obj, oneOf, opt, pair, req, str, tagged, type Shape,
} from './shape.js';
import type { Divergence, Trace, TraceStep } from './trace.js';

type Of<U, K extends string, V> = Extract<U, Record<K, V>>;

const ERRNO_NAMES = new Set<string>(Object.keys(ERRNO));
const errnoName = member<ErrnoName>(ERRNO_NAMES, 'an errno name of spec/errno.ts');
/** Adapters may also answer an errno outside the table, as `E<number>`. */
const observedErrno: Shape<ErrnoName | `E${number}`> = either(
  (v) => typeof v === 'string' && /^E\d+$/.test(v),
  matching<`E${number}`>(/^E\d+$/, 'E<number>'),
  member<ErrnoName>(ERRNO_NAMES, 'an errno name of spec/errno.ts or E<number>'),
);
const ptr = oneOf(['ok', 'null', 'bad'] as const);
const hexBytes = matching<string>(/^(?:[0-9a-f]{2})*$/, 'lowercase hex bytes');
const ipv4 = matching<string>(/^(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*)$/, 'a dotted IPv4 address or IPv6 text');

const addrInNoBuffer = obj<Exclude<AddrIn, { ptr: 'ok' }>>({ ptr: req(oneOf(['null', 'bad'] as const)), len: req(int) });
const addrIn: Shape<AddrIn> = tagged<AddrIn>('ptr', {
  ok: obj<Of<AddrIn, 'ptr', 'ok'>>({
    ptr: req(oneOf(['ok'] as const)), len: req(int), family: req(int), addr: req(ipv4), port: req(int),
    flowinfo: opt(int), scope_id: opt(int), vm: opt(obj<SockaddrVm>({ cid: req(int), flags: req(int) })),
  }),
  null: addrInNoBuffer,
  bad: addrInNoBuffer,
});
const addrOut: Shape<AddrOut> = obj<AddrOut>({ ptr: req(ptr), lenPtr: req(ptr), len: req(int) });
const optOut: Shape<OptOut> = obj<OptOut>({ ptr: req(ptr), lenPtr: req(ptr), len: req(int) });

const pollEntry: Shape<PollEntry> = obj<PollEntry>({ fd: req(int), events: req(int) });
const fdSetNoBuffer = obj<Exclude<FdSet, { ptr: 'ok' }>>({ ptr: req(oneOf(['null', 'bad'] as const)) });
const fdSet: Shape<FdSet> = tagged<FdSet>('ptr', {
  ok: obj<Of<FdSet, 'ptr', 'ok'>>({ ptr: req(oneOf(['ok'] as const)), fds: req(arrayOf(int)) }),
  null: fdSetNoBuffer,
  bad: fdSetNoBuffer,
});
const timevalNoBuffer = obj<Exclude<Timeval, { ptr: 'ok' }>>({ ptr: req(oneOf(['null', 'bad'] as const)) });
const timeval: Shape<Timeval> = tagged<Timeval>('ptr', {
  ok: obj<Of<Timeval, 'ptr', 'ok'>>({ ptr: req(oneOf(['ok'] as const)), sec: req(int), usec: req(int) }),
  null: timevalNoBuffer,
  bad: timevalNoBuffer,
});
const offsetNoValue = obj<Exclude<Offset, { ptr: 'ok' }>>({ ptr: req(oneOf(['null', 'bad'] as const)) });
const offset: Shape<Offset> = tagged<Offset>('ptr', {
  ok: obj<Of<Offset, 'ptr', 'ok'>>({ ptr: req(oneOf(['ok'] as const)), value: req(int) }),
  null: offsetNoValue,
  bad: offsetNoValue,
});
const selectSets: Shape<SelectSets> = obj<SelectSets>({ read: opt(arrayOf(int)), write: opt(arrayOf(int)), except: opt(arrayOf(int)) });

function op<const O extends Call['op']>(o: O): Shape<O> {
  return oneOf([o] as const);
}

const iovIn: Shape<IovIn> = tagged<IovIn>('ptr', {
  ok: obj<Of<IovIn, 'ptr', 'ok'>>({ ptr: req(oneOf(['ok'] as const)), data: req(hexBytes) }),
  null: obj<Of<IovIn, 'ptr', 'null'>>({ ptr: req(oneOf(['null'] as const)), len: req(int) }),
});
const iovOut: Shape<IovOut> = obj<IovOut>({ ptr: req(oneOf(['ok', 'null'] as const)), len: req(int) });
const msgCommon = {
  iov: req(ptr), iovlen: req(int), control: req(ptr), controllen: req(int), flags: req(int),
};
const msgNoBuffer = obj<{ ptr: 'null' | 'bad' }>({ ptr: req(oneOf(['null', 'bad'] as const)) });
const msgIn: Shape<MsgIn> = tagged<MsgIn>('ptr', {
  ok: obj<Of<MsgIn, 'ptr', 'ok'>>({ ptr: req(oneOf(['ok'] as const)), name: req(addrIn), iovs: req(arrayOf(iovIn)), ...msgCommon }),
  null: msgNoBuffer,
  bad: msgNoBuffer,
});
const msgOut: Shape<MsgOut> = tagged<MsgOut>('ptr', {
  ok: obj<Of<MsgOut, 'ptr', 'ok'>>({ ptr: req(oneOf(['ok'] as const)), name: req(obj<{ ptr: 'ok' | 'null' | 'bad'; len: number }>({ ptr: req(ptr), len: req(int) })), iovs: req(arrayOf(iovOut)), ...msgCommon }),
  null: msgNoBuffer,
  bad: msgNoBuffer,
});

const innerVariants = {
  socket: obj<Of<Call, 'op', 'socket'>>({ op: req(op('socket')), domain: req(int), type: req(int), protocol: req(int) }),
  bind: obj<Of<Call, 'op', 'bind'>>({ op: req(op('bind')), fd: req(int), addr: req(addrIn) }),
  listen: obj<Of<Call, 'op', 'listen'>>({ op: req(op('listen')), fd: req(int), backlog: req(int) }),
  accept: obj<Of<Call, 'op', 'accept'>>({ op: req(op('accept')), fd: req(int), out: req(addrOut) }),
  accept4: obj<Of<Call, 'op', 'accept4'>>({ op: req(op('accept4')), fd: req(int), out: req(addrOut), flags: req(int) }),
  connect: obj<Of<Call, 'op', 'connect'>>({ op: req(op('connect')), fd: req(int), addr: req(addrIn) }),
  getsockname: obj<Of<Call, 'op', 'getsockname'>>({ op: req(op('getsockname')), fd: req(int), out: req(addrOut) }),
  getpeername: obj<Of<Call, 'op', 'getpeername'>>({ op: req(op('getpeername')), fd: req(int), out: req(addrOut) }),
  shutdown: obj<Of<Call, 'op', 'shutdown'>>({ op: req(op('shutdown')), fd: req(int), how: req(int) }),
  setsockopt: obj<Of<Call, 'op', 'setsockopt'>>({
    op: req(op('setsockopt')), fd: req(int), level: req(int), name: req(int), value: req(int), optlen: req(int), ptr: opt(ptr), linger: opt(int),
  }),
  getsockopt: obj<Of<Call, 'op', 'getsockopt'>>({
    op: req(op('getsockopt')), fd: req(int), level: req(int), name: req(int), opt: req(optOut),
  }),
  send: obj<Of<Call, 'op', 'send'>>({ op: req(op('send')), fd: req(int), data: req(hexBytes), flags: req(int) }),
  sendto: obj<Of<Call, 'op', 'sendto'>>({ op: req(op('sendto')), fd: req(int), data: req(hexBytes), flags: req(int), addr: req(addrIn) }),
  recv: obj<Of<Call, 'op', 'recv'>>({ op: req(op('recv')), fd: req(int), len: req(int), flags: req(int) }),
  recvfrom: obj<Of<Call, 'op', 'recvfrom'>>({ op: req(op('recvfrom')), fd: req(int), len: req(int), flags: req(int), out: req(addrOut) }),
  sendmsg: obj<Of<Call, 'op', 'sendmsg'>>({ op: req(op('sendmsg')), fd: req(int), msg: req(msgIn), flags: req(int) }),
  recvmsg: obj<Of<Call, 'op', 'recvmsg'>>({ op: req(op('recvmsg')), fd: req(int), msg: req(msgOut), flags: req(int) }),
};
const innerCall = tagged<SocketcallInner>('op', innerVariants);
const call: Shape<Call> = tagged<Call>('op', {
  ...innerVariants,
  close: obj<Of<Call, 'op', 'close'>>({ op: req(op('close')), fd: req(int) }),
  fcntl: obj<Of<Call, 'op', 'fcntl'>>({ op: req(op('fcntl')), fd: req(int), cmd: req(int), arg: req(int) }),
  socketpair: obj<Of<Call, 'op', 'socketpair'>>({ op: req(op('socketpair')), domain: req(int), type: req(int), protocol: req(int), sv: req(ptr) }),
  mmap: obj<Of<Call, 'op', 'mmap'>>({ op: req(op('mmap')), fd: req(int), len: req(int), prot: req(int), flags: req(int), offset: req(int) }),
  socketcall: obj<Of<Call, 'op', 'socketcall'>>({
    op: req(op('socketcall')), num: req(int), args: req(ptr), readable: opt(int), call: opt(innerCall),
  }),
  sendfile: obj<Of<Call, 'op', 'sendfile'>>({ op: req(op('sendfile')), fd: req(int), inFd: req(int), offset: req(offset), count: req(int) }),
  poll: obj<Of<Call, 'op', 'poll'>>({ op: req(op('poll')), fds: req(ptr), entries: req(arrayOf(pollEntry)), nfds: req(int), timeout: req(int) }),
  select: obj<Of<Call, 'op', 'select'>>({
    op: req(op('select')), nfds: req(int), read: req(fdSet), write: req(fdSet), except: req(fdSet), timeout: req(timeval),
  }),
});

/** socketpair's two fds. */
const fdPair: Shape<[number, number]> = (v, p) => {
  const a = arrayOf(int)(v, p);
  if (a.length !== 2) throw new ShapeError(p, `expected the two fds of a socketpair, got ${a.length} numbers`);
  return [a[0]!, a[1]!];
};

const bound: Shape<Bound> = obj<Bound>({ addr: req(str), port: req(int) });

const observed: Shape<Observed> = tagged<Observed>('kind', {
  returned: obj<Returned>({
    kind: req(oneOf(['returned'] as const)), ret: req(int), errno: opt(observedErrno),
    addr: opt(hexBytes), addrlen: opt(int), data: opt(hexBytes), msgFlags: opt(int), controllen: opt(int), optval: opt(hexBytes), optlen: opt(int), offset: opt(int), bound: opt(bound), revents: opt(arrayOf(int)), sets: opt(selectSets), sv: opt(fdPair),
  }),
  blocked: obj<Of<Observed, 'kind', 'blocked'>>({ kind: req(oneOf(['blocked'] as const)), bound: opt(bound) }),
  crashed: obj<Of<Observed, 'kind', 'crashed'>>({ kind: req(oneOf(['crashed'] as const)), detail: req(str) }),
  unsupported: obj<Of<Observed, 'kind', 'unsupported'>>({ kind: req(oneOf(['unsupported'] as const)), detail: req(str) }),
});

const portHole: Shape<PortHole> = obj<PortHole>({
  lo: req(int), hi: req(int), parity: opt(oneOf(['odd', 'even'] as const)), taken: req(arrayOf(int)),
});
type ExpectedBound = { addr: string; port: number | PortHole };
const expectedBound: Shape<ExpectedBound | null> = nullable(obj<ExpectedBound>({
  addr: req(str), port: req(either((v) => typeof v === 'number', int, portHole)),
}));

const optHole: Shape<OptHole> = obj<OptHole>({ lo: req(int), hi: req(int), bytes: req(int), shown: req(int) });

const expected: Shape<Expected> = tagged<Expected>('kind', {
  blocked: obj<Of<Expected, 'kind', 'blocked'>>({ kind: req(oneOf(['blocked'] as const)), bound: opt(expectedBound) }),
  returned: obj<Of<Expected, 'kind', 'returned'>>({
    kind: req(oneOf(['returned'] as const)), ret: req(int), errno: opt(errnoName),
    addr: opt(hexBytes), addrlen: opt(int), data: opt(hexBytes), msgFlags: opt(int), controllen: opt(int),
    optval: opt(either((v) => typeof v === 'string', hexBytes, optHole)), optlen: opt(int), offset: opt(int), bound: opt(expectedBound), revents: opt(arrayOf(int)), sets: opt(selectSets), sv: opt(fdPair),
  }),
});

const triple: Shape<[number, number, number]> = (v, p) => {
  const a = arrayOf(int)(v, p);
  if (a.length !== 3) throw new ShapeError(p, `expected [min, default, max], got ${a.length} numbers`);
  return [a[0]!, a[1]!, a[2]!];
};

const variants: Shape<Partial<Variants>> = (v, p) => {
  const why = variantsProblem(v);
  if (why !== undefined) throw new ShapeError(p, why);
  return v as Partial<Variants>;
};

const profile: Shape<Profile> = obj<Profile>({
  kernel: req(str), build: opt(str), variants: opt(variants), somaxconn: req(int), portRange: req(pair(int, int)), unprivilegedPortStart: req(int),
  nofile: req(int), capNetBindService: req(bool),
  buffers: opt(obj<Buffers>({
    rmemDefault: req(int), wmemDefault: req(int), rmemMax: req(int), wmemMax: req(int),
    tcpRmem: req(triple), tcpWmem: req(triple),
  })),
  vsock: opt(obj<VsockTransports>({ loopback: req(bool), h2g: req(bool), dgram: req(bool) })),
  file: opt(obj<FileFacts>({ maxBytes: opt(int), noexec: req(bool), mapSync: opt(obj<NonNullable<FileFacts['mapSync']>>({ validate: req(bool), refuse: req(bool) })) })),
});

const step: Shape<TraceStep> = obj<TraceStep>({ call: req(call), observed: req(observed), rule: opt(str), expected: opt(str) });

const divergence: Shape<Divergence> = obj<Divergence>({
  index: req(int),
  allowed: req(arrayOf(obj<Divergence['allowed'][number]>({ rule: req(str), expect: req(expected) }))),
});

const traceShape: Shape<Trace> = (v, p) => {
  const t = obj<Trace>({
    version: req(oneOf([1] as const)), adapter: req(str), seed: opt(int), path: opt(str),
    generator: opt(obj<NonNullable<Trace['generator']>>({ maxLength: req(int), invalid: req(num) })), profile: req(profile),
    steps: req(arrayOf(step)), divergence: opt(divergence), keptFor: opt(str),
  })(v, p);
  if (t.divergence && (t.divergence.index < 0 || t.divergence.index >= t.steps.length)) {
    throw new ShapeError('divergence.index', `${t.divergence.index} is not the index of a step (there are ${t.steps.length})`);
  }
  return t;
};

/**
 * Checks one call read from JSON (an expectations entry's) field by field, as a trace's
 * calls are checked; throws ShapeError naming `path` and the field. Returns it canonical.
 */
export function callOf(v: unknown, path: string): Call {
  return call(v, path);
}

/** Checks one observed answer read from JSON (an expectations entry's), as callOf checks a call. */
export function observedOf(v: unknown, path: string): Observed {
  return observed(v, path);
}

/**
 * The trace as JSON: keys in a fixed order (the order of the types in spec/ and
 * trace.ts), absent optional fields left out, 2-space indent, one final newline. Throws
 * (naming the field) only if `t` does not fit the Trace type, e.g. a non-integer number.
 */
export function traceToJson(t: Trace): string {
  let canonical: Trace;
  try {
    canonical = traceShape(t, '');
  } catch (e) {
    if (e instanceof ShapeError) throw new Error(`trace is not serialisable: ${e.message}`);
    throw e;
  }
  return `${JSON.stringify(canonical, null, 2)}\n`;
}

/**
 * Reads a trace written by traceToJson (or by hand). Every field is checked; the first
 * problem throws an Error `<source>: <field path>: <problem>`, e.g.
 * `trace.json: steps[3].call.fd: expected an integer, got "5"`.
 */
export function traceFromJson(text: string, source: string): Trace {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: not valid JSON: ${(e as Error).message}`);
  }
  try {
    return traceShape(v, '');
  } catch (e) {
    if (e instanceof ShapeError) throw new Error(`${source}: ${e.message}`);
    throw e;
  }
}
