/**
 * The model's surface: calls well outside what the generator draws (every family number,
 * socket types and protocols, every option number of the common levels, every MSG_ bit on
 * every send and receive call, fcntl commands), each on sockets in a few states. The model
 * must answer each one or refuse it with a 'model: ' message; where it answers, the kernel
 * (the linux adapter) must give an answer the model allows. What this catches is the
 * silently wrong answer: a call the model treats like something else.
 */
import { describe, expect, it } from 'vitest';
import type { AddrIn, Call, MsgIn, MsgOut } from '../../spec/call.js';
import {
  AF_INET, AF_INET6, AF_MAX, AF_UNIX, AF_VSOCK, IPPROTO_IP, IPPROTO_IPV6, IPPROTO_TCP, IPPROTO_UDP, SOCK_DGRAM, SOCK_NONBLOCK,
  SOCK_SEQPACKET, SOCK_STREAM, SOL_SOCKET,
} from '../../spec/constants.js';
import { DEFAULT_PROFILE, type Profile } from '../../spec/profile.js';
import { initialState, step, type State } from '../../model/index.js';
import { runSequence } from '../../harness/runner.js';
import { firstMatch } from '../../harness/match.js';
import { modelAdapter } from '../../adapters/model/index.js';
import { linuxAdapter, linuxAvailable } from '../../adapters/linux/index.js';
import { accept, bind, connect, inet, listen, shutdown } from './helpers.js';

/** One state to probe from: the calls that make it, and the fds the probes act on. */
interface Setup {
  name: string;
  calls: Call[];
  fds: number[];
}

const NB = SOCK_NONBLOCK;
const sock = (domain: number, type: number, protocol = 0): Call => ({ op: 'socket', domain, type, protocol });
const to5000 = inet('127.0.0.1', 5000);
/** `n` sends of 5 bytes on `fd` (to `to` with sendto). */
const sends = (fd: number, n: number, to?: AddrIn): Call[] =>
  Array.from({ length: n }, (): Call => (to ? { op: 'sendto', fd, data: '68656c6c6f', flags: 0, addr: to } : { op: 'send', fd, data: '68656c6c6f', flags: 0 }));
const SETUPS: Setup[] = [
  { name: 'tcp', calls: [sock(AF_INET, SOCK_STREAM | NB)], fds: [4] },
  { name: 'udp', calls: [sock(AF_INET, SOCK_DGRAM | NB)], fds: [4] },
  { name: 'tcp6', calls: [sock(AF_INET6, SOCK_STREAM | NB)], fds: [4] },
  { name: 'udp6', calls: [sock(AF_INET6, SOCK_DGRAM | NB)], fds: [4] },
  { name: 'tcp-listener', calls: [sock(AF_INET, SOCK_STREAM | NB), bind(4, to5000), listen(4, 5)], fds: [4] },
  {
    name: 'tcp-connected',
    calls: [sock(AF_INET, SOCK_STREAM | NB), bind(4, to5000), listen(4, 5), sock(AF_INET, SOCK_STREAM), connect(5, to5000), accept(4)],
    fds: [5, 6],
  },
  { name: 'udp-connected', calls: [sock(AF_INET, SOCK_DGRAM | NB), bind(4, to5000), connect(4, to5000)], fds: [4] },
  {
    name: 'tcp-shut',
    calls: [sock(AF_INET, SOCK_STREAM | NB), bind(4, to5000), listen(4, 5), sock(AF_INET, SOCK_STREAM | NB), connect(5, to5000), accept(4), shutdown(5, 2)],
    fds: [5, 6],
  },
  { name: 'udp-data', calls: [sock(AF_INET, SOCK_DGRAM | NB), bind(4, to5000), ...sends(4, 6, to5000)], fds: [4] },
  { name: 'unix-stream-data', calls: [{ op: 'socketpair', domain: AF_UNIX, type: SOCK_STREAM | NB, protocol: 0, sv: 'ok' }, ...sends(5, 6)], fds: [4] },
  { name: 'unix-dgram-data', calls: [{ op: 'socketpair', domain: AF_UNIX, type: SOCK_DGRAM | NB, protocol: 0, sv: 'ok' }, ...sends(5, 6)], fds: [4] },
  { name: 'udp-shut', calls: [sock(AF_INET, SOCK_DGRAM | NB), bind(4, to5000), shutdown(4, 2)], fds: [4] },
  { name: 'unix-stream', calls: [{ op: 'socketpair', domain: AF_UNIX, type: SOCK_STREAM | NB, protocol: 0, sv: 'ok' }], fds: [4] },
  { name: 'unix-dgram', calls: [{ op: 'socketpair', domain: AF_UNIX, type: SOCK_DGRAM | NB, protocol: 0, sv: 'ok' }], fds: [4] },
  { name: 'unix-seqpacket', calls: [{ op: 'socketpair', domain: AF_UNIX, type: SOCK_SEQPACKET | NB, protocol: 0, sv: 'ok' }], fds: [4] },
];

const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);
/** SOL_UDP, SOL_RAW, SOL_PACKET, SOL_TLS, SOL_MPTCP and nonsense levels, next to the common ones. */
const OTHER_LEVELS = [-1, 255, 263, 17 + 0, 136, 259, 270, 282, 284, 0x7fffffff];
const LEVELS: [number, number[]][] = [
  [SOL_SOCKET, range(0, 80)],
  [IPPROTO_TCP, range(0, 45)],
  [IPPROTO_IP, range(0, 80)],
  [IPPROTO_IPV6, range(0, 80)],
  [IPPROTO_UDP, range(0, 110)],
  ...OTHER_LEVELS.map((l): [number, number[]] => [l, [0, 1, 2]]),
];
/** setsockopt's (int value, optlen) pairs: the usual, zero, negative, short, long. */
const SET_VALUES: [number, number][] = [[1, 4], [0, 4], [-1, 4], [1, 0], [1, 2], [1, 8]];
/** getsockopt's *optlen before the call. */
const GET_LENS = [4, 0, 1, 8, 100, -1];
const BITS = range(0, 31).map((b) => (1 << b) >>> 0 | 0);

/** The probes made on fd `fd` of a setup. */
function probes(fd: number): Call[] {
  const out: Call[] = [];
  for (const [level, names] of LEVELS) {
    for (const name of names) {
      for (const [value, optlen] of SET_VALUES) out.push({ op: 'setsockopt', fd, level, name, value, optlen });
      out.push({ op: 'setsockopt', fd, level, name, value: 1, optlen: 4, ptr: 'null' });
      for (const len of GET_LENS) out.push({ op: 'getsockopt', fd, level, name, opt: { ptr: 'ok', lenPtr: 'ok', len } });
    }
  }
  const msgIn = (data: string): MsgIn => ({ ptr: 'ok', name: { ptr: 'null', len: 0 }, iov: 'ok', iovs: [{ ptr: 'ok', data }], iovlen: 1, control: 'null', controllen: 0, flags: 0 });
  const msgOut: MsgOut = { ptr: 'ok', name: { ptr: 'ok', len: 16 }, iov: 'ok', iovs: [{ ptr: 'ok', len: 16 }], iovlen: 1, control: 'null', controllen: 0, flags: 0 };
  for (const flags of BITS) {
    out.push({ op: 'send', fd, data: '6869', flags });
    out.push({ op: 'sendto', fd, data: '6869', flags, addr: to5000 });
    out.push({ op: 'sendmsg', fd, msg: msgIn('6869'), flags });
    out.push({ op: 'recv', fd, len: 16, flags });
    out.push({ op: 'recvfrom', fd, len: 16, flags, out: { ptr: 'ok', lenPtr: 'ok', len: 16 } });
    out.push({ op: 'recvmsg', fd, msg: msgOut, flags });
  }
  for (const cmd of [...range(0, 48), ...range(1024, 1040)]) out.push({ op: 'fcntl', fd, cmd, arg: 0 });
  for (const b of range(0, 16)) out.push({ op: 'poll', fds: 'ok', entries: [{ fd, events: (1 << b) & 0xffff }], nfds: 1, timeout: 0 });
  for (const len of [-1, 0, 1, 2, 15, 16, 17, 28, 110, 128]) {
    out.push({ op: 'getsockname', fd, out: { ptr: 'ok', lenPtr: 'ok', len } });
    out.push({ op: 'getpeername', fd, out: { ptr: 'ok', lenPtr: 'ok', len } });
  }
  for (const how of range(-1, 4)) out.push({ op: 'shutdown', fd, how });
  for (const flags of BITS) out.push({ op: 'accept4', fd, out: { ptr: 'ok', lenPtr: 'ok', len: 16 }, flags });
  for (const backlog of [-1, 0, 1, 0x7fffffff]) out.push({ op: 'listen', fd, backlog });
  // Addresses of every family number, as a 16-byte sockaddr_in-shaped buffer and a 110-byte one.
  for (const family of range(0, AF_MAX - 1)) {
    for (const len of [16, 110]) {
      out.push({ op: 'bind', fd, addr: { ptr: 'ok', len, family, addr: '127.0.0.1', port: 5001 } });
      out.push({ op: 'connect', fd, addr: { ptr: 'ok', len, family, addr: '127.0.0.1', port: 5001 } });
    }
  }
  for (const prot of range(0, 7)) {
    for (const flags of [1, 2, 3, ...BITS.map((b) => b | 1)]) out.push({ op: 'mmap', fd, len: 4096, prot, flags, offset: 0 });
  }
  return out;
}

/** socket() and socketpair() for every family number, the usual types and a few protocols each. */
function creations(): Call[] {
  const out: Call[] = [];
  const types = [SOCK_STREAM, SOCK_DGRAM, 3, 4, SOCK_SEQPACKET, 6, 10];
  for (const domain of range(0, AF_MAX - 1)) {
    const protos = domain === AF_INET || domain === AF_INET6 ? [0, 1, 2, 6, 17, 58, 132, 136, 255, 262] : [0, 1, 2, 6, 17];
    for (const t of types) {
      for (const protocol of protos) out.push({ op: 'socket', domain, type: t | NB, protocol });
      out.push({ op: 'socketpair', domain, type: t | NB, protocol: 0, sv: 'ok' });
    }
  }
  return out;
}

/** The model's world after `calls` (run on the model adapter, each answer taken as observed). */
async function worldAfter(profile: Profile, calls: Call[]): Promise<State> {
  const session = await modelAdapter(profile).open({ deadlineMs: 1 });
  let s: State = initialState(profile);
  for (const c of calls) {
    const obs = await session.exec(c);
    const o = firstMatch(step(s, c), obs);
    if (o === undefined) throw new Error(`the model adapter diverged from the model on ${JSON.stringify(c)}`);
    s = o.next(obs);
  }
  await session.close();
  return s;
}

/** Errors the model threw that are not refusals (no 'model: ' message): each one a bug. */
const unrefused: string[] = [];

/** Whether the model answers `probe` in world `s` or refuses it (a 'model: ' error; any other error fails). */
function modelTakes(s: State, probe: Call): 'answers' | 'refuses' {
  try {
    step(s, probe);
    return 'answers';
  } catch (e) {
    const m = (e as Error).message;
    if (!m.startsWith('model: ')) unrefused.push(`${JSON.stringify(probe)}: ${m}`);
    return 'refuses';
  }
}

/** Each setup with the probes the model answers from it (the creations from the empty world first). */
async function answered(profile: Profile): Promise<{ setup: Call[]; probes: Call[]; total: number }[]> {
  const out: { setup: Call[]; probes: Call[]; total: number }[] = [];
  const empty = initialState(profile);
  const all = creations();
  out.push({ setup: [], probes: all.filter((c) => modelTakes(empty, c) === 'answers'), total: all.length });
  const vsock: Setup[] = profile.vsock === undefined ? [] : [{ name: 'vsock', calls: [sock(AF_VSOCK, SOCK_STREAM | NB)], fds: [4] }];
  for (const su of [...SETUPS, ...vsock]) {
    const s = await worldAfter(profile, su.calls);
    for (const fd of su.fds) {
      const ps = probes(fd);
      out.push({ setup: su.calls, probes: ps.filter((c) => modelTakes(s, c) === 'answers'), total: ps.length });
    }
  }
  return out;
}

interface Tally {
  agreed: number;
  refused: number;
  unmade: number;
  wrong: string[];
}

/**
 * Runs `setup` then `probes` on a fresh linux session, one after another (the runner
 * moves the model on by what the kernel answered); a refusal or a divergence ends the
 * sequence, which starts again (a fresh world, the setup again) after that probe.
 */
async function sweep(setup: Call[], list: Call[], t: Tally): Promise<void> {
  let rest = list;
  while (rest.length > 0) {
    const session = await linuxAdapter.open({ deadlineMs: 50 });
    let r;
    try {
      r = await runSequence(session, [...setup, ...rest]);
    } finally {
      await session.close();
    }
    const done = r.steps.length - setup.length;
    if (done < 0) throw new Error(`the setup failed: ${r.error ?? JSON.stringify(r.divergence)}`);
    if (r.divergence) {
      t.agreed += done - 1;
      const st = r.steps.at(-1)!;
      // A call the linux adapter does not make (a pointer argument it cannot pass) is no answer.
      if (st.observed.kind === 'unsupported') t.unmade++;
      else t.wrong.push(`${JSON.stringify(st.call)}: kernel ${JSON.stringify(st.observed)}, model ${r.divergence.allowed.map((a) => a.rule).join(' | ')}`);
      rest = rest.slice(done);
    } else if (r.error) {
      t.agreed += done;
      if (!r.error.includes(': model: ')) t.wrong.push(`${JSON.stringify(rest[done])}: ${r.error}`);
      else t.refused++;
      rest = rest.slice(done + 1);
    } else {
      t.agreed += done;
      rest = [];
    }
  }
}

describe('the model surface', () => {
  it('every_probe_is_answered_or_refused_with_a_message', async () => {
    const groups = await answered(DEFAULT_PROFILE);
    const total = groups.reduce((n, g) => n + g.total, 0);
    const taken = groups.reduce((n, g) => n + g.probes.length, 0);
    console.log(`surface (model): ${total} probes, ${taken} answered, ${total - taken} refused`);
    expect(taken).toBeGreaterThan(0);
    expect(unrefused).toEqual([]);
  });

  const why = linuxAvailable();
  (why === undefined ? it : it.skip)(`the_kernel_agrees_wherever_the_model_answers${why === undefined ? '' : ` (skipped: ${why})`}`, async () => {
    const session = await linuxAdapter.open({ deadlineMs: 50 });
    const profile = session.profile;
    await session.close();
    const t: Tally = { agreed: 0, refused: 0, unmade: 0, wrong: [] };
    for (const g of await answered(profile)) await sweep(g.setup, g.probes, t);
    console.log(`surface (kernel): ${t.agreed} answered and agreed, ${t.refused} refused on the way, ${t.unmade} not made by the adapter, ${t.wrong.length} answered wrongly`);
    if (t.wrong.length > 0) console.log(t.wrong.join("\n"));
    expect(t.wrong).toEqual([]);
  }, 1_200_000);
});
