#!/usr/bin/env node
/**
 * The reference wire helper: the linux adapter (the real kernel, one network namespace
 * per world) served over the wire protocol (spec/wire.md) by adapters/exec/serve.ts.
 * `npx sockspec run --adapter "exec:node adapters/linux/helper.mjs"` must agree with
 * `--adapter linux` on the same seeds; it is also the smallest complete example of a
 * helper (see README, "Test your stack in CI").
 *
 * Usage: node adapters/linux/helper.mjs [--marker=ANY]   (extra arguments are ignored)
 */
import { existsSync } from 'node:fs';

// From a source checkout the modules are TypeScript (loaded through tsx); from the
// package (dist/), compiled JavaScript.
const source = existsSync(new URL('./index.ts', import.meta.url));
if (source) {
  // TypeBox's ~270 modules load several times faster before tsx's loader hooks are in place.
  await Promise.all([import('@sinclair/typebox'), import('@sinclair/typebox/compiler')]);
  (await import('tsx/esm/api')).register();
}
const ext = source ? '.ts' : '.js';
const { serve } = await import(`../exec/serve${ext}`);
const { OPS } = await import(`../../spec/call${ext}`);
const { linuxAdapter, linuxAvailable } = await import(`./index${ext}`);

const why = linuxAvailable();
// A helper that cannot run still says hello; every open is then rejected with the reason.
const adapter = why === undefined ? linuxAdapter : { name: 'linux', open: async () => { throw new Error(why); } };
await serve(adapter, {
  name: 'linux-helper', version: '0.1.0',
  capabilities: { families: ['AF_INET'], types: ['SOCK_STREAM', 'SOCK_DGRAM'], calls: [...OPS] },
});
process.exit(0);
