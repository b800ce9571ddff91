/**
 * The schemas of an implementation's answer (`Observed`), of what the model allowed
 * (`Expected`) and of the facts of a world (`Profile`): the stored spelling, and, for
 * Observed and Profile, the wire spelling a helper sends (spec/wire.md).
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { ERRNO } from '../errno.js';
import { VARIANT_AXES } from '../variants.js';
import { Hex, Int } from './call.js';
import { withMessage } from './read.js';

const names = Object.keys(ERRNO);
/** An errno: a name of spec/errno.ts, or `E<number>` for one outside the table. */
export const ErrnoSchema = withMessage(
  Type.Union([Type.Union(names.map((n) => Type.Literal(n))), Type.String({ pattern: '^E\\d+$' })], { description: 'an errno name of spec/errno.ts or E<number>' }),
  (v) => `expected an errno name of spec/errno.ts or E<number>, got ${JSON.stringify(v)}`,
);
const ErrnoName = withMessage(Type.Union(names.map((n) => Type.Literal(n)), { description: 'an errno name of spec/errno.ts' }), (v) => `expected an errno name of spec/errno.ts, got ${JSON.stringify(v)}`);

export const BoundSchema = Type.Object({ addr: Type.String(), port: Int }, { additionalProperties: false, description: 'the local address a call bound implicitly' });
const Ints = () => Type.Array(Int);
const SelectSets = Type.Object({ read: Type.Optional(Ints()), write: Type.Optional(Ints()), except: Type.Optional(Ints()) }, { additionalProperties: false });
const FdPair = Type.Tuple([Int, Int], { description: 'the two fds socketpair stored' });

/** The fields of an Observed whose spelling differs on the wire. */
export interface ObservedFields { ret: TSchema; errno: TSchema; hex: TSchema; optval: TSchema; bound: TSchema }

/** An integer in lo..hi on the wire (`strict`), any integer in a stored file. */
const ranged = (strict: boolean) => (minimum?: number, maximum?: number): TSchema => (strict ? Type.Integer({ minimum, maximum }) : Int);

export function observedSchema(f: ObservedFields, strict: boolean): TSchema {
  const R = ranged(strict);
  const closed = strict ? {} : { additionalProperties: false };
  const Ints = (lo?: number, hi?: number) => Type.Array(R(lo, hi));
  const SelectSets = Type.Object({ read: Type.Optional(Ints(0, 1023)), write: Type.Optional(Ints(0, 1023)), except: Type.Optional(Ints(0, 1023)) }, closed);
  return Type.Union([
    Type.Object({
      kind: Type.Literal('returned'), ret: f.ret, errno: Type.Optional(f.errno),
      addr: Type.Optional(f.hex), addrlen: Type.Optional(Int), data: Type.Optional(f.hex), msgFlags: Type.Optional(R(0, 2 ** 32 - 1)),
      controllen: Type.Optional(R(0)), optval: Type.Optional(f.optval), optlen: Type.Optional(Int), offset: Type.Optional(Int),
      bound: Type.Optional(f.bound), revents: Type.Optional(Ints(0, 65535)), sets: Type.Optional(SelectSets), sv: Type.Optional(Type.Tuple([R(0, 2 ** 31 - 1), R(0, 2 ** 31 - 1)], { description: 'the two fds socketpair stored' })),
    }, closed),
    Type.Object({ kind: Type.Literal('blocked'), bound: Type.Optional(f.bound) }, closed),
    Type.Object({ kind: Type.Literal('crashed'), detail: Type.String() }, closed),
    Type.Object({ kind: Type.Literal('unsupported'), detail: Type.String() }, closed),
  ], { description: 'what an implementation answered' });
}

/** Observed as traces store it. */
export const ObservedSchema = observedSchema({ ret: Int, errno: ErrnoSchema, hex: Hex, optval: Hex, bound: BoundSchema }, false);

const PortHole = Type.Object({
  lo: Int, hi: Int, parity: Type.Optional(Type.Union([Type.Literal('odd'), Type.Literal('even')])), taken: Ints(),
}, { additionalProperties: false, description: 'any port in lo..hi (of that parity) but the taken ones' });
const ExpectedBound = Type.Union([Type.Object({ addr: Type.String(), port: Type.Union([Int, PortHole]) }, { additionalProperties: false }), Type.Null()]);
const OptHole = Type.Object({ lo: Int, hi: Int, bytes: Int, shown: Int }, { additionalProperties: false, description: 'any integer option value in lo..hi' });

/** What the model allowed (with holes: a port range, an option value range). */
export const ExpectedSchema = Type.Union([
  Type.Object({ kind: Type.Literal('blocked'), bound: Type.Optional(ExpectedBound) }, { additionalProperties: false }),
  Type.Object({
    kind: Type.Literal('returned'), ret: Int, errno: Type.Optional(ErrnoName),
    addr: Type.Optional(Hex), addrlen: Type.Optional(Int), data: Type.Optional(Hex), msgFlags: Type.Optional(Int), controllen: Type.Optional(Int),
    optval: Type.Optional(Type.Union([Hex, OptHole])), optlen: Type.Optional(Int), offset: Type.Optional(Int), bound: Type.Optional(ExpectedBound),
    revents: Type.Optional(Ints()), sets: Type.Optional(SelectSets), sv: Type.Optional(FdPair),
  }, { additionalProperties: false }),
]);

/** A kernel's behaviour variants (spec/variants.ts): one value per axis, an absent axis has its reference value. */
export const VariantsSchema = Type.Object(
  Object.fromEntries(Object.entries(VARIANT_AXES).map(([axis, a]) => [axis, Type.Optional(Type.Union(a.values.map((v) => Type.Literal(v)), { description: a.doc }))])),
  { additionalProperties: false },
);

/** The facts of a world the model needs (spec/profile.ts); `strict` (the wire) states the ranges. */
export function profileSchema(strict: boolean): TSchema {
  const R = ranged(strict);
  const closed = strict ? {} : { additionalProperties: false };
  const Triple = Type.Tuple([R(0), R(0), R(0)], { description: '[min, default, max]' });
  return Type.Object({
  kernel: Type.String(), build: Type.Optional(Type.String()), variants: Type.Optional(VariantsSchema),
  somaxconn: R(0), portRange: Type.Tuple([R(1, 65535), R(1, 65535)]),
  unprivilegedPortStart: R(0, 65536), nofile: R(0), capNetBindService: Type.Boolean(),
  buffers: Type.Optional(Type.Object({
    rmemDefault: R(0), wmemDefault: R(0), rmemMax: R(0), wmemMax: R(0),
    tcpRmem: Triple, tcpWmem: Triple,
  }, closed)),
  vsock: Type.Optional(Type.Object({ loopback: Type.Boolean(), h2g: Type.Boolean(), dgram: Type.Boolean() }, { ...closed, description: 'the AF_VSOCK transports the world has' })),
  file: Type.Optional(Type.Object({
    maxBytes: Type.Optional(R(0)), noexec: Type.Boolean(),
    mapSync: Type.Optional(Type.Object({ validate: Type.Boolean(), refuse: Type.Boolean() }, closed)),
  }, closed)),
}, { ...closed, description: 'the facts of a world (spec/profile.ts)' });
}
export const ProfileSchema = profileSchema(false);
