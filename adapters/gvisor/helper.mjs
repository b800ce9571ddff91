#!/usr/bin/env node
/**
 * The gVisor helper: runs INSIDE a runsc sandbox (adapters/gvisor/index.ts starts it with
 * `runsc --network=none do node adapters/gvisor/helper.mjs`) and serves the sentry's
 * socket layer and netstack over the wire protocol (spec/wire.md), through the linux
 * adapter's session (the same C shim and koffi, now calling into gVisor): every world is
 * a fresh network namespace of the sandbox, which gVisor backs with a fresh netstack
 * stack and its own loopback; a reset closes the world's fds, and the next open unshares
 * a fresh namespace (gVisor has no setns to go back with; see close below). The profile is read in the world's namespace by
 * adapters/gvisor/profile.ts (gVisor lacks some /proc/sys files); what it assumed is
 * written to stderr once.
 *
 * Usage (inside the sandbox): node adapters/gvisor/helper.mjs --runsc=VERSION [--marker=ANY]
 */
import { register } from 'tsx/esm/api';

register();
const { serve } = await import('../exec/serve.ts');
const { OPS } = await import('../../spec/call.ts');
const { linuxAvailable } = await import('../linux/index.ts');
const { openLinuxSession, socketcallUnavailable } = await import('../linux/session.ts');
const { readGvisorProfile } = await import('./profile.ts');

const runsc = process.argv.find((a) => a.startsWith('--runsc='))?.slice('--runsc='.length) ?? 'unknown';
const why = linuxAvailable();
let told = false;
/** How long settle waits after a call that may leave netstack work queued (ms of the sandbox's clock). */
const SETTLE_MS = 2;
/** The calls that can queue work for netstack's goroutines (segments on loopback). */
const QUEUES = new Set(['connect', 'close', 'shutdown', 'send', 'sendto', 'sendmsg', 'sendfile', 'listen', 'setsockopt', 'socketcall']);
let lastQueues = false;
const read = () => {
  const { profile, assumed } = readGvisorProfile(runsc);
  if (!told) {
    told = true;
    process.stderr.write(`gvisor profile: assumed ${assumed.join('; ')}\n`);
  }
  return profile;
};
// A helper that cannot run still says hello; every open is then rejected with the reason.
const adapter = {
  name: 'gvisor',
  open: async (o) => {
    if (why !== undefined) throw new Error(`inside the sandbox: ${why}`);
    const s = await openLinuxSession(o, undefined, read);
    return {
      get profile() { return s.profile; },
      exec: (c) => { lastQueues = QUEUES.has(c.op); return s.exec(c); },
      // netstack runs TCP on goroutines of its own: a SYN, RST or FIN a call sent on
      // loopback is processed after the call returns, where Linux processes it inside the
      // call (softirq on the sending CPU). gVisor offers no "idle" signal, so settle waits
      // SETTLE_MS after the calls that can queue such work, which the runner asks after
      // every call (hello: settles). Without it ~1 run in 100 met a stale state (a refused
      // connect's error not yet there for the next recvmsg).
      settle: () => (lastQueues ? new Promise((r) => setTimeout(r, SETTLE_MS)) : Promise.resolve()),
      // gVisor 20221219 has no setns (EOPNOTSUPP, linux64.go: "Needs filesystem support"),
      // so the session cannot return to the sandbox's first namespace: its fds are closed
      // and the thread stays in the world's namespace until the next open unshares a fresh
      // one from it (inet.NewNamespace: a new netstack stack; the old one is destroyed with
      // its last reference).
      close: () => s.close().catch((e) => { if (e.errno !== 'EOPNOTSUPP') throw e; }),
    };
  },
};
// socketcall needs the 32-bit entry, which gVisor does not have: not offered.
const calls = why === undefined && socketcallUnavailable() === undefined ? [...OPS] : OPS.filter((op) => op !== 'socketcall');
await serve(adapter, {
  name: 'gvisor', version: runsc,
  capabilities: { families: ['AF_INET', 'AF_INET6', 'AF_UNIX'], types: ['SOCK_STREAM', 'SOCK_DGRAM'], calls, settles: true },
});
process.exit(0);
