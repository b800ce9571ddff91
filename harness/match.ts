/**
 * Comparing an observation with what the model allows. Pure.
 */
import type { Expected, OptHole, PortHole } from '../spec/expected.js';
import type { Bound, Observed, SelectSets } from '../spec/observed.js';
import { inHole, type Outcome } from '../model/index.js';

function boundMatches(e: { addr: string; port: number | PortHole } | null | undefined, o: Bound | undefined): boolean {
  if (e === undefined) return true;
  if (e === null) return o === undefined;
  if (o === undefined || o.addr !== e.addr) return false;
  return typeof e.port === 'number' ? o.port === e.port : inHole(e.port, o.port);
}

/** True when `hex` is `shown` bytes: the first `bytes` little-endian bytes of an int in [lo, hi], then a5s. */
export function inOptHole(h: OptHole, hex: string): boolean {
  if (hex.length !== 2 * h.shown) return false;
  const n = Math.min(h.bytes, h.shown);
  if (hex.slice(2 * n) !== 'a5'.repeat(h.shown - n)) return false;
  let p = 0;
  for (let i = n - 1; i >= 0; i--) p = p * 256 + parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  const m = 2 ** (8 * n);
  const lo = h.lo - (h.lo % m + m) % m + p;
  const first = lo < h.lo ? lo + m : lo;
  return first <= h.hi;
}

function optvalMatches(e: string | OptHole | undefined, o: string | undefined): boolean {
  if (e === undefined || typeof e === 'string') return e === o;
  return o !== undefined && inOptHole(e, o);
}

/** True when `obs` is an instance of `e` (holes filled by any allowed value). */
export function matches(e: Expected, obs: Observed): boolean {
  if (e.kind === 'blocked') return obs.kind === 'blocked' && boundMatches(e.bound, obs.bound);
  if (obs.kind !== 'returned') return false;
  return obs.ret === e.ret && obs.errno === e.errno && obs.addr === e.addr && obs.addrlen === e.addrlen && obs.data === e.data && obs.msgFlags === e.msgFlags && obs.controllen === e.controllen && optvalMatches(e.optval, obs.optval) && obs.optlen === e.optlen
    && boundMatches(e.bound, obs.bound) && listEq(e.revents, obs.revents) && setsEq(e.sets, obs.sets) && listEq(e.sv, obs.sv);
}

function listEq(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function setsEq(a: SelectSets | undefined, b: SelectSets | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return listEq(a.read, b.read) && listEq(a.write, b.write) && listEq(a.except, b.except);
}

/** The first allowed outcome that `obs` is an instance of, if any. */
export function firstMatch(outcomes: readonly Outcome[], obs: Observed): Outcome | undefined {
  for (const o of outcomes) if (matches(o.expect, obs)) return o;
  return undefined;
}
