/**
 * Reading a JSON value against one of sockspec's schemas (TypeBox, i.e. plain JSON Schema
 * objects): TypeBox's compiled validator decides; when it says no, `problemOf` walks the
 * schema beside the value to name the first offending field and say what was expected
 * there; when it says yes, `decodeWith` rebuilds the value with object keys in the
 * schema's order, applying each field's codec (a wire name becomes its number; a codec
 * may also refuse, for the few rules JSON Schema cannot state, such as "a flag set holds
 * at most one number"). Pure; throws only `Problem`.
 */
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';

/** A value that does not fit its schema, at `path` (`''` for the root). */
export class Problem extends Error {
  constructor(readonly path: string, readonly problem: string) {
    super(path === '' ? problem : `${path}: ${problem}`);
  }
}

/** A field's decoder (wire names to numbers, and checks JSON Schema cannot state); not part of the JSON Schema. */
export const CODEC: unique symbol = Symbol.for('sockspec.codec');
/** A message replacing the generic one when the value does not fit (also not part of the JSON Schema). */
export const MESSAGE: unique symbol = Symbol.for('sockspec.message');

/** Decodes a field: `v` with its own fields already decoded, `raw` as it was read. */
export type Codec = (v: unknown, path: string, raw: unknown) => unknown;
type Node = Record<string | symbol, unknown> & { [CODEC]?: Codec; [MESSAGE]?: (v: unknown) => string };

/** `s` with a codec attached. */
export function withCodec<S extends TSchema>(s: S, codec: Codec): S {
  (s as unknown as Node)[CODEC] = codec;
  return s;
}

/** `s` with its own mismatch message. */
export function withMessage<S extends TSchema>(s: S, message: (v: unknown) => string): S {
  (s as unknown as Node)[MESSAGE] = message;
  return s;
}

export function got(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

const child = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const compiled = new WeakMap<object, TypeCheck<TSchema>>();
/** Does `v` fit `s`? (TypeBox's compiled check, cached per schema.) */
export function fits(s: TSchema, v: unknown): boolean {
  let c = compiled.get(s);
  if (c === undefined) { c = TypeCompiler.Compile(s); compiled.set(s, c); }
  return c.Check(v);
}

/** `fits` for a TypeBox schema; for plain JSON Schema (e.g. a published file), no problem found by the walk. */
function fitsAny(n: Node, v: unknown): boolean {
  return Symbol.for('TypeBox.Kind') in n ? fits(n as unknown as TSchema, v) : walk(n, v, '', 'file') === undefined;
}

/** The literal tag values a union member accepts at `key`, or undefined if it has none. */
function tags(member: Node, key: string): unknown[] | undefined {
  const p = (member['properties'] as Record<string, Node> | undefined)?.[key];
  if (p === undefined) return undefined;
  if ('const' in p) return [p['const']];
  const any = p['anyOf'] as Node[] | undefined;
  if (any?.every((x) => 'const' in x)) return any.map((x) => x['const']);
  return undefined;
}

/** The key every member of a union of objects is tagged by (`op`, `kind`, `ptr`, `type`), if any. */
function discriminator(members: Node[]): string | undefined {
  const first = members[0]?.['properties'] as Record<string, unknown> | undefined;
  if (first === undefined) return undefined;
  return Object.keys(first).find((k) => members.every((m) => tags(m, k) !== undefined));
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function accepts(s: Node, t: string): boolean {
  if ('const' in s) return jsonType(s['const']) === t || (t === 'integer' && typeof s['const'] === 'number');
  const ty = s['type'];
  if (ty === undefined) return (s['anyOf'] as Node[] | undefined)?.some((m) => accepts(m, t)) ?? true;
  return ty === t || (ty === 'number' && t === 'integer');
}

function describe(s: Node): string {
  if ('const' in s) return JSON.stringify(s['const']);
  if (typeof s['description'] === 'string') return s['description'];
  switch (s['type']) {
    case 'integer': return 'an integer';
    case 'number': return 'a number';
    case 'string': return 'a string';
    case 'boolean': return 'true or false';
    case 'null': return 'null';
    case 'array': return 'an array';
    case 'object': return 'an object';
    default: return 'a value of the schema';
  }
}

/** The first problem of `v` against `s` at `path` (undefined when none is found). */
export function problemOf(s: TSchema, v: unknown, path: string, style: Style = 'file'): Problem | undefined {
  const n = s as unknown as Node;
  const own = n[MESSAGE];
  const p = walk(n, v, path, style);
  return p !== undefined && own !== undefined ? new Problem(path, own(v)) : p;
}

/**
 * How an absent required field is worded: `file` says "missing" (files sockspec wrote),
 * `wire` says what was expected, "got nothing" (a helper author reads it).
 */
export type Style = 'file' | 'wire';

function walk(n: Node, v: unknown, path: string, style: Style): Problem | undefined {
  const anyOf = n['anyOf'] as Node[] | undefined;
  if (anyOf !== undefined) {
    if (anyOf.some((m) => fitsAny(m, v))) return undefined;
    if (anyOf.every((m) => 'const' in m)) return new Problem(path, `expected one of ${anyOf.map((m) => String(m['const'])).join(', ')}, got ${got(v)}`);
    const key = isRecord(v) ? discriminator(anyOf) : undefined;
    if (key !== undefined && isRecord(v)) {
      const m = anyOf.find((x) => tags(x, key)!.includes(v[key]));
      if (m === undefined) return new Problem(child(path, key), `expected one of ${anyOf.flatMap((x) => tags(x, key)!).map(String).join(', ')}, got ${got(v[key])}`);
      return problemOf(m as unknown as TSchema, v, path, style);
    }
    const byType = anyOf.filter((m) => accepts(m, jsonType(v)));
    if (byType.length === 1) return problemOf(byType[0] as unknown as TSchema, v, path, style);
    return new Problem(path, `expected ${[...new Set(anyOf.map(describe))].join(' or ')}, got ${got(v)}`);
  }
  if ('const' in n) return v === n['const'] ? undefined : new Problem(path, `expected ${JSON.stringify(n['const'])}, got ${got(v)}`);
  switch (n['type']) {
    case 'object': {
      if (!isRecord(v)) return new Problem(path, `expected an object, got ${got(v)}`);
      const props = (n['properties'] ?? {}) as Record<string, Node>;
      if (n['additionalProperties'] === false) {
        for (const k of Object.keys(v)) if (!(k in props)) return new Problem(child(path, k), 'unknown field');
      }
      const required = (n['required'] ?? []) as string[];
      for (const [k, ps] of Object.entries(props)) {
        if (v[k] === undefined) {
          if (required.includes(k)) return style === 'file' ? new Problem(child(path, k), 'missing') : problemOf(ps as unknown as TSchema, undefined, child(path, k), style);
          continue;
        }
        const q = problemOf(ps as unknown as TSchema, v[k], child(path, k), style);
        if (q !== undefined) return q;
      }
      return undefined;
    }
    case 'array': {
      if (!Array.isArray(v)) return new Problem(path, `expected ${typeof n['description'] === 'string' ? n['description'] : 'an array'}, got ${got(v)}`);
      const lo = n['minItems'] as number | undefined;
      const hi = n['maxItems'] as number | undefined;
      if (lo !== undefined && lo === hi && v.length !== lo) return new Problem(path, `expected an array of ${lo}, got ${got(v)}`);
      if (lo !== undefined && v.length < lo) return new Problem(path, `expected at least ${lo} elements, got ${v.length}`);
      if (hi !== undefined && v.length > hi) return new Problem(path, `expected at most ${hi} elements, got ${v.length}`);
      const items = n['items'] as Node | Node[] | undefined;
      for (let i = 0; i < v.length; i++) {
        const is = Array.isArray(items) ? items[i] : items;
        if (is === undefined) continue;
        const q = problemOf(is as unknown as TSchema, v[i], `${path}[${i}]`, style);
        if (q !== undefined) return q;
      }
      return undefined;
    }
    case 'integer':
    case 'number': {
      const isInt = n['type'] === 'integer';
      if (typeof v !== 'number' || !Number.isFinite(v) || (isInt && !Number.isInteger(v))) return new Problem(path, `expected ${isInt ? 'an integer' : 'a number'}, got ${got(v)}`);
      const lo = n['minimum'] as number | undefined;
      const hi = n['maximum'] as number | undefined;
      if ((lo !== undefined && v < lo) || (hi !== undefined && v > hi)) return new Problem(path, `${v} is outside ${lo ?? '-inf'}..${hi ?? 'inf'}`);
      return undefined;
    }
    case 'string': {
      if (typeof v !== 'string') return new Problem(path, `expected ${describe(n)}, got ${got(v)}`);
      const pattern = n['pattern'] as string | undefined;
      if (pattern !== undefined && !new RegExp(pattern).test(v)) return new Problem(path, `expected ${describe(n)}, got ${got(v)}`);
      return undefined;
    }
    case 'boolean':
      return typeof v === 'boolean' ? undefined : new Problem(path, `expected true or false, got ${got(v)}`);
    case 'null':
      return v === null ? undefined : new Problem(path, `expected null, got ${got(v)}`);
    default:
      return undefined;
  }
}

/**
 * `v` as the schema's type: keys in the schema's order, absent optional fields left out,
 * codecs applied. `v` must fit `s` (see `fits`); a codec may still throw `Problem`.
 */
export function decodeWith(s: TSchema, v: unknown, path: string): unknown {
  const n = s as unknown as Node;
  let out: unknown = v;
  const anyOf = n['anyOf'] as Node[] | undefined;
  if (anyOf !== undefined) {
    const m = anyOf.find((x) => fits(x as unknown as TSchema, v));
    out = m === undefined ? v : decodeWith(m as unknown as TSchema, v, path);
  } else if (n['type'] === 'object' && isRecord(v)) {
    const o: Record<string, unknown> = {};
    for (const [k, ps] of Object.entries((n['properties'] ?? {}) as Record<string, Node>)) {
      if (v[k] !== undefined) o[k] = decodeWith(ps as unknown as TSchema, v[k], child(path, k));
    }
    out = o;
  } else if (n['type'] === 'array' && Array.isArray(v)) {
    const items = n['items'] as Node | Node[] | undefined;
    out = v.map((x, i) => {
      const is = Array.isArray(items) ? items[i] : items;
      return is === undefined ? x : decodeWith(is as unknown as TSchema, x, `${path}[${i}]`);
    });
  }
  const codec = n[CODEC];
  return codec === undefined ? out : codec(out, path, v);
}

/** Checks `v` against `s` and decodes it; throws `Problem` naming the first offending field. */
export function read<T>(s: TSchema, v: unknown, path = '', style: Style = 'file'): T {
  if (!fits(s, v)) throw problemOf(s, v, path, style) ?? new Problem(path, 'does not fit its schema');
  return decodeWith(s, v, path) as T;
}
