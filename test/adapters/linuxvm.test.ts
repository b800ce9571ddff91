/**
 * The linux-vm adapter (adapters/linux-vm): each of Debian's 6.1 and 6.12 kernels is
 * booted once under qemu (TCG), a session's world is a fresh network namespace in the
 * guest with the guest's own profile (its uname -r, AF_VSOCK with the loopback
 * transport), a short property run (200 sequences) agrees with the model, and dispose leaves no qemu.
 *
 * Kept short (npm test's budget): one boot and 200 short sequences per kernel.
 * `npm run conformance:kernels` is the long run.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { linuxVmAdapter, linuxVmAvailable, type LinuxVmAdapter } from '../../adapters/linux-vm/index.js';
import { check } from '../../harness/check.js';
import { renderTrace } from '../../harness/render/text.js';
import { AF_INET, AF_VSOCK, SOCK_STREAM } from '../../spec/constants.js';

/** Live qemu processes started by this process (their channel's name holds our pid). */
function ourQemus(): number[] {
  const mark = `sockspec-vm-${process.pid}-`;
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = readFileSync(`/proc/${d}/stat`, 'latin1');
      if (/^[ZX]$/.test(st.slice(st.lastIndexOf(')') + 2).split(' ')[0]!)) continue;
      if (readFileSync(`/proc/${d}/cmdline`, 'latin1').includes(mark)) out.push(Number(d));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

const RELEASE: Record<string, RegExp> = { '6.1': /^6\.1\.\d+-\d+-amd64$/, '6.12': /^6\.12\.\d+\+deb12-amd64$/ };

for (const kernel of ['6.1', '6.12']) {
  const why = linuxVmAvailable(kernel);
  const title = why === undefined ? `linux-vm:${kernel}` : `linux-vm:${kernel} (skipped: ${why})`;
  describe.skipIf(why !== undefined)(title, () => {
    let a: LinuxVmAdapter | undefined;
    const adapter = (): LinuxVmAdapter => (a ??= linuxVmAdapter(kernel));
    afterAll(async () => {
      await a?.dispose();
      // SIGKILL is delivered asynchronously: give the process a moment to die.
      for (let i = 0; i < 40 && ourQemus().length > 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(ourQemus()).toEqual([]);
    });

    it('a_session_is_a_fresh_namespace_in_the_guest_with_its_profile', { timeout: 300_000 }, async () => {
      const s = await adapter().open({ deadlineMs: 50 });
      try {
        expect(s.profile.kernel).toMatch(RELEASE[kernel]!);
        expect(s.profile.vsock).toEqual({ loopback: true, h2g: false, dgram: false });
        expect(ourQemus()).toHaveLength(1);
        // The first socket takes fd 4 (0-3 are the initial table); a bind to 127.0.0.1:80 succeeds in a fresh namespace.
        expect(await s.exec({ op: 'socket', domain: AF_INET, type: SOCK_STREAM, protocol: 0 })).toEqual({ kind: 'returned', ret: 4 });
        const bound = await s.exec({ op: 'bind', fd: 4, addr: { ptr: 'ok', len: 16, family: AF_INET, addr: '127.0.0.1', port: 80 } });
        expect(bound).toMatchObject({ kind: 'returned', ret: 0 });
        // AF_VSOCK is there (vsock.ko loaded in the guest).
        expect(await s.exec({ op: 'socket', domain: AF_VSOCK, type: SOCK_STREAM, protocol: 0 })).toEqual({ kind: 'returned', ret: 5 });
      } finally {
        await s.close();
      }
      // The next session is another namespace: port 80 is free again, fds start at 4 again.
      const t = await adapter().open({ deadlineMs: 50 });
      try {
        expect(await t.exec({ op: 'socket', domain: AF_INET, type: SOCK_STREAM, protocol: 0 })).toEqual({ kind: 'returned', ret: 4 });
        expect(await t.exec({ op: 'bind', fd: 4, addr: { ptr: 'ok', len: 16, family: AF_INET, addr: '127.0.0.1', port: 80 } })).toMatchObject({ kind: 'returned', ret: 0 });
      } finally {
        await t.close();
      }
    });

    it('200_short_sequences_agree_with_the_model', { timeout: 300_000 }, async () => {
      const r = await check({ adapter: adapter(), runs: 200, seed: 20261208, maxLength: 15, invalid: 0.2, deadlineMs: 50 });
      expect(r.error).toBeUndefined();
      const f = r.failure;
      const trace = f?.outcome.divergence ? renderTrace({
        version: 1, adapter: `linux-vm:${kernel}`, seed: 20261208, path: f.path, profile: f.profile,
        steps: f.outcome.steps, divergence: f.outcome.divergence,
      }, { color: false }) : undefined;
      expect(trace, trace).toBeUndefined();
      expect(r.sequences).toBe(200);
    });
  });
}
