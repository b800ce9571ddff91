/**
 * Steering: before a generated call runs, the runner knows which rules the model predicts
 * for it; a call whose predicted rules and shape match a listed divergence that says
 * `steer` (harness/expectations.ts) is not made as drawn. Only generated calls are
 * steered (a replayed trace runs as recorded). Never changes the model.
 */
import type { Call } from '../spec/call.js';
import { FD_CLOEXEC, F_SETFD, F_SETFL, O_NONBLOCK, SOCK_CLOEXEC, SOCK_NONBLOCK } from '../spec/constants.js';
import type { Observed } from '../spec/observed.js';
import type { Known } from './expectations.js';

/** What the runner does with a call: run it, skip it, or run another and then more. */
export type Steered =
  | { kind: 'run' }
  | { kind: 'skip'; key: string }
  | { kind: 'replace'; key: string; call: Call; then: (o: Observed) => Call[] };

/** Whether `v` fits `shape` (see Steer.shape): equal fields, `{ anyBits }`, nested objects. */
export function fitsShape(v: unknown, shape: unknown): boolean {
  if (typeof shape !== 'object' || shape === null) return v === shape;
  if ('anyBits' in shape && typeof (shape as { anyBits: unknown }).anyBits === 'number') {
    return typeof v === 'number' && (v & (shape as { anyBits: number }).anyBits) !== 0;
  }
  if (typeof v !== 'object' || v === null) return false;
  return Object.entries(shape).every(([k, s]) => fitsShape((v as Record<string, unknown>)[k], s));
}

/** How to run `call`, whose predicted rules are `predicted`, given the known divergences. */
export function steer(call: Call, predicted: readonly string[], known: Known | undefined): Steered {
  if (known === undefined || known.steer.length === 0) return { kind: 'run' };
  const rules = [...new Set(predicted)].sort().join(' ');
  const hit = known.steer.find((s) => s.op === call.op && s.allowed.join(' ') === rules && fitsShape(call, s.steer.shape));
  if (hit === undefined) return { kind: 'run' };
  if (hit.steer.instead === 'skip') return { kind: 'skip', key: hit.key };
  if (call.op !== 'socket') return { kind: 'run' }; // flags-by-fcntl is about socket() only
  const flags = call.type & (SOCK_NONBLOCK | SOCK_CLOEXEC);
  return {
    kind: 'replace', key: hit.key, call: { ...call, type: call.type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC) },
    then: (o) => {
      if (o.kind !== 'returned' || o.ret < 0) return [];
      return [
        ...(flags & SOCK_NONBLOCK ? [{ op: 'fcntl' as const, fd: o.ret, cmd: F_SETFL, arg: O_NONBLOCK }] : []),
        ...(flags & SOCK_CLOEXEC ? [{ op: 'fcntl' as const, fd: o.ret, cmd: F_SETFD, arg: FD_CLOEXEC }] : []),
      ];
    },
  };
}
