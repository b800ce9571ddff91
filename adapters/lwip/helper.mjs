#!/usr/bin/env node
/**
 * The lwIP helper: serves lwIP (Debian's liblwip 2.1.3) over the wire protocol
 * (spec/wire.md). adapters/lwip/index.ts runs it through the exec adapter.
 *
 * Every world is a process of its own: `open` starts the world program (world.c, built
 * into .cache/ on first use), which makes a network namespace, a TAP device in it and a
 * fresh lwIP stack on that device (lwIP keeps one global stack per process, so a fresh
 * stack needs a fresh process); `reset` and EOF kill it (SIGKILL), and the namespace and
 * device go with it (the helper waits for that at EOF). A reset therefore gives a really
 * clean world, and the helper itself can be kept across sessions. The helper's own part,
 * the sequence's fd table, is fdlayer.ts. lwIP settles inside every call (shim.c), so
 * the hello does not ask for `settle` requests.
 *
 * Usage: node adapters/lwip/helper.mjs [--marker=ANY]   (extra arguments are ignored;
 * tests put a marker in argv to find the process afterwards).
 */
import { execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
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
const wire = await import(`../../spec/wire${ext}`);
const { errnoName } = await import(`../../spec/errno${ext}`);
const { buildLwipWorld, START_STAGE } = await import(`./native${ext}`);
const { WorldProcess } = await import(`./worldproc${ext}`);
const { FdLayer, LWIP_CALLS } = await import(`./fdlayer${ext}`);
const { lwipProfile } = await import(`./profile${ext}`);

/** The TAP device (inside the world's own namespace) and lwIP's address on it (TEST-NET-1). */
const TAP = 'lwiptap0';
const ADDR = 0xc0000201; // 192.0.2.1
const MASK = 0xffffff00;
const KNOWN_WORLD = new Set(['nofile', 'capNetBindService']);

const send = (m) => process.stdout.write(`${wire.encodeHelperMessage(m)}\n`);

let exe;
let buildError;
let version = 'unknown';
try {
  exe = buildLwipWorld();
  version = execFileSync(exe, ['--version'], { encoding: 'utf8' }).trim();
} catch (e) {
  buildError = e.message;
}

send({
  type: 'hello', protocol: wire.WIRE_PROTOCOL, name: 'lwip', version,
  capabilities: { families: ['AF_INET'], types: ['SOCK_STREAM', 'SOCK_DGRAM'], calls: [...LWIP_CALLS] },
});

/**
 * Worlds killed but not yet gone: the kernel takes ~30 ms to unregister a TAP device and
 * its namespace, which the next world (a namespace of its own) need not wait for. At most
 * MAX_DYING at once; all are waited for before the helper exits.
 */
const dying = new Set();
const MAX_DYING = 4;

/** The world program of the open world, and the fd layer over it. */
let proc;
let layer;
/**
 * A world started ahead of the next `open` (after a reset), so that opening costs no
 * start-up: a fresh stack that no sequence has touched, for any world options (those are
 * the fd layer's).
 */
let spare;

async function startWorld() {
  while (dying.size >= MAX_DYING) await Promise.race(dying);
  return WorldProcess.start(exe, TAP, ADDR, MASK);
}

/** Opens a world; the reply to `open`. */
async function open(m, raw) {
  const unknown = Object.keys(raw.world ?? {}).filter((k) => !KNOWN_WORLD.has(k));
  if (unknown.length > 0) return { type: 'rejected', id: m.id, reason: `unknown world fields: ${unknown.join(', ')}` };
  const nofile = m.world.nofile ?? 1024;
  if (nofile < 4 || nofile > 65536) return { type: 'rejected', id: m.id, reason: `nofile=${nofile}: the helper's table holds 4..65536 fds` };
  if (buildError !== undefined) return { type: 'rejected', id: m.id, reason: buildError };
  let r = await (spare ?? startWorld());
  spare = undefined;
  if ('world' in r && r.world.gone) r = await startWorld(); // the spare died while it waited
  if ('error' in r) {
    const stage = r.stage === undefined ? '' : `: ${START_STAGE[r.stage] ?? `stage ${r.stage}`} (${errnoName(r.errno)})`;
    return { type: 'rejected', id: m.id, reason: `${r.error}${stage}` };
  }
  proc = r.world;
  layer = new FdLayer(proc, nofile, m.deadlineMs);
  return { type: 'opened', id: m.id, profile: lwipProfile(r.version, nofile, m.world.capNetBindService ?? true) };
}

function endWorld() {
  const p = proc;
  proc = undefined;
  layer = undefined;
  if (p === undefined) return;
  const gone = p.kill();
  dying.add(gone);
  void gone.then(() => dying.delete(gone));
}

for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  const p = wire.parseRunnerMessage(line);
  if (!p.ok) { send({ type: 'error', id: null, message: p.error }); continue; }
  const m = p.msg;
  switch (m.type) {
    case 'open':
      if (layer) send({ type: 'error', id: m.id, message: 'open while a world is open (send reset first)' });
      else send(await open(m, JSON.parse(line)));
      break;
    case 'call':
      if (!layer) send({ type: 'error', id: m.id, message: 'call before open' });
      else {
        let observed;
        try {
          observed = await layer.exec(m.call);
        } catch (e) {
          observed = { kind: 'crashed', detail: e.message };
        }
        send({ type: 'result', id: m.id, observed });
      }
      break;
    case 'settle':
      await proc?.settle().catch(() => undefined);
      send({ type: 'settled', id: m.id });
      break;
    case 'reset':
      endWorld();
      if (buildError === undefined) spare ??= startWorld();
      send({ type: 'ready', id: m.id });
      break;
  }
}
// stdin closed: the runner is done (or gone).
endWorld();
const s = await spare;
if (s !== undefined && 'world' in s) await s.world.kill();
await Promise.all(dying);
process.exit(0);
