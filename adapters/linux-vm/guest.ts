/**
 * One qemu guest running sockspec's guest program (guest.c), and the request/response
 * channel to it: a virtio-serial port whose qemu end is a unix socket (in the abstract
 * namespace: no file) that this process listens on and qemu connects to. The console
 * (ttyS0) is qemu's stdout, kept for error messages. The guest is never left running:
 * kill() ends it, this process's exit kills it (adapters/exec/reaper.ts), and if this
 * process is killed outright (kill -9) qemu gets SIGKILL from the kernel (setpriv
 * --pdeathsig), and the guest would see EOF on its port and power off.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { onPath } from '../cbuild.js';
import { forget, killGroup, track } from '../exec/reaper.js';
import { initramfs } from './initramfs.js';
import type { Kernel } from './kernels.js';

/** Request commands (guest.c CMD_*). */
export const CMD = { exec: 1, tryExec: 2, open: 3, close: 4, read: 5, probeSocketcall: 6 } as const;
/** Frame sizes (guest.c A_SLOTS, OUT_LEN, RES_LEN). */
export const A_SLOTS = 10, OUT_LEN = 256, RES_LEN = 12;
const HEAD = 4 + 4 * RES_LEN + OUT_LEN + 4;

/** What the guest answered to one request. */
export interface Reply {
  rc: number;
  res: Int32Array;
  out: Buffer;
  vout: Int32Array;
  text: Buffer;
}

/** One request (see guest.c for the frame layout). */
export interface Request {
  cmd: number;
  op?: number;
  a?: Float64Array;
  out?: Buffer;
  vec?: Int32Array;
  nvout?: number;
  text?: string;
}

export const QEMU = 'qemu-system-x86_64';

/** Why qemu cannot run here (undefined when it can). */
export function qemuUnavailable(): string | undefined {
  return onPath(QEMU) ? undefined : `${QEMU} not found (Debian package qemu-system-x86)`;
}

/** How long a guest may take to boot and answer its first request (TCG on a loaded machine). */
const BOOT_MS = 180_000;
/** How long past a call's own deadline the guest may take to answer before it counts as hung. */
const SLACK_MS = 60_000;
/** The console lines kept for error messages. */
const CONSOLE_KEEP = 4000;

export class Guest {
  private buf: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private dead: Error | undefined;
  private console = '';

  private chan: Socket | undefined;

  private constructor(private readonly proc: ChildProcess, readonly kernel: Kernel) {
    const keep = (d: Buffer): void => { this.console = (this.console + d.toString('latin1')).slice(-CONSOLE_KEEP); };
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    proc.on('exit', (code, sig) => this.fail(new Error(`the qemu guest (${kernel.name}) exited (${sig ?? `status ${code}`})${this.tail()}`)));
    proc.on('error', (e) => this.fail(new Error(`cannot run ${QEMU}: ${e.message}`)));
  }

  /** Boots `k` and waits until its program answers (rejects, with the console's tail, if it does not). */
  static async boot(k: Kernel): Promise<Guest> {
    const why = qemuUnavailable();
    if (why !== undefined) throw new Error(why);
    const initrd = initramfs(k);
    const name = `sockspec-vm-${process.pid}-${randomBytes(6).toString('hex')}`;
    const server = createServer();
    await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(`\0${name}`, resolve); });
    const qemu = [QEMU, '-accel', 'tcg', '-m', '256', '-smp', '1', '-nodefaults', '-no-user-config', '-display', 'none', '-nic', 'none', '-no-reboot',
      '-kernel', k.image, '-initrd', initrd, '-append', 'console=ttyS0 quiet panic=-1 mitigations=off',
      '-chardev', 'stdio,id=con,signal=off', '-serial', 'chardev:con',
      '-chardev', `socket,id=ch,path=${name},abstract=on,tight=off,server=off`, '-device', 'virtio-serial-pci', '-device', 'virtserialport,chardev=ch,name=sockspec'];
    const argv = onPath('setpriv') ? ['setpriv', '--pdeathsig', 'KILL', '--', ...qemu] : qemu;
    const proc = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    if (proc.pid !== undefined) track(proc.pid);
    const g = new Guest(proc, k);
    try {
      g.chan = await new Promise<Socket>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`qemu did not connect to its channel within ${BOOT_MS / 1000} s${g.tail()}`)), BOOT_MS);
        server.once('connection', (c) => { clearTimeout(t); resolve(c); });
        proc.once('exit', () => { clearTimeout(t); setImmediate(() => reject(g.dead ?? new Error('qemu exited'))); });
      });
      server.close();
      g.chan.on('data', (d: Buffer) => g.onData(d));
      g.chan.on('error', () => undefined);
      g.chan.on('close', () => {
        g.fail(new Error(`the qemu guest's channel (${k.name}) closed${g.tail()}`));
        g.kill();
      });
      await g.request({ cmd: CMD.read, text: '/proc/sys/kernel/osrelease' }, BOOT_MS);
    } catch (e) {
      server.close();
      g.kill();
      throw e;
    }
    return g;
  }

  /** The last lines the guest's console printed, for messages. */
  tail(): string {
    const lines = this.console.replace(/\r/g, '').split('\n').filter((l) => l.trim() !== '').slice(-6);
    return lines.length > 0 ? `; its console ended with:\n  ${lines.join('\n  ')}` : '';
  }

  /**
   * Sends one request and resolves with the reply; requests are answered in order, one at
   * a time. Rejects (and kills the guest) when it does not answer within `timeoutMs` or
   * has died: the guest is then unusable.
   */
  request(r: Request, timeoutMs: number): Promise<Reply> {
    const p = this.queue.then(() => this.send(r, timeoutMs + SLACK_MS));
    this.queue = p.catch(() => undefined);
    return p;
  }

  private send(r: Request, timeoutMs: number): Promise<Reply> {
    if (this.dead) return Promise.reject(this.dead);
    const vec = r.vec ?? new Int32Array(0);
    const text = Buffer.from(r.text ?? '');
    const f = Buffer.alloc(20 + 8 * A_SLOTS + OUT_LEN + 4 * vec.length + text.length);
    f.writeInt32LE(r.cmd, 0);
    f.writeInt32LE(r.op ?? 0, 4);
    f.writeInt32LE(vec.length, 8);
    f.writeInt32LE(r.nvout ?? 0, 12);
    f.writeInt32LE(text.length, 16);
    if (r.a) Buffer.from(r.a.buffer, r.a.byteOffset, 8 * A_SLOTS).copy(f, 20);
    if (r.out) r.out.copy(f, 20 + 8 * A_SLOTS, 0, OUT_LEN);
    Buffer.from(vec.buffer, vec.byteOffset, 4 * vec.length).copy(f, 20 + 8 * A_SLOTS + OUT_LEN);
    text.copy(f, 20 + 8 * A_SLOTS + OUT_LEN + 4 * vec.length);
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new Error(`the qemu guest (${this.kernel.name}) did not answer within ${Math.round(timeoutMs / 1000)} s${this.tail()}`));
        this.kill();
      }, timeoutMs);
      this.waiting = { resolve, reject, timer };
      this.chan!.write(f);
    });
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    if (this.buf.length < HEAD) return;
    const nvout = this.buf.readInt32LE(HEAD - 4);
    const tAt = HEAD + 4 * nvout;
    if (this.buf.length < tAt + 4) return;
    const tlen = this.buf.readInt32LE(tAt);
    const end = tAt + 4 + tlen;
    if (this.buf.length < end) return;
    const b = Buffer.from(this.buf.subarray(0, end));
    this.buf = this.buf.subarray(end);
    const w = this.waiting;
    this.waiting = undefined;
    if (w === undefined) return this.fail(new Error(`the qemu guest (${this.kernel.name}) sent a reply nobody asked for`));
    clearTimeout(w.timer);
    const words = (at: number, n: number): Int32Array => new Int32Array(b.buffer.slice(b.byteOffset + at, b.byteOffset + at + 4 * n));
    w.resolve({ rc: b.readInt32LE(0), res: words(4, RES_LEN), out: b.subarray(4 + 4 * RES_LEN, 4 + 4 * RES_LEN + OUT_LEN), vout: words(HEAD, nvout), text: b.subarray(tAt + 4, end) });
  }

  private fail(e: Error): void {
    this.dead ??= e;
    const w = this.waiting;
    this.waiting = undefined;
    if (w) {
      clearTimeout(w.timer);
      w.reject(this.dead);
    }
  }

  /** Whether the guest is still usable (not dead, not killed). */
  get alive(): boolean {
    return this.dead === undefined;
  }

  /** Why the guest is gone ('' while it is alive). */
  deathReason(): string {
    return this.dead?.message ?? '';
  }

  /** Kills qemu (SIGKILL to its process group). Idempotent. */
  kill(): void {
    this.fail(new Error(`the qemu guest (${this.kernel.name}) was shut down`));
    const pid = this.proc.pid;
    if (pid !== undefined) {
      killGroup(pid);
      forget(pid);
    }
    this.chan?.destroy();
  }
}
