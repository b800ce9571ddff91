/**
 * The model itself as a system under test: it answers each call with the first outcome
 * the model allows, filling holes with the lowest allowed value (ports, option values). Used for self-checks,
 * for tests of the harness, and where a machine cannot create namespaces. (This adapter
 * is the one exception to "adapters never import model": it is the model.)
 */
import type { Adapter, Session } from '../../spec/adapter.js';
import type { Call } from '../../spec/call.js';
import type { Expected, PortHole } from '../../spec/expected.js';
import type { Bound, Observed } from '../../spec/observed.js';
import { DEFAULT_PROFILE, EXT4_FILE, type Profile } from '../../spec/profile.js';
import { initialState, step, type State, type Outcome } from '../../model/index.js';
import { inHole, valueHex } from '../../model/index.js';

/** A hook that lets tests run a deliberately different model (mutation self-checks). */
export type StepFn = (s: State, c: Call) => Outcome[];

function fill(h: PortHole): number {
  for (let p = h.lo; p <= h.hi; p++) if (inHole(h, p)) return p;
  return 0;
}

function concretize(e: Expected): Observed {
  const bound = (b: { addr: string; port: number | PortHole } | null | undefined): Bound | undefined =>
    b ? { addr: b.addr, port: typeof b.port === 'number' ? b.port : fill(b.port) } : undefined;
  if (e.kind === 'blocked') {
    const b = bound(e.bound);
    return b ? { kind: 'blocked', bound: b } : { kind: 'blocked' };
  }
  const o: Observed = { kind: 'returned', ret: e.ret };
  if (e.errno !== undefined) o.errno = e.errno;
  if (e.addr !== undefined) o.addr = e.addr;
  if (e.addrlen !== undefined) o.addrlen = e.addrlen;
  if (e.data !== undefined) o.data = e.data;
  if (e.msgFlags !== undefined) o.msgFlags = e.msgFlags;
  if (e.controllen !== undefined) o.controllen = e.controllen;
  if (e.optval !== undefined) o.optval = typeof e.optval === 'string' ? e.optval : valueHex(e.optval.lo, e.optval.bytes, e.optval.shown);
  if (e.optlen !== undefined) o.optlen = e.optlen;
  if (e.offset !== undefined) o.offset = e.offset;
  if (e.revents !== undefined) o.revents = [...e.revents];
  if (e.sets !== undefined) o.sets = { ...e.sets };
  if (e.sv !== undefined) o.sv = [e.sv[0], e.sv[1]];
  const b = bound(e.bound);
  if (b) o.bound = b;
  return o;
}

/** Builds a model adapter answering by `profile` and `stepFn` (the real model by default). */
export function modelAdapter(profile: Profile = DEFAULT_PROFILE, stepFn: StepFn = step): Adapter {
  return {
    name: 'model',
    async open(opts): Promise<Session> {
      const w = opts.world ?? {};
      const p: Profile = { ...profile, nofile: w.nofile ?? profile.nofile, capNetBindService: w.capNetBindService ?? profile.capNetBindService };
      // The world's file: the profile's facts, or ext4's.
      if (w.file === true) p.file = profile.file ?? EXT4_FILE;
      else delete p.file;
      let state = initialState(p);
      return {
        profile: p,
        async exec(call: Call): Promise<Observed> {
          const first = stepFn(state, call)[0];
          if (first === undefined) return { kind: 'crashed', detail: 'model allowed no outcome' };
          const obs = concretize(first.expect);
          state = first.next(obs);
          return obs;
        },
        async settle() {},
        async close() {},
      };
    },
  };
}
