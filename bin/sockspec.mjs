#!/usr/bin/env node
// Entry point of the `sockspec` command. In a source checkout it loads the TypeScript CLI
// through tsx (a dev dependency); in the installed package, and as dist/bin/sockspec.mjs,
// it loads the compiled JavaScript, so the package needs no TypeScript loader at run time.
import { existsSync } from 'node:fs';

const at = (p) => new URL(p, import.meta.url);
let entry;
if (existsSync(at('../harness/cli/main.ts'))) {
  // TypeBox's ~270 modules load several times faster before tsx's loader hooks are in place.
  await Promise.all([import('@sinclair/typebox'), import('@sinclair/typebox/compiler')]);
  (await import('tsx/esm/api')).register();
  entry = at('../harness/cli/main.ts');
} else entry = existsSync(at('../harness/cli/main.js')) ? at('../harness/cli/main.js') : at('../dist/harness/cli/main.js');
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
