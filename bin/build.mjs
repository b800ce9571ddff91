#!/usr/bin/env node
/**
 * Builds the package (`npm run build`, run by `prepare` and so by `npm pack`): compiles
 * spec/, model/, harness/ and adapters/ with tsconfig.build.json into dist/ (JavaScript
 * and .d.ts, with the source's `.ts` import suffixes rewritten to `.js`), then copies the
 * files the compiled modules load by a path relative to themselves: the adapters' C
 * sources and headers, their `.mjs` helper programs, and this folder's sockspec.mjs
 * (the CLI spawns it for `--jobs`). Never touches the sources.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const DIST = join(ROOT, 'dist');

rmSync(DIST, { recursive: true, force: true });
const tsc = spawnSync(join(ROOT, 'node_modules/.bin/tsc'), ['-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

/** Files under `dir` whose name ends in one of `exts`. */
function* files(dir, exts) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* files(p, exts);
    else if (exts.some((x) => e.name.endsWith(x))) yield p;
  }
}

const assets = [...files(join(ROOT, 'adapters'), ['.c', '.h', '.mjs', '.json']), join(ROOT, 'bin/sockspec.mjs')];
for (const src of assets) {
  const dst = join(DIST, relative(ROOT, src));
  mkdirSync(dirname(dst), { recursive: true });
  copyFileSync(src, dst);
}
console.log(`dist/: compiled, ${assets.length} assets copied`);
