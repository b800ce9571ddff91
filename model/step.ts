/**
 * The model's single entry point: the allowed outcomes of one call in one world.
 * Pure: reads `s`, never changes it; no I/O, no clock, no randomness.
 */
import { match } from 'ts-pattern';
import type { Call } from '../spec/call.js';
import type { Expected } from '../spec/expected.js';
import { acceptStep } from './accept.js';
import { untouched } from './addr.js';
import { bindStep } from './bind.js';
import { closeStep } from './close.js';
import { connectStep } from './connect.js';
import { fcntlStep } from './fcntl.js';
import { getnameStep } from './getname.js';
import { listenStep } from './listen.js';
import type { Outcome } from './outcome.js';
import { setsockoptStep } from './setsockopt.js';
import { socketStep } from './socket.js';
import type { State } from './state.js';

/**
 * Every outcome Linux allows for `call` in world `s` (usually one). Out-parameters the
 * rule does not mention are expected untouched; calls that may pick a port expect the
 * adapter's `bound` report to be absent unless the rule says otherwise.
 */
export function step(s: State, call: Call): Outcome[] {
  const outs = match(call)
    .with({ op: 'socket' }, (c) => socketStep(s, c))
    .with({ op: 'bind' }, (c) => bindStep(s, c))
    .with({ op: 'listen' }, (c) => listenStep(s, c))
    .with({ op: 'accept' }, { op: 'accept4' }, (c) => acceptStep(s, c))
    .with({ op: 'connect' }, (c) => connectStep(s, c))
    .with({ op: 'getsockname' }, { op: 'getpeername' }, (c) => getnameStep(s, c))
    .with({ op: 'close' }, (c) => closeStep(s, c))
    .with({ op: 'fcntl' }, (c) => fcntlStep(s, c))
    .with({ op: 'setsockopt' }, (c) => setsockoptStep(s, c))
    .exhaustive();
  return outs.map((o) => ({ ...o, expect: complete(call, o.expect) }));
}

function complete(call: Call, e: Expected): Expected {
  if (e.kind === 'returned') {
    let r = e;
    if ('out' in call) {
      const u = untouched(call.out);
      if (r.addr === undefined && u.addr !== undefined) r = { ...r, addr: u.addr };
      if (r.addrlen === undefined && u.addrlen !== undefined) r = { ...r, addrlen: u.addrlen };
    }
    if ((call.op === 'bind' || call.op === 'listen' || call.op === 'connect') && r.bound === undefined) r = { ...r, bound: null };
    return r;
  }
  if (call.op === 'connect' && e.bound === undefined) return { ...e, bound: null };
  return e;
}
