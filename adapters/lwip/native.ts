/**
 * Builds the lwIP world program (adapters/lwip/world.c + shim.c, linked against Debian's
 * liblwip) once per version of its sources, cached in <repo>/.cache/; compiles to a
 * temporary name and renames atomically, so concurrent builders never run a
 * half-written file.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the world program's failing stage numbers mean (enum ST_* in shim.h). */
export const START_STAGE = [
  'started', 'the stack was already started in this process', 'cannot open /dev/net/tun',
  'unshare(CLONE_NEWNET) failed', 'cannot create lwIP\'s semaphore', 'netif_add failed (tapif)',
  'cannot bring the TAP device up',
];

const HEADER = '/usr/include/lwip/lwip/sockets.h';
const CC_FLAGS = ['-O2', '-I/usr/include/lwip'];
const CC_LIBS = ['-llwip', '-lpthread'];
const SOURCES = ['./world.c', './shim.c'].map((f) => fileURLToPath(new URL(f, import.meta.url)));
const HEADERS = ['./shim.h'].map((f) => fileURLToPath(new URL(f, import.meta.url)));
const CACHE = fileURLToPath(new URL('../../.cache/', import.meta.url));
const PREFIX = 'sockspec-lwip-world-';

function onPath(cmd: string): boolean {
  return (process.env['PATH'] ?? '').split(':').some((d) => d !== '' && existsSync(join(d, cmd)));
}

/**
 * The path of the world program, compiling it first if needed. Throws a one-line reason
 * when cc or liblwip-dev is missing or the build fails. Runs nothing.
 */
export function buildLwipWorld(): string {
  const h = createHash('sha256');
  for (const f of [...SOURCES, ...HEADERS]) h.update(readFileSync(f));
  const hash = h.update([...CC_FLAGS, ...CC_LIBS].join(' ')).digest('hex').slice(0, 16);
  const exe = join(CACHE, `${PREFIX}${hash}`);
  if (existsSync(exe)) return exe;
  if (!onPath('cc')) throw new Error('cc not found: cannot build the lwIP world program');
  if (!existsSync(HEADER)) throw new Error(`liblwip-dev is not installed (no ${HEADER}; apt-get install liblwip-dev)`);
  mkdirSync(CACHE, { recursive: true });
  const tmp = `${exe}.${process.pid}.${Date.now()}.tmp`;
  try {
    execFileSync('cc', [...CC_FLAGS, '-o', tmp, ...SOURCES, ...CC_LIBS], { stdio: ['ignore', 'pipe', 'pipe'] });
    renameSync(tmp, exe);
  } catch (e) {
    rmSync(tmp, { force: true });
    const err = e as { stderr?: Buffer; message: string };
    const why = err.stderr?.toString().trim().split('\n')[0] ?? err.message;
    throw new Error(`cc failed to build the lwIP world program (${SOURCES.join(', ')}): ${why}`);
  }
  for (const f of readdirSync(CACHE)) {
    if (f.startsWith(PREFIX) && /^[0-9a-f]{16}$/.test(f.slice(PREFIX.length)) && join(CACHE, f) !== exe) rmSync(join(CACHE, f), { force: true });
  }
  return exe;
}
