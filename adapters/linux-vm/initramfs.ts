/**
 * The guest's initramfs, made on the fly: busybox-static, the guest program (guest.c with
 * the linux adapter's shim.c and nosleep.c, built `cc -static`), the modules the kernel
 * needs (kernels.ts guestModules) and an /init that loads them, brings lo up, runs the
 * program on the virtio-serial port and powers the guest off when it exits. Written as an
 * uncompressed newc cpio (which every kernel takes) into <repo>/.cache/, once per content.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildC, onPath } from '../cbuild.js';
import { guestModules, type Kernel } from './kernels.js';

const here = (f: string): string => fileURLToPath(new URL(f, import.meta.url));
const CACHE = fileURLToPath(new URL('../../.cache/', import.meta.url));

/** How many initramfs archives the cache keeps (the newest). */
const KEEP_ARCHIVES = 6;

/** Where busybox-static installs busybox (Debian). */
export const BUSYBOX = '/bin/busybox';

/** The guest program, built static (cached like the shim). */
export function buildGuest(): string {
  return buildC({
    prefix: 'sockspec-vm-guest-', suffix: '', what: 'the linux-vm guest program (cc -static; needs libc6-dev)',
    sources: [here('./guest.c'), here('../linux/shim.c'), here('../linux/nosleep.c')],
    headers: [here('../linux/nosleep.h'), here('../cbound.h')],
    flags: ['-static', '-O2'], libs: ['-lrt'],
  });
}

/** Why busybox-static is not usable here (undefined when it is). */
export function busyboxUnavailable(): string | undefined {
  if (!existsSync(BUSYBOX)) return `${BUSYBOX} not found (Debian package busybox-static)`;
  const b = readFileSync(BUSYBOX);
  // A dynamically linked busybox (package busybox) has a PT_INTERP naming the loader.
  if (b.includes('/lib64/ld-linux')) return `${BUSYBOX} is dynamically linked: install busybox-static`;
  return undefined;
}

function init(modules: readonly string[]): string {
  return `#!/bin/busybox sh
B=/bin/busybox
$B mount -t proc proc /proc
$B mount -t sysfs sys /sys
$B mount -t devtmpfs dev /dev
$B mount -t tmpfs tmp /tmp
for m in ${modules.join(' ')}; do $B insmod /lib/sockspec/$m.ko || echo "sockspec-init: insmod $m failed"; done
$B ip link set lo up
port=
for i in $($B seq 1 200); do
  for p in /dev/vport*p*; do [ -e "$p" ] && port=$p; done
  [ -n "$port" ] && break
  $B usleep 50000
done
if [ -z "$port" ]; then echo "sockspec-init: no virtio-serial port (is virtio_console built in or loaded?)"; else /bin/sockspec-guest "$port"; echo "sockspec-init: the guest program exited with status $?"; fi
$B poweroff -f
`;
}

/** A newc cpio archive of `entries` (directories, regular files), with its trailer. */
function cpio(entries: readonly { path: string; mode: number; data?: Buffer }[]): Buffer {
  const parts: Buffer[] = [];
  const hex = (n: number): string => n.toString(16).padStart(8, '0');
  const pad = (n: number): Buffer => Buffer.alloc((4 - (n % 4)) % 4);
  let ino = 1;
  for (const e of [...entries, { path: 'TRAILER!!!', mode: 0 }]) {
    const data: Buffer = 'data' in e && e.data !== undefined ? e.data : Buffer.alloc(0);
    const name = Buffer.from(`${e.path}\0`);
    const head = `070701${hex(ino++)}${hex(e.mode)}${hex(0)}${hex(0)}${hex(1)}${hex(0)}${hex(data.length)}${hex(0)}${hex(0)}${hex(0)}${hex(0)}${hex(name.length)}${hex(0)}`;
    parts.push(Buffer.from(head), name, pad(110 + name.length), data, pad(data.length));
  }
  return Buffer.concat(parts);
}

/**
 * The path of the initramfs for kernel `k` (built on first use). Throws a one-line reason
 * when busybox-static or cc is missing.
 */
export function initramfs(k: Kernel): string {
  const why = busyboxUnavailable();
  if (why !== undefined) throw new Error(why);
  if (!onPath('cc')) throw new Error('cc not found: cannot build the linux-vm guest program (Debian packages gcc, libc6-dev)');
  const guest = readFileSync(buildGuest());
  const mods = guestModules(k);
  const DIR = 0o040755, EXE = 0o100755, FILE = 0o100644;
  const entries: { path: string; mode: number; data?: Buffer }[] = [
    ...['bin', 'dev', 'proc', 'sys', 'tmp', 'lib', 'lib/sockspec'].map((p) => ({ path: p, mode: DIR })),
    { path: 'init', mode: EXE, data: Buffer.from(init(mods.map((m) => m.name))) },
    { path: 'bin/busybox', mode: EXE, data: readFileSync(BUSYBOX) },
    { path: 'bin/sockspec-guest', mode: EXE, data: guest },
    ...mods.map((m) => ({ path: `lib/sockspec/${m.name}.ko`, mode: FILE, data: m.bytes })),
  ];
  const h = createHash('sha256');
  for (const e of entries) h.update(e.path).update(String(e.mode)).update(e.data ?? Buffer.alloc(0));
  const out = join(CACHE, `sockspec-vm-initrd-${h.digest('hex').slice(0, 16)}.cpio`);
  if (existsSync(out)) return out;
  mkdirSync(CACHE, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(tmp, cpio(entries));
  renameSync(tmp, out);
  // Older archives (another guest program or module set) are removed: the newest few stay (one per kernel in use).
  const old = readdirSync(CACHE).filter((f) => /^sockspec-vm-initrd-[0-9a-f]{16}\.cpio$/.test(f))
    .map((f) => ({ f, t: statSync(join(CACHE, f)).mtimeMs })).sort((x, y) => y.t - x.t);
  for (const { f } of old.slice(KEEP_ARCHIVES)) rmSync(join(CACHE, f), { force: true });
  return out;
}
