/**
 * The files sockspec reads and writes, made safe: every file is written atomically (a
 * temporary file in the same directory, fsync, rename), so a full disk or a kill leaves
 * the old file or the new one, never half of one; output paths are checked before any
 * work starts; inputs must be regular files (a FIFO would block for ever). Errors are
 * one line naming the path and, where given, the option.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync, constants, fstatSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, realpathSync, renameSync, rmdirSync, statSync,
  unlinkSync, writeSync, type Stats,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** `path`'s stat, or undefined if nothing is there (a dangling symlink counts as nothing). */
function statOrNone(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw e;
  }
}

/** What a non-regular file is, for messages. */
function kindOf(st: Stats): string {
  return st.isFile() ? 'a file' : st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO' : st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device'
    : st.isSocket() ? 'a socket' : 'not a regular file';
}

const label = (path: string, what?: string): string => (what ? `${what} ${path}` : path);

/** The nearest existing ancestor of `path` (absolute); throws if it is not a directory. */
function existingAncestor(path: string, what?: string): string {
  let p = resolve(path);
  for (;;) {
    const st = statOrNone(p);
    if (st !== undefined) {
      if (!st.isDirectory()) throw new Error(`${label(path, what)}: ${p} is ${kindOf(st)}, not a directory`);
      return p;
    }
    const up = dirname(p);
    if (up === p) throw new Error(`${label(path, what)}: no part of this path exists`);
    p = up;
  }
}

/** Throws unless a file can be created in the existing directory `dir` (a probe directory is made and removed). */
function probeCreate(dir: string, path: string, what?: string): void {
  let probe: string;
  try {
    probe = mkdtempSync(join(dir, '.sockspec-probe-'));
  } catch (e) {
    throw new Error(`${label(path, what)}: cannot create files in ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  rmdirSync(probe);
}

/**
 * Checks, before a run, that `path` can be written as a file: it is a regular file (not a
 * device, FIFO or directory), or it can be created (its nearest existing ancestor is a
 * directory in which files can be created). Changes nothing.
 */
export function checkOutputFile(path: string, what?: string): void {
  const st = statOrNone(path);
  if (st !== undefined) {
    if (!st.isFile()) throw new Error(`${label(path, what)}: ${kindOf(st)}; sockspec writes regular files only`);
    probeCreate(dirname(realpathSync(path)), path, what);
    return;
  }
  probeCreate(existingAncestor(dirname(resolve(path)), what), path, what);
}

/** Checks, before a run, that `dir` is a directory files can be written in, or can be created. Changes nothing. */
export function checkOutputDir(dir: string, what?: string): void {
  const st = statOrNone(dir);
  if (st !== undefined && !st.isDirectory()) throw new Error(`${label(dir, what)}: ${kindOf(st)}, not a directory`);
  probeCreate(st !== undefined ? resolve(dir) : existingAncestor(dir, what), dir, what);
}

/**
 * `mkdir -p`: creates `dir` and its missing parents, one at a time (Node's recursive
 * mkdir loops for ever under /proc); throws a one-line error if it cannot.
 */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  let p = resolve(dir);
  for (;;) {
    const st = statOrNone(p);
    if (st !== undefined) {
      if (!st.isDirectory()) throw new Error(`${dir}: ${p} is ${kindOf(st)}, not a directory`);
      break;
    }
    missing.unshift(p);
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  for (const m of missing) {
    try {
      mkdirSync(m);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`${dir}: cannot create ${m}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
}

/**
 * Writes `text` to `path` atomically: into a temporary file next to it (same directory,
 * so the rename cannot cross file systems), fsync'd, then renamed over `path` (whose
 * permissions it keeps; a symlink is written through). On any error the temporary file
 * is removed and `path` is as it was; temporary files of `path` whose writer was killed
 * are removed after a write. Refuses a `path` that exists and is not a regular
 * file (renaming over /dev/null would replace the device).
 */
export function writeFileAtomic(path: string, text: string): void {
  const old = statOrNone(path);
  if (old !== undefined && !old.isFile()) throw new Error(`${path}: ${kindOf(old)}; sockspec writes regular files only`);
  const target = old !== undefined ? realpathSync(path) : path;
  makeDirs(dirname(target));
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', old !== undefined ? old.mode & 0o7777 : 0o666);
  try {
    const buf = Buffer.from(text, 'utf8');
    for (let off = 0; off < buf.length;) off += writeSync(fd, buf, off);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, target);
  } catch (e) {
    try { closeSync(fd); } catch { /* already closed */ }
    try { unlinkSync(tmp); } catch { /* not there */ }
    throw new Error(`${path}: not written (left as it was): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  sweepDeadTemps(dirname(target), basename(target));
  // The rename itself reaches the disk with the directory.
  try {
    const d = openSync(dirname(target), 'r');
    try { fsyncSync(d); } finally { closeSync(d); }
  } catch { /* some file systems cannot fsync a directory */ }
}

/** Whether process `pid` exists (EPERM: it does, owned by someone else). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes temporary files of `name` left in `dir` by writers that died (kill -9 while writing). */
function sweepDeadTemps(dir: string, name: string): void {
  let names: string[];
  try { names = readdirSync(dir); } catch { return; }
  const prefix = `.${name}.`;
  for (const f of names) {
    const m = f.startsWith(prefix) ? /^(\d+)\.[0-9a-f]{8}\.tmp$/.exec(f.slice(prefix.length)) : null;
    if (m !== null && Number(m[1]) !== process.pid && !alive(Number(m[1]))) {
      try { unlinkSync(join(dir, f)); } catch { /* gone meanwhile */ }
    }
  }
}

/**
 * The text of the regular file `path`. A FIFO, device or socket is refused without
 * blocking (it is opened non-blocking and checked before reading); a directory too.
 */
export function readInputFile(path: string, what?: string): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`${label(path, what)}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory, not a file' : code ?? (e as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`${label(path, what)}: ${kindOf(st)}; give a regular file`);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}
