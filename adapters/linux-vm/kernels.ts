/**
 * The kernels the linux-vm adapter boots: a name from KERNELS (a Debian bookworm package,
 * fetched with `apt-get download` into <repo>/.cache/kernels/ and unpacked there with
 * `dpkg-deb -x`; never installed on the host), or a path to any bzImage/vmlinuz. Also
 * picks the modules the guest needs (virtio_pci and virtio_console for the channel, vsock_loopback for
 * AF_VSOCK's CID 1) with their dependencies, read from each .ko's modinfo.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onPath } from '../cbuild.js';

/** Kernels known by a short name: the Debian bookworm package that holds each. */
export const KERNELS: Readonly<Record<string, string>> = {
  '6.1': 'linux-image-6.1.0-50-amd64-unsigned',
  '6.12': 'linux-image-6.12.118+deb12-amd64-unsigned',
};

/** The modules the guest loads when the kernel has them as modules (in this order, each after its dependencies). */
export const WANTED_MODULES = ['virtio_pci', 'virtio_console', 'vsock', 'vsock_loopback'];

const CACHE = fileURLToPath(new URL('../../.cache/kernels/', import.meta.url));

export interface Kernel {
  /** What the user named (`6.1`, or the image's path). */
  name: string;
  image: string;
  /** lib/modules/<release> of the image, when known. */
  modulesDir?: string;
}

/** Whether the package of a named kernel is already unpacked in the cache. */
export function kernelCached(spec: string): boolean {
  const pkg = KERNELS[spec];
  return pkg !== undefined && existsSync(join(CACHE, pkg, 'boot'));
}

/** Why a named kernel cannot be fetched here (undefined when apt-get and dpkg-deb exist). */
export function fetchUnavailable(): string | undefined {
  if (!onPath('apt-get') || !onPath('dpkg-deb')) return 'apt-get and dpkg-deb are needed to fetch a Debian kernel package (a Debian machine)';
  return undefined;
}

/** The unpacked package directory of a named kernel, fetching and unpacking it on first use. */
function unpacked(pkg: string): string {
  const dir = join(CACHE, pkg);
  if (existsSync(join(dir, 'boot'))) return dir;
  const why = fetchUnavailable();
  if (why !== undefined) throw new Error(why);
  mkdirSync(CACHE, { recursive: true });
  const tmp = join(CACHE, `.fetch-${process.pid}-${Date.now()}`);
  mkdirSync(tmp);
  try {
    try {
      execFileSync('apt-get', ['download', pkg], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      const err = (e as { stderr?: Buffer }).stderr?.toString().trim().split('\n').pop();
      throw new Error(`apt-get download ${pkg} failed (${err ?? (e as Error).message}); is apt's list of Debian bookworm packages current (apt-get update)?`);
    }
    const deb = readdirSync(tmp).find((f) => f.endsWith('.deb'));
    if (deb === undefined) throw new Error(`apt-get download ${pkg} left no .deb`);
    execFileSync('dpkg-deb', ['-x', join(tmp, deb), join(tmp, 'x')], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      renameSync(join(tmp, 'x'), dir);
    } catch (e) {
      // Another process (a parallel job) unpacked it first: theirs is used, ours removed below.
      if (!existsSync(join(dir, 'boot'))) throw e;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}

/** The single lib/modules/<release> directory under `root`, if any. */
function modulesUnder(root: string): string | undefined {
  const base = join(root, 'lib/modules');
  if (!existsSync(base)) return undefined;
  const rels = readdirSync(base).filter((r) => existsSync(join(base, r, 'kernel')));
  return rels.length === 1 ? join(base, rels[0]!) : undefined;
}

/**
 * Resolves `spec` (a name from KERNELS, or a path to a kernel image) to a bootable image;
 * fetches a named one on first use. Modules of a path are looked for as a package unpacks
 * them: <image>/../../lib/modules/<release>. Throws a one-line reason.
 */
export function resolveKernel(spec: string): Kernel {
  const pkg = KERNELS[spec];
  if (pkg !== undefined) {
    const dir = unpacked(pkg);
    const image = readdirSync(join(dir, 'boot')).find((f) => f.startsWith('vmlinuz-'));
    if (image === undefined) throw new Error(`${pkg} holds no boot/vmlinuz-*`);
    const modulesDir = modulesUnder(dir);
    return { name: spec, image: join(dir, 'boot', image), ...(modulesDir ? { modulesDir } : {}) };
  }
  if (!spec.includes('/')) throw new Error(`unknown kernel '${spec}' (known: ${Object.keys(KERNELS).join(', ')}, or a path to a kernel image)`);
  if (!existsSync(spec) || !statSync(spec).isFile()) throw new Error(`no kernel image at ${spec}`);
  const modulesDir = modulesUnder(dirname(dirname(spec)));
  return { name: spec, image: spec, ...(modulesDir ? { modulesDir } : {}) };
}

/** A module's bytes, decompressed (.ko, .ko.xz, .ko.zst, .ko.gz). */
function moduleBytes(path: string): Buffer {
  if (path.endsWith('.ko')) return readFileSync(path);
  const tool = path.endsWith('.xz') ? 'xz' : path.endsWith('.zst') ? 'zstd' : path.endsWith('.gz') ? 'gzip' : undefined;
  if (tool === undefined || !onPath(tool)) throw new Error(`cannot decompress ${path}: ${tool ?? 'unknown format'}${tool ? ' not installed' : ''}`);
  return execFileSync(tool, ['-dc', path], { maxBuffer: 64 << 20 });
}

const modName = (p: string): string => basename(p).replace(/\.ko(\.\w+)?$/, '').replace(/-/g, '_');

/** The `depends=` of a module's .modinfo (NUL-separated key=value strings). */
function dependsOf(ko: Buffer): string[] {
  const at = ko.indexOf('\0depends=');
  if (at < 0) return [];
  const end = ko.indexOf(0, at + 1);
  return ko.toString('latin1', at + '\0depends='.length, end).split(',').filter((d) => d !== '').map((d) => d.replace(/-/g, '_'));
}

/**
 * The modules among `wanted` that `k` builds as modules, with what they depend on, in an
 * order insmod can load them (dependencies first), decompressed. Built-in and absent
 * modules are left out (the guest then has them or does without).
 */
export function guestModules(k: Kernel, wanted: readonly string[] = WANTED_MODULES): { name: string; bytes: Buffer }[] {
  if (k.modulesDir === undefined) return [];
  const order = join(k.modulesDir, 'modules.order');
  const paths = new Map<string, string>();
  if (existsSync(order)) {
    for (const line of readFileSync(order, 'utf8').split('\n')) {
      if (line === '') continue;
      for (const suf of ['', '.xz', '.zst', '.gz']) {
        const p = join(k.modulesDir, line + suf);
        if (existsSync(p)) { paths.set(modName(line), p); break; }
      }
    }
  }
  const out: { name: string; bytes: Buffer }[] = [];
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    const p = paths.get(name);
    if (p === undefined) return; // built in, or not built
    const bytes = moduleBytes(p);
    for (const d of dependsOf(bytes)) visit(d);
    out.push({ name, bytes });
  };
  for (const w of wanted) visit(w);
  return out;
}
