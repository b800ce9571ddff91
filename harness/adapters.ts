/**
 * The adapters the CLI knows by name. Real adapters are imported lazily, so that the
 * model adapter works on machines where they cannot load.
 */
import type { Adapter } from '../spec/adapter.js';
import { modelAdapter } from '../adapters/model/index.js';
import { DEFAULT_PROFILE, type Profile } from '../spec/profile.js';

export const ADAPTER_NAMES = ['linux', 'linux-vm:<kernel>', 'lwip', 'gvisor', 'model'] as const;

/**
 * Whether an adapter name makes sockspec start a program the name itself chooses
 * (`exec:COMMAND`). Such a name is taken only from the command line, never from a file
 * (adapterFromFile).
 */
export function namesAProgram(name: string): boolean {
  return name.startsWith('exec:');
}

/**
 * The adapter name a file (trace, expectations file) asks for, or an Error saying to pass
 * --adapter when it names a program to run: a file someone sent never chooses what runs.
 * Built-in names (linux, lwip, model, ...) are returned as they are.
 */
export function adapterFromFile(name: string, source: string): string {
  if (namesAProgram(name)) {
    throw new Error(`${source}: its adapter is the command ${JSON.stringify(name.slice('exec:'.length))}; ` +
      'a file never chooses a program to run: pass --adapter explicitly (that exec: command only if you trust it)');
  }
  return name;
}

/** The adapter called `name`; rejects with a one-line reason when it cannot run here. */
export async function adapterByName(name: string, o: { reuseHelper?: boolean } = {}): Promise<Adapter> {
  if (namesAProgram(name)) {
    // exec:<command>: a helper speaking spec/wire.md; the command is split into argv without a shell.
    const { execAdapter } = await import('../adapters/exec/index.js');
    return execAdapter(name.slice('exec:'.length), { reuse: o.reuseHelper === true });
  }
  if (name.startsWith('linux-vm:')) {
    // linux-vm:<kernel>: another kernel (6.1, 6.12, or a path to an image) under qemu: adapters/linux-vm.
    const m = await import('../adapters/linux-vm/index.js');
    const spec = name.slice('linux-vm:'.length);
    const why = m.linuxVmAvailable(spec);
    if (why !== undefined) throw new Error(`the linux-vm adapter cannot run here: ${why}`);
    return m.linuxVmAdapter(spec);
  }
  switch (name) {
    case 'model':
      return modelAdapter(await hostProfileOrDefault());
    case 'linux': {
      const m = await import('../adapters/linux/index.js');
      const why = m.linuxAvailable();
      if (why !== undefined) throw new Error(`the linux adapter cannot run here: ${why}`);
      return m.linuxAdapter;
    }
    case 'lwip': {
      // lwIP 2.1.3 (liblwip-dev) in a helper process of its own: adapters/lwip.
      const m = await import('../adapters/lwip/index.js');
      const why = m.lwipAvailable();
      if (why !== undefined) throw new Error(`the lwip adapter cannot run here: ${why}`);
      return m.lwipAdapter;
    }
    case 'gvisor': {
      // gVisor's sentry and netstack (runsc do, --network=none) with the helper inside: adapters/gvisor.
      const m = await import('../adapters/gvisor/index.js');
      const why = m.gvisorAvailable();
      if (why !== undefined) throw new Error(`the gvisor adapter cannot run here: ${why}`);
      return m.gvisorAdapter;
    }
    default:
      throw new Error(`unknown adapter '${name}' (known: ${ADAPTER_NAMES.join(', ')}, exec:<command>)`);
  }
}

/**
 * The model adapter answers by this machine's profile (its sysctls as the current
 * network namespace sees them) where /proc can be read, else by a fresh namespace's
 * defaults.
 */
async function hostProfileOrDefault(): Promise<Profile> {
  try {
    const { readProfile } = await import('../adapters/linux/profile.js');
    return readProfile();
  } catch {
    return DEFAULT_PROFILE;
  }
}

/** Releases what an adapter keeps between sessions (a helper parked for reuse). */
export async function disposeAdapter(a: Adapter): Promise<void> {
  const d = a as Adapter & { dispose?: () => Promise<void> };
  if (typeof d.dispose === 'function') await d.dispose();
}
