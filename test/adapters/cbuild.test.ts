/**
 * adapters/cbuild.ts: a builder killed during its cc (kill -9) leaves a temporary output
 * in .cache; the next build removes it (and leaves a live builder's alone).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildC, onPath } from '../../adapters/cbuild.js';

const CACHE = join(import.meta.dirname, '../../.cache');
const src = mkdtempSync(join(tmpdir(), 'sockspec-cbuild-'));
afterAll(() => {
  rmSync(src, { recursive: true, force: true });
  for (const f of existsSync(CACHE) ? readdirSync(CACHE) : []) if (f.startsWith('test-cbuild-')) rmSync(join(CACHE, f), { force: true });
});

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' });
  return Number(r.stdout.trim());
}

(onPath('cc') ? describe : describe.skip)(onPath('cc') ? 'buildC' : 'buildC (skipped: no cc on PATH)', () => {
  it('a_temporary_output_of_a_killed_builder_is_removed_by_the_next_build', () => {
    mkdirSync(CACHE, { recursive: true });
    const stale = join(CACHE, `test-cbuild-0123456789abcdef.so.${deadPid()}.${Date.now()}.tmp`);
    const live = join(CACHE, `test-cbuild-0123456789abcdef.so.${process.ppid}.${Date.now()}.tmp`);
    writeFileSync(stale, 'half an ELF');
    writeFileSync(live, 'being written');
    const c = join(src, 'x.c');
    writeFileSync(c, 'int main(void) { return 0; }\n');
    const out = buildC({ prefix: 'test-cbuild-', suffix: '', sources: [c], headers: [], flags: [], libs: [], what: 'a test program' });
    expect(existsSync(out)).toBe(true);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(live)).toBe(true);
  });
});
