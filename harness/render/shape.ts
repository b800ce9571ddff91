/**
 * A small validating reader for parsed JSON: each `Shape<T>` checks an unknown value and
 * returns it as a T whose object keys are in the order the shape declares them (so
 * reading is also canonicalising). A failure throws `ShapeError` naming the field path
 * (`steps[3].call.fd`); shapes never throw anything else.
 */

/** A value that does not fit its shape, at `path` (`''` for the root). */
export class ShapeError extends Error {
  constructor(readonly path: string, readonly problem: string) {
    super(path === '' ? problem : `${path}: ${problem}`);
  }
}

/** Checks `v` (found at `path`) and returns it as a T, or throws ShapeError. */
export type Shape<T> = (v: unknown, path: string) => T;

/** One field of an object shape; `optional` fields may be absent (or undefined). */
export interface Field<T> {
  shape: Shape<T>;
  optional: boolean;
}

function got(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

function child(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

export const int: Shape<number> = (v, p) => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new ShapeError(p, `expected an integer, got ${got(v)}`);
  return v;
};

/** A finite number. */
export const num: Shape<number> = (v, p) => {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ShapeError(p, `expected a number, got ${got(v)}`);
  return v;
};

export const str: Shape<string> = (v, p) => {
  if (typeof v !== 'string') throw new ShapeError(p, `expected a string, got ${got(v)}`);
  return v;
};

export const bool: Shape<boolean> = (v, p) => {
  if (typeof v !== 'boolean') throw new ShapeError(p, `expected true or false, got ${got(v)}`);
  return v;
};

/** Exactly one of `values`. */
export function oneOf<const V extends string | number>(values: readonly V[]): Shape<V> {
  return (v, p) => {
    if (!values.includes(v as V)) throw new ShapeError(p, `expected ${values.map((x) => JSON.stringify(x)).join(' or ')}, got ${got(v)}`);
    return v as V;
  };
}

/** A string matching `re`, described as `what` in errors. */
export function matching<T extends string>(re: RegExp, what: string): Shape<T> {
  return (v, p) => {
    if (typeof v !== 'string' || !re.test(v)) throw new ShapeError(p, `expected ${what}, got ${got(v)}`);
    return v as T;
  };
}

/** A string from `names` (too many to list in an error), described as `what`. */
export function member<T extends string>(names: ReadonlySet<string>, what: string): Shape<T> {
  return (v, p) => {
    if (typeof v !== 'string' || !names.has(v)) throw new ShapeError(p, `expected ${what}, got ${got(v)}`);
    return v as T;
  };
}

/** Either of two shapes, chosen by `pick(v)`. */
export function either<A, B>(pick: (v: unknown) => boolean, a: Shape<A>, b: Shape<B>): Shape<A | B> {
  return (v, p) => (pick(v) ? a(v, p) : b(v, p));
}

export function nullable<T>(s: Shape<T>): Shape<T | null> {
  return (v, p) => (v === null ? null : s(v, p));
}

export function arrayOf<T>(s: Shape<T>): Shape<T[]> {
  return (v, p) => {
    if (!Array.isArray(v)) throw new ShapeError(p, `expected an array, got ${got(v)}`);
    return v.map((x, i) => s(x, `${p}[${i}]`));
  };
}

export function pair<A, B>(a: Shape<A>, b: Shape<B>): Shape<[A, B]> {
  return (v, p) => {
    if (!Array.isArray(v) || v.length !== 2) throw new ShapeError(p, `expected an array of 2, got ${got(v)}`);
    return [a(v[0], `${p}[0]`), b(v[1], `${p}[1]`)];
  };
}

export function req<T>(shape: Shape<T>): Field<T> {
  return { shape, optional: false };
}

export function opt<T>(shape: Shape<T>): Field<T | undefined> {
  return { shape, optional: true };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * An object with exactly the listed fields (an unknown field is an error), returned with
 * its keys in the listed order and absent optional fields left out. The mapped type
 * makes the compiler insist that every key of T is listed.
 */
export function obj<T>(fields: { [K in keyof T]-?: Field<T[K]> }): Shape<T> {
  const entries = Object.entries(fields) as [string, Field<unknown>][];
  return (v, p) => {
    if (!isRecord(v)) throw new ShapeError(p, `expected an object, got ${got(v)}`);
    for (const k of Object.keys(v)) {
      if (!(k in fields) && v[k] !== undefined) throw new ShapeError(child(p, k), 'unknown field');
    }
    const out: Record<string, unknown> = {};
    for (const [k, f] of entries) {
      const x = v[k];
      if (x === undefined) {
        if (!f.optional) throw new ShapeError(child(p, k), 'missing');
        continue;
      }
      out[k] = f.shape(x, child(p, k));
    }
    return out as T;
  };
}

/** A tagged union: the value of `key` picks the variant's shape. */
export function tagged<T>(key: string, variants: Record<string, Shape<T>>): Shape<T> {
  const names = Object.keys(variants);
  return (v, p) => {
    if (!isRecord(v)) throw new ShapeError(p, `expected an object, got ${got(v)}`);
    const tag = v[key];
    const s = typeof tag === 'string' && Object.hasOwn(variants, tag) ? variants[tag] : undefined;
    if (s === undefined) throw new ShapeError(child(p, key), `expected one of ${names.join(', ')}, got ${got(tag)}`);
    return s(v, p);
  };
}
