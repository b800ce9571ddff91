/**
 * Serves any in-process Adapter over the wire protocol (spec/wire.md) on stdin/stdout:
 * the whole helper side of the protocol in one loop, and the reference for writing a
 * helper in another language. One world at a time: `open` opens a session of the
 * adapter, `call` runs one call in it, `settle` lets it settle, `reset` closes it; EOF on
 * stdin closes it and ends the loop. A malformed request is answered with an `error`
 * message naming the problem, never by exiting.
 */
import { createInterface } from 'node:readline';
import type { Adapter, Session } from '../../spec/adapter.js';
import { encodeHelperMessage, parseRunnerMessage, WIRE_PROTOCOL, type Capabilities, type HelperMessage } from '../../spec/wire.js';

/** World fields an Adapter understands (spec/adapter.ts World). */
const KNOWN_WORLD = new Set(['nofile', 'capNetBindService', 'file']);

export interface ServeOptions {
  name: string;
  version: string;
  capabilities: Capabilities;
  input?: NodeJS.ReadableStream;
  /** Where replies go, one line each (default stdout). */
  write?: (line: string) => void;
}

export async function serve(adapter: Adapter, o: ServeOptions): Promise<void> {
  const write = o.write ?? ((l: string) => { process.stdout.write(l); });
  const send = (m: HelperMessage): void => write(`${encodeHelperMessage(m)}\n`);
  send({ type: 'hello', protocol: WIRE_PROTOCOL, name: o.name, version: o.version, capabilities: o.capabilities });
  let session: Session | undefined;
  try {
    for await (const line of createInterface({ input: o.input ?? process.stdin, crlfDelay: Infinity })) {
      const p = parseRunnerMessage(line);
      if (!p.ok) { send({ type: 'error', id: null, message: p.error }); continue; }
      const m = p.msg;
      switch (m.type) {
        case 'open': {
          const unknown = Object.keys((JSON.parse(line) as { world?: object }).world ?? {}).filter((k) => !KNOWN_WORLD.has(k));
          if (session) send({ type: 'error', id: m.id, message: 'open while a world is open (send reset first)' });
          else if (unknown.length > 0) send({ type: 'rejected', id: m.id, reason: `unknown world fields: ${unknown.join(', ')}` });
          else {
            try {
              session = await adapter.open({ deadlineMs: m.deadlineMs, world: m.world });
              send({ type: 'opened', id: m.id, profile: session.profile });
            } catch (e) {
              send({ type: 'rejected', id: m.id, reason: (e as Error).message });
            }
          }
          break;
        }
        case 'call':
          if (!session) send({ type: 'error', id: m.id, message: 'call before open' });
          else {
            let observed;
            try { observed = await session.exec(m.call); } catch (e) { observed = { kind: 'crashed' as const, detail: (e as Error).message }; }
            send({ type: 'result', id: m.id, observed });
          }
          break;
        case 'settle':
          await session?.settle();
          send({ type: 'settled', id: m.id });
          break;
        case 'reset':
          await session?.close();
          session = undefined;
          send({ type: 'ready', id: m.id });
          break;
      }
    }
  } finally {
    // stdin closed (the runner is done or gone), or the loop failed: release the world.
    await session?.close();
  }
}
