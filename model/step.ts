/**
 * The model's single entry point: the allowed outcomes of one call in one world.
 * Pure: reads `s`, never changes it; no I/O, no clock, no randomness.
 */
import { actingCall, type Call, type FdSet } from '../spec/call.js';
import type { Expected } from '../spec/expected.js';
import { acceptStep } from './socket/accept.js';
import { untouched, untouched as untouchedName } from './core/addr.js';
import { bindStep } from './socket/bind.js';
import { closeStep } from './socket/close.js';
import { fcntlStep } from './socket/fcntl.js';
import { getnameStep } from './socket/getname.js';
import { OPTVAL_SHOWN, REVENTS_UNTOUCHED, type SelectSets } from '../spec/observed.js';
import { listenStep } from './socket/listen.js';
import type { Outcome } from './core/outcome.js';
import { shutdownStep } from './socket/shutdown.js';
import { socketStep } from './socket/socket.js';
import { socketcallStep } from './socket/socketcall.js';
import { mmapStep } from './socket/mmap.js';
import { pollStep } from './socket/poll.js';
import { selectStep } from './socket/select.js';
import { recvmsgStep, sendmsgStep } from './socket/msg.js';
import { socketpairStep } from './socket/socketpair.js';
import { sendfileStep } from './socket/sendfile.js';
import type { State } from './core/state.js';
import { connectStep } from './socket/connect.js';
import { getsockoptStep } from './socket/getsockopt.js';
import { setsockoptStep } from './socket/setsockopt.js';
import { sendStep } from './socket/send.js';
import { recvStep } from './socket/recv.js';

/**
 * Every outcome Linux allows for `call` in world `s` (usually one). Out-parameters the
 * rule does not mention are expected untouched; calls that may pick a port expect the
 * adapter's `bound` report to be absent unless the rule says otherwise.
 */
export function step(s: State, call: Call): Outcome[] {
  const outs = dispatch(s, call);
  const acting = actingCall(call);
  for (const o of outs) o.expect = complete(acting, o.expect);
  return outs;
}

/**
 * One arm per op. A plain switch rather than ts-pattern's match(): this is the model's
 * hot path and the switch is several times cheaper; exhaustiveness is still checked by
 * the compiler through the `never` in the default arm.
 */
function dispatch(s: State, call: Call): Outcome[] {
  switch (call.op) {
    case 'socket':
      return socketStep(s, call);
    case 'bind':
      return bindStep(s, call);
    case 'listen':
      return listenStep(s, call);
    case 'accept':
    case 'accept4':
      return acceptStep(s, call);
    case 'connect':
      return connectStep(s, call);
    case 'getsockname':
    case 'getpeername':
      return getnameStep(s, call);
    case 'close':
      return closeStep(s, call);
    case 'fcntl':
      return fcntlStep(s, call);
    case 'setsockopt':
      return setsockoptStep(s, call);
    case 'getsockopt':
      return getsockoptStep(s, call);
    case 'shutdown':
      return shutdownStep(s, call);
    case 'socketcall':
      return socketcallStep(s, call, step);
    case 'mmap':
      return mmapStep(s, call);
    case 'poll':
      return pollStep(s, call);
    case 'select':
      return selectStep(s, call);
    case 'send':
    case 'sendto':
      return sendStep(s, call);
    case 'recv':
    case 'recvfrom':
      return recvStep(s, call);
    case 'sendmsg':
      return sendmsgStep(s, call);
    case 'recvmsg':
      return recvmsgStep(s, call);
    case 'socketpair':
      return socketpairStep(s, call);
    case 'sendfile':
      return sendfileStep(s, call);
    default: {
      const never: never = call;
      throw new Error(`model: unknown call ${JSON.stringify(never)}`);
    }
  }
}

function complete(call: Call, e: Expected): Expected {
  if (e.kind === 'returned') {
    let r = e;
    if ('out' in call) {
      const u = untouched(call.out);
      if (r.addr === undefined && u.addr !== undefined) r = { ...r, addr: u.addr };
      if (r.addrlen === undefined && u.addrlen !== undefined) r = { ...r, addrlen: u.addrlen };
    }
    if (call.op === 'getsockopt') {
      // Untouched: the 0xa5-filled buffer and *optlen as passed.
      if (call.opt.ptr === 'ok' && r.optval === undefined)
        r = { ...r, optval: 'a5'.repeat(Math.max(0, Math.min(call.opt.len, OPTVAL_SHOWN))) };
      if (call.opt.lenPtr === 'ok' && r.optlen === undefined) r = { ...r, optlen: call.opt.len };
    }
    if (call.op === 'recvmsg' && call.msg.ptr === 'ok') {
      // What the msghdr held before the call, where the kernel wrote nothing.
      const m = call.msg;
      if (r.addrlen === undefined) r = { ...r, addrlen: m.name.len };
      const u = untouchedName({ ptr: m.name.ptr, lenPtr: 'ok', len: m.name.len });
      if (r.addr === undefined && u.addr !== undefined) r = { ...r, addr: u.addr };
      if (r.msgFlags === undefined) r = { ...r, msgFlags: m.flags >>> 0 };
      if (r.controllen === undefined) r = { ...r, controllen: m.controllen };
    }
    if (
      (call.op === 'bind' ||
        call.op === 'listen' ||
        call.op === 'connect' ||
        call.op === 'send' ||
        call.op === 'sendto' ||
        call.op === 'sendmsg' ||
        call.op === 'sendfile') &&
      r.bound === undefined
    )
      r = { ...r, bound: null };
    // sendfile64 writes the offset back whenever it read one (unchanged unless bytes went).
    if (call.op === 'sendfile' && call.offset.ptr === 'ok' && r.offset === undefined)
      r = { ...r, offset: call.offset.value };
    // poll and select write their arrays back only when they return >= 0.
    if (call.op === 'poll' && call.fds === 'ok' && r.revents === undefined)
      r = { ...r, revents: call.entries.map(() => REVENTS_UNTOUCHED) };
    if (call.op === 'socketpair' && call.sv === 'ok' && r.sv === undefined && r.ret === 0)
      throw new Error('model: a socketpair that succeeds names its fds');
    if (call.op === 'select' && r.sets === undefined) {
      const sets: SelectSets = {};
      const asPassed = (x: FdSet): number[] | undefined =>
        x.ptr === 'ok' ? [...new Set(x.fds)].sort((a, b) => a - b) : undefined;
      const a = asPassed(call.read);
      if (a) sets.read = a;
      const b = asPassed(call.write);
      if (b) sets.write = b;
      const e2 = asPassed(call.except);
      if (e2) sets.except = e2;
      r = { ...r, sets };
    }
    return r;
  }
  if (call.op === 'connect' && e.bound === undefined) return { ...e, bound: null };
  // A failed recv/recvfrom shows no data (the adapter reports data only for n >= 0).
  return e;
}
