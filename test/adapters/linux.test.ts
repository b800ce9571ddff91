/**
 * The linux adapter against the real kernel: namespaces, the fd mapping, deadlines and
 * cleanup. Each test opens its own session (one at a time per process) and closes it.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { linuxAdapter, linuxAsyncCalls, linuxAvailable } from '../../adapters/linux/index.js';
import type { Session } from '../../spec/adapter.js';
import type { AddrIn, AddrOut, Call } from '../../spec/call.js';
import { AF_INET, AF_UNSPEC, F_GETFD, F_GETFL, F_SETFL, FD_CLOEXEC, O_LARGEFILE, O_NONBLOCK, O_RDONLY, O_RDWR, SOCK_CLOEXEC, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_STREAM, SOL_SOCKET } from '../../spec/constants.js';
import type { Observed } from '../../spec/observed.js';

const why = linuxAvailable();
const title = why === undefined ? 'linux adapter' : `linux adapter (skipped: ${why})`;

const OUT: AddrOut = { ptr: 'ok', lenPtr: 'ok', len: 16 };
const tcp = (nonblock = false): Call => ({ op: 'socket', domain: AF_INET, type: SOCK_STREAM | (nonblock ? O_NONBLOCK : 0), protocol: 0 });
const lo = (port: number): AddrIn => ({ ptr: 'ok', len: 16, family: AF_INET, addr: '127.0.0.1', port });

async function withSession<T>(deadlineMs: number, body: (s: Session) => Promise<T>): Promise<T> {
  const s = await linuxAdapter.open({ deadlineMs });
  try {
    return await body(s);
  } finally {
    await s.close();
  }
}

/** The port in a getsockname buffer (sockaddr_in: family u16 LE, port u16 BE). */
function portOf(o: Observed): number {
  if (o.kind !== 'returned' || o.addr === undefined) throw new Error(`no address in ${JSON.stringify(o)}`);
  return Buffer.from(o.addr, 'hex').readUInt16BE(2);
}

function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Runs `calls` in a fresh session; returns the observations and how many went to a worker thread. */
async function observe(calls: Call[], deadlineMs = 50): Promise<{ obs: Observed[]; timed: number }> {
  return withSession(deadlineMs, async (s) => {
    const before = linuxAsyncCalls();
    const obs: Observed[] = [];
    for (const c of calls) obs.push(await s.exec(c));
    return { obs, timed: linuxAsyncCalls() - before };
  });
}

/** Ephemeral ports replaced by 'eph' (they differ from run to run). */
function portless(obs: Observed[]): unknown {
  return JSON.parse(JSON.stringify(obs).replace(/"port":(3[2-9]|[4-6]\d)\d{3}\b/g, '"port":"eph"').replace(/"addr":"0200[0-9a-f]{4}/g, '"addr":"0200PORT'));
}

/**
 * setsockopt(SO_SNDTIMEO) on /dev/null: ENOTSOCK, no effect on any socket, but the shim
 * stops splitting blocking connects for the session, so each one takes the timed path as
 * a single blocking call: the reference the split is compared with.
 */
const NO_SPLIT: Call = { op: 'setsockopt', fd: 0, level: SOL_SOCKET, name: 21, value: 0, optlen: 16 };

describe('linuxAvailable', () => {
  const capSysAdmin = (BigInt(`0x${/^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0'}`) >> 21n) & 1n;
  it.skipIf(capSysAdmin !== 1n)('is undefined when CAP_SYS_ADMIN is effective (skipped without it)', () => {
    expect(linuxAvailable()).toBeUndefined();
  });
});

describe.skipIf(why !== undefined)(title, () => {
  it('binds port 0 to an ephemeral port in the profile range and reports it as bound', async () => {
    await withSession(100, async (s) => {
      const [lo0, hi] = s.profile.portRange;
      expect(await s.exec(tcp())).toEqual({ kind: 'returned', ret: 4 });
      const b = await s.exec({ op: 'bind', fd: 4, addr: lo(0) });
      expect(b.kind === 'returned' && b.ret).toBe(0);
      expect(await s.exec({ op: 'listen', fd: 4, backlog: 8 })).toEqual(b);
      const n = await s.exec({ op: 'getsockname', fd: 4, out: OUT });
      const port = portOf(n);
      expect(port).toBeGreaterThanOrEqual(lo0);
      expect(port).toBeLessThanOrEqual(hi);
      expect(b).toEqual({ kind: 'returned', ret: 0, bound: { addr: '127.0.0.1', port } });
      expect(n).toMatchObject({ ret: 0, addrlen: 16 });
    });
  });

  it('starts from the initial fd table: /dev/null x3 and a pipe read end; fd 5 is EBADF', async () => {
    await withSession(100, async (s) => {
      for (const fd of [0, 1, 2]) expect(await s.exec({ op: 'fcntl', fd, cmd: F_GETFL, arg: 0 })).toEqual({ kind: 'returned', ret: O_RDWR | O_LARGEFILE });
      expect(await s.exec({ op: 'fcntl', fd: 3, cmd: F_GETFL, arg: 0 })).toEqual({ kind: 'returned', ret: O_RDONLY });
      expect(await s.exec({ op: 'fcntl', fd: 3, cmd: F_GETFD, arg: 0 })).toEqual({ kind: 'returned', ret: 0 });
      expect(await s.exec({ op: 'fcntl', fd: 5, cmd: F_GETFL, arg: 0 })).toEqual({ kind: 'returned', ret: -1, errno: 'EBADF' });
      expect(await s.exec({ op: 'close', fd: -1 })).toEqual({ kind: 'returned', ret: -1, errno: 'EBADF' });
    });
  });

  it('observes a blocking accept on an empty listener as blocked and leaves the listener as it was', async () => {
    await withSession(200, async (s) => {
      await s.exec(tcp());
      await s.exec({ op: 'listen', fd: 4, backlog: 1 });
      expect(await s.exec({ op: 'accept', fd: 4, out: OUT })).toEqual({ kind: 'blocked' });
      // The interrupted accept had no effect: the listener still answers.
      expect(await s.exec({ op: 'fcntl', fd: 4, cmd: F_GETFL, arg: 0 })).toEqual({ kind: 'returned', ret: O_RDWR });
    });
  });

  it('keeps the event loop running while a blocking connect waits out its deadline', async () => {
    const deadline = 200;
    await withSession(deadline, async (s) => {
      await s.exec(tcp());
      await s.exec({ op: 'bind', fd: 4, addr: lo(7001) });
      await s.exec({ op: 'listen', fd: 4, backlog: 0 });
      await s.exec(tcp());
      await s.exec({ op: 'connect', fd: 5, addr: lo(7001) });
      await s.exec(tcp());
      let ticks = 0;
      const timer = setInterval(() => ticks++, 10);
      const o = await s.exec({ op: 'connect', fd: 6, addr: lo(7001) });
      clearInterval(timer);
      expect(o.kind).toBe('blocked');
      // A 200 ms wait on the main thread would have let no 10 ms tick run.
      expect(ticks).toBeGreaterThanOrEqual(5);
    });
  });

  it('observes a blocking connect to a full listener as blocked, with the port it chose', async () => {
    await withSession(50, async (s) => {
      await s.exec(tcp());
      await s.exec({ op: 'bind', fd: 4, addr: lo(7000) });
      await s.exec({ op: 'listen', fd: 4, backlog: 0 });
      await s.exec(tcp());
      expect(await s.exec({ op: 'connect', fd: 5, addr: lo(7000) })).toMatchObject({ kind: 'returned', ret: 0 });
      await s.exec(tcp());
      const o = await s.exec({ op: 'connect', fd: 6, addr: lo(7000) });
      expect(o).toMatchObject({ kind: 'blocked', bound: { addr: '127.0.0.1' } });
    });
  });

  it('answers a non-blocking connect to a loopback listener with EINPROGRESS, then accepts it', async () => {
    await withSession(100, async (s) => {
      await s.exec(tcp());
      await s.exec({ op: 'bind', fd: 4, addr: lo(6000) });
      await s.exec({ op: 'listen', fd: 4, backlog: 4 });
      expect(await s.exec(tcp(true))).toEqual({ kind: 'returned', ret: 5 });
      const c = await s.exec({ op: 'connect', fd: 5, addr: lo(6000) });
      expect(c).toMatchObject({ kind: 'returned', ret: -1, errno: 'EINPROGRESS', bound: { addr: '127.0.0.1' } });
      const a = await s.exec({ op: 'accept4', fd: 4, out: OUT, flags: SOCK_CLOEXEC });
      expect(a).toMatchObject({ kind: 'returned', ret: 6, addrlen: 16 });
      expect(portOf(a)).toBe(c.kind === 'returned' ? c.bound?.port : -1);
      expect(await s.exec({ op: 'fcntl', fd: 6, cmd: F_GETFD, arg: 0 })).toEqual({ kind: 'returned', ret: FD_CLOEXEC });
    });
  });

  it('gives two sessions in sequence separate worlds: the same explicit port, no leftover listener', async () => {
    const ns: string[] = [];
    await withSession(100, async (s) => {
      ns.push(readlinkSync('/proc/thread-self/ns/net'));
      await s.exec(tcp());
      expect(await s.exec({ op: 'bind', fd: 4, addr: lo(5555) })).toMatchObject({ ret: 0 });
      expect(await s.exec({ op: 'listen', fd: 4, backlog: 1 })).toMatchObject({ ret: 0 });
    });
    await withSession(100, async (s) => {
      ns.push(readlinkSync('/proc/thread-self/ns/net'));
      await s.exec(tcp());
      expect(await s.exec({ op: 'connect', fd: 4, addr: lo(5555) })).toMatchObject({ kind: 'returned', ret: -1, errno: 'ECONNREFUSED' });
      await s.exec(tcp());
      expect(await s.exec({ op: 'bind', fd: 5, addr: lo(5555) })).toMatchObject({ ret: 0, bound: { port: 5555 } });
    });
    expect(ns[0]).not.toBe(ns[1]);
    expect(readlinkSync('/proc/thread-self/ns/net')).not.toBe(ns[1]);
  });

  it('refuses a second concurrent session', async () => {
    await withSession(100, async () => {
      await expect(linuxAdapter.open({ deadlineMs: 100 })).rejects.toThrow(/already open/);
    });
  });

  it('connects a blocking socket to a loopback listener on the main thread: 0, no worker call', async () => {
    const { obs, timed } = await observe([
      tcp(), { op: 'bind', fd: 4, addr: lo(7100) }, { op: 'listen', fd: 4, backlog: 4 },
      tcp(), { op: 'connect', fd: 5, addr: lo(7100) }, { op: 'connect', fd: 5, addr: lo(7100) },
    ]);
    expect(obs[4]).toMatchObject({ kind: 'returned', ret: 0, bound: { addr: '127.0.0.1' } });
    expect(obs[5]).toMatchObject({ kind: 'returned', ret: -1, errno: 'EISCONN' });
    expect(timed).toBe(0);
  });

  it('refuses a blocking connect with no listener on the main thread, reporting what the single blocking call reports', async () => {
    const calls: Call[] = [tcp(), { op: 'connect', fd: 4, addr: lo(7101) }, { op: 'getsockname', fd: 4, out: OUT }, { op: 'connect', fd: 4, addr: lo(7101) }];
    const split = await observe(calls);
    const single = await observe([NO_SPLIT, ...calls]);
    expect(split.obs[1]).toMatchObject({ kind: 'returned', ret: -1, errno: 'ECONNREFUSED', bound: { addr: '0.0.0.0' } });
    expect(split.timed).toBe(0);
    expect(single.timed).toBe(2);
    expect(portless(split.obs)).toEqual(portless(single.obs.slice(1)));
  });

  it('observes blocking connects to a full listener as blocked through the worker, as the single blocking call is', async () => {
    const calls: Call[] = [
      tcp(), { op: 'bind', fd: 4, addr: lo(7102) }, { op: 'listen', fd: 4, backlog: 0 },
      tcp(), { op: 'connect', fd: 5, addr: lo(7102) },
      tcp(), { op: 'connect', fd: 6, addr: lo(7102) }, { op: 'connect', fd: 6, addr: lo(7102) },
      { op: 'accept', fd: 4, out: OUT }, { op: 'connect', fd: 6, addr: lo(7102) },
    ];
    const split = await observe(calls);
    const single = await observe([NO_SPLIT, ...calls]);
    expect(split.obs[6]).toMatchObject({ kind: 'blocked', bound: { addr: '127.0.0.1' } });
    expect(split.obs[7]).toMatchObject({ kind: 'blocked', bound: { addr: '127.0.0.1' } });
    // The accept frees the queue, but the dropped SYN is retransmitted only after 1 s: still waiting.
    expect(split.obs[9]).toMatchObject({ kind: 'blocked', bound: { addr: '127.0.0.1' } });
    // Only the three connects that wait on the handshake go to the worker; the accept finds a queued connection.
    expect(split.timed).toBe(3);
    expect(portless(split.obs)).toEqual(portless(single.obs.slice(1)));
  });

  it('completes a non-blocking connect with a later blocking one: 0 on the main thread, blocked on a full listener', async () => {
    const calls: Call[] = [
      tcp(), { op: 'bind', fd: 4, addr: lo(7103) }, { op: 'listen', fd: 4, backlog: 0 },
      tcp(true), { op: 'connect', fd: 5, addr: lo(7103) }, { op: 'fcntl', fd: 5, cmd: F_SETFL, arg: 0 }, { op: 'connect', fd: 5, addr: lo(7103) },
      tcp(true), { op: 'connect', fd: 6, addr: lo(7103) }, { op: 'fcntl', fd: 6, cmd: F_SETFL, arg: 0 }, { op: 'connect', fd: 6, addr: lo(7103) },
      { op: 'fcntl', fd: 6, cmd: F_GETFL, arg: 0 },
    ];
    const split = await observe(calls);
    const single = await observe([NO_SPLIT, ...calls]);
    expect(split.obs[6]).toMatchObject({ kind: 'returned', ret: 0 });
    expect(split.obs[10]).toMatchObject({ kind: 'blocked' });
    // The split restores the file flags: still blocking.
    expect(split.obs[11]).toEqual({ kind: 'returned', ret: O_RDWR });
    expect(split.timed).toBe(1);
    expect(portless(split.obs)).toEqual(portless(single.obs.slice(1)));
  });

  it('answers the calls that fail at once on the main thread: UDP, listener, non-socket, bad fd, AF_UNSPEC', async () => {
    const udp: Call = { op: 'socket', domain: AF_INET, type: SOCK_DGRAM, protocol: 0 };
    const calls: Call[] = [
      tcp(), { op: 'bind', fd: 4, addr: lo(7104) }, { op: 'listen', fd: 4, backlog: 4 },
      { op: 'connect', fd: 4, addr: lo(7104) }, udp, { op: 'connect', fd: 5, addr: lo(9) },
      { op: 'connect', fd: 3, addr: lo(9) }, { op: 'connect', fd: 99, addr: lo(9) },
      { op: 'accept', fd: 5, out: OUT }, { op: 'accept', fd: 3, out: OUT }, { op: 'accept', fd: 99, out: OUT },
      tcp(), { op: 'accept', fd: 6, out: OUT }, { op: 'accept4', fd: 4, out: OUT, flags: 1 },
      { op: 'connect', fd: 6, addr: lo(7104) }, { op: 'connect', fd: 6, addr: { ptr: 'ok', len: 16, family: AF_UNSPEC, addr: '0.0.0.0', port: 0 } },
    ];
    const split = await observe(calls);
    const single = await observe([NO_SPLIT, ...calls]);
    expect(split.obs.slice(3).map((o) => (o.kind === 'returned' ? o.errno ?? o.ret : o.kind))).toEqual([
      'EISCONN', 5, 0, 'ENOTSOCK', 'EBADF', 'EOPNOTSUPP', 'ENOTSOCK', 'EBADF', 6, 'EINVAL', 'EINVAL', 0, 0,
    ]);
    expect(split.timed).toBe(0);
    expect(portless(split.obs)).toEqual(portless(single.obs.slice(1)));
  });

  it('accepts a queued connection on a blocking listener on the main thread; an empty queue goes to the worker', async () => {
    const { obs, timed } = await observe([
      tcp(), { op: 'bind', fd: 4, addr: lo(7105) }, { op: 'listen', fd: 4, backlog: 4 },
      tcp(), { op: 'connect', fd: 5, addr: lo(7105) }, tcp(), { op: 'connect', fd: 6, addr: lo(7105) },
      { op: 'accept', fd: 4, out: OUT }, { op: 'accept4', fd: 4, out: OUT, flags: SOCK_NONBLOCK },
      { op: 'accept4', fd: 4, out: OUT, flags: SOCK_NONBLOCK },
    ]);
    expect(obs[7]).toMatchObject({ kind: 'returned', ret: 7, addrlen: 16 });
    expect(obs[8]).toMatchObject({ kind: 'returned', ret: 8, addrlen: 16 });
    // accept4's SOCK_NONBLOCK marks only the new file: on the blocking listener the call waits.
    expect(obs[9]).toEqual({ kind: 'blocked' });
    expect(timed).toBe(1);
  });

  it('answers EMFILE once the 1024-entry table is full', async () => {
    await withSession(100, async (s) => {
      for (let v = 4; v < 1024; v++) expect(await s.exec(tcp())).toEqual({ kind: 'returned', ret: v });
      expect(await s.exec(tcp())).toEqual({ kind: 'returned', ret: -1, errno: 'EMFILE' });
      await s.exec({ op: 'listen', fd: 4, backlog: 1 });
      expect(await s.exec({ op: 'accept', fd: 4, out: OUT })).toMatchObject({ ret: -1, errno: 'EMFILE' });
    });
  });

  it('closes everything it opened: the fd count and the namespace are back after close', async () => {
    const before = fdCount();
    const host = readlinkSync('/proc/thread-self/ns/net');
    const s = await linuxAdapter.open({ deadlineMs: 50 });
    for (let i = 0; i < 5; i++) await s.exec(tcp());
    await s.exec({ op: 'listen', fd: 4, backlog: 1 });
    await s.exec({ op: 'accept', fd: 4, out: OUT });
    expect(fdCount()).toBeGreaterThan(before);
    await s.close();
    await s.close();
    expect(fdCount()).toBe(before);
    expect(readlinkSync('/proc/thread-self/ns/net')).toBe(host);
    await expect(s.exec(tcp())).rejects.toThrow(/closed/);
  });
});
