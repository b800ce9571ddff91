/**
 * Steering: before a generated call runs, the runner knows which rules the model predicts
 * for it; a call whose predicted rules and shape match a listed divergence that says
 * `steer` (harness/expectations.ts) is not made as drawn. Only generated calls are
 * steered (a replayed trace runs as recorded). Never changes the model.
 */
import type { Call } from '../spec/call.js';
import { AF_INET, FD_CLOEXEC, F_SETFD, F_SETFL, O_NONBLOCK, SOCK_CLOEXEC, SOCK_NONBLOCK, SOCKADDR_IN_LEN } from '../spec/constants.js';
import type { Observed } from '../spec/observed.js';
import type { State } from '../model/index.js';
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

/** Whether `call` is a connect of an unbound AF_INET socket of world `s` to a 127/8 address (bind-first). */
function unboundLoopConnect(s: State, call: Call): call is Extract<Call, { op: 'connect' }> {
  if (call.op !== 'connect' || call.addr.ptr !== 'ok' || call.addr.family !== AF_INET || !call.addr.addr.startsWith('127.')) return false;
  const e = s.fds[call.fd];
  const o = e === undefined ? undefined : s.objs[e.obj];
  return o?.kind === 'socket' && o.family === 'inet' && o.port === 0 && o.addr === '0.0.0.0';
}

/**
 * How to run `call` in world `s` (the first of the runner's worlds), whose predicted
 * rules are `predicted`, given the known divergences.
 */
export function steer(s: State, call: Call, predicted: readonly string[], known: Known | undefined): Steered {
  if (known === undefined || known.steer.length === 0 || predicted.length === 0) return { kind: 'run' };
  const hit = known.steer.find((k) => k.op === call.op && predicted.every((r) => k.rules.has(r)) && fitsShape(call, k.steer.shape)
    && (k.steer.instead !== 'bind-first' || unboundLoopConnect(s, call)));
  if (hit === undefined) return { kind: 'run' };
  if (hit.steer.instead === 'skip') return { kind: 'skip', key: hit.key };
  if (hit.steer.instead === 'bind-first' && call.op === 'connect') {
    const bind: Call = { op: 'bind', fd: call.fd, addr: { ptr: 'ok', len: SOCKADDR_IN_LEN, family: AF_INET, addr: '127.0.0.1', port: 0 } };
    return { kind: 'replace', key: hit.key, call: bind, then: () => [call] };
  }
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
