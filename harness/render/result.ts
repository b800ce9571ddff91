/**
 * Answers in one line: what an implementation returned (`= 5`, `= -1 EINVAL`,
 * `= 6 addr=127.0.0.1:40000 len=16`, `= 0 bound=127.0.0.1:40001`, `blocked (no answer
 * within the deadline)`) and what the model allows (the same, with port holes such as
 * `bound=0.0.0.0:(port in [32768, 60999] odd, not {40001})`). Pure.
 */
import type { Call } from '../../spec/call.js';
import { F_GETFD, F_GETFL } from '../../spec/constants.js';
import type { Expected, OptHole, PortHole } from '../../spec/expected.js';
import type { Observed, SelectSets } from '../../spec/observed.js';
import { renderBuffer } from './buffer.js';
import { fdFlagsName, getflResultName, pollBitsName } from './names.js';
import { msgFlagsName } from './call.js';

/** What `blocked` means, spelled out where it is printed. */
export const BLOCKED_TEXT = 'blocked (no answer within the deadline)';
/** At most this many taken ports are listed in a hole. */
const TAKEN_SHOWN = 6;

/** ` (O_RDWR|O_LARGEFILE)` after a successful F_GETFL, ` (FD_CLOEXEC)` after F_GETFD; else ''. */
export function retMeaning(ret: number, call?: Call): string {
  if (call?.op !== 'fcntl' || ret < 0) return '';
  if (call.cmd === F_GETFL) return ` (${getflResultName(ret)})`;
  if (call.cmd === F_GETFD && ret !== 0) return ` (${fdFlagsName(ret)})`;
  return '';
}

/** `port in [32768, 60999] odd, not {40001, 40003}`. */
export function renderHole(h: PortHole): string {
  const parity = h.parity ? ` ${h.parity}` : '';
  let taken = '';
  if (h.taken.length > 0) {
    const shown = h.taken.slice(0, TAKEN_SHOWN).join(', ');
    const more = h.taken.length > TAKEN_SHOWN ? `, ... ${h.taken.length - TAKEN_SHOWN} more` : '';
    taken = `, not {${shown}${more}}`;
  }
  return `port in [${h.lo}, ${h.hi}]${parity}${taken}`;
}

function boundText(b: { addr: string; port: number | PortHole } | null | undefined): string {
  if (b === undefined) return '';
  if (b === null) return ' bound=(none)';
  const host = b.addr.includes(':') ? `[${b.addr}]` : b.addr;
  return ` bound=${host}:${typeof b.port === 'number' ? b.port : `(${renderHole(b.port)})`}`;
}

/**
 * An option buffer: `val=01000000+a5*12`, and after a successful call that filled at
 * least an int, its value: `val=01000000 (1)`. A hole: `val=(int in [16384, 4194304])`,
 * `val=(first 2 bytes of an int in [16384, 4194304])+a5*2`.
 */
export function renderOptval(v: string | OptHole, ret: number): string {
  if (typeof v === 'string') {
    const int = ret === 0 && v.length >= 8 ? ` (${Buffer.from(v.slice(0, 8), 'hex').readInt32LE(0)})` : '';
    return ` val=${renderBuffer(v)}${int}`;
  }
  const n = Math.min(v.bytes, v.shown);
  const what = n >= 4 ? 'int' : `first ${n} bytes of an int`;
  const fill = v.shown - n > 0 ? `+a5*${v.shown - n}` : '';
  return ` val=(${what} in [${v.lo}, ${v.hi}])${fill}`;
}

interface ReturnedFields {
  ret: number;
  errno?: string | undefined;
  addr?: string | undefined;
  addrlen?: number | undefined;
  data?: string | undefined;
  msgFlags?: number | undefined;
  controllen?: number | undefined;
  optval?: string | OptHole | undefined;
  optlen?: number | undefined;
  offset?: number | undefined;
  revents?: number[] | undefined;
  sets?: SelectSets | undefined;
  sv?: [number, number] | undefined;
}

function returnedText(r: ReturnedFields, call?: Call): string {
  let s = `= ${r.ret}`;
  if (r.errno !== undefined) s += ` ${r.errno}`;
  s += retMeaning(r.ret, call);
  if (r.addr !== undefined) s += ` addr=${renderBuffer(r.addr)}`;
  if (r.addrlen !== undefined) s += ` len=${r.addrlen}`;
  if (r.data !== undefined) s += ` data=${r.data === '' ? '(none)' : r.data}`;
  if (r.msgFlags !== undefined) s += ` msg_flags=${msgFlagsName(r.msgFlags)}`;
  if (r.controllen !== undefined) s += ` controllen=${r.controllen}`;
  if (r.optval !== undefined) s += renderOptval(r.optval, r.ret);
  if (r.optlen !== undefined) s += ` len=${r.optlen}`;
  if (r.offset !== undefined) s += ` offset=${r.offset}`;
  if (r.revents !== undefined) s += ` revents=[${r.revents.map((v) => pollBitsName(v, true)).join(', ')}]`;
  if (r.sv !== undefined) s += ` sv=[${r.sv.join(', ')}]`;
  if (r.sets !== undefined) {
    for (const k of ['read', 'write', 'except'] as const) {
      const m = r.sets[k];
      if (m !== undefined) s += ` ${k}={${m.join(', ')}}`;
    }
  }
  return s;
}

/**
 * An observation in one line. `call`, when given, lets fcntl results be decoded
 * (`= 32770 (O_RDWR|O_LARGEFILE)`).
 */
export function renderObserved(o: Observed, call?: Call): string {
  switch (o.kind) {
    case 'returned':
      return returnedText(o, call) + boundText(o.bound);
    case 'blocked':
      return BLOCKED_TEXT + boundText(o.bound);
    case 'crashed':
      return `CRASHED: ${o.detail}`;
    case 'unsupported':
      return `unsupported: ${o.detail}`;
  }
}

/** An allowed outcome in one line, in the same form as renderObserved; `bound=(none)`: no local address. */
export function renderExpected(e: Expected, call?: Call): string {
  switch (e.kind) {
    case 'returned':
      return returnedText(e, call) + boundText(e.bound);
    case 'blocked':
      return BLOCKED_TEXT + boundText(e.bound);
  }
}
