/**
 * Builds the lwIP world program (adapters/lwip/world.c + shim.c, linked against Debian's
 * liblwip) once per version of its sources, cached in <repo>/.cache/; compiles to a
 * temporary name and renames atomically, so concurrent builders never run a
 * half-written file.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildC, onPath } from '../cbuild.js';

/** What the world program's failing stage numbers mean (enum ST_* in shim.h). */
export const START_STAGE = [
  'started', 'the stack was already started in this process', 'cannot open /dev/net/tun',
  'unshare(CLONE_NEWNET) failed', 'cannot create lwIP\'s semaphore', 'netif_add failed (tapif)',
  'cannot bring the TAP device up',
];

const HEADER = '/usr/include/lwip/lwip/sockets.h';
const here = (f: string): string => fileURLToPath(new URL(f, import.meta.url));

/**
 * The path of the world program, compiling it first if needed. Throws a one-line reason
 * when cc or liblwip-dev is missing or the build fails. Runs nothing.
 */
export function buildLwipWorld(): string {
  if (onPath('cc') && !existsSync(HEADER)) throw new Error(`liblwip-dev is not installed (no ${HEADER}; apt-get install liblwip-dev)`);
  return buildC({
    prefix: 'sockspec-lwip-world-', suffix: '', what: 'the lwIP world program',
    sources: [here('./world.c'), here('./shim.c')], headers: [here('./shim.h'), here('../cbound.h')],
    flags: ['-O2', '-I/usr/include/lwip'], libs: ['-llwip', '-lpthread'],
  });
}
