/**
 * The library entry as another project uses it: a throw-away project whose node_modules
 * holds sockspec (and vitest), whose own vitest suite imports `sockspec` by name,
 * implements the Adapter interface in TypeScript, and runs the property. A correct
 * implementation passes; one with a bug fails with the minimal trace in the message.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');

const CONSUMER_TEST = `
import { describe, expect, it } from 'vitest';
import { assertConformance, conformance, modelAdapter, DEFAULT_PROFILE, type Adapter, type Call, type Observed, type Session } from 'sockspec';

/** A toy stack: the model, except that listen() is not supported. */
function toyStack(): Adapter {
  const base = modelAdapter({ ...DEFAULT_PROFILE, kernel: 'toy' });
  return {
    name: 'toy',
    async open(o) {
      const s: Session = await base.open(o);
      return {
        profile: s.profile,
        async exec(c: Call): Promise<Observed> {
          if (c.op === 'listen') return { kind: 'returned', ret: -1, errno: 'EOPNOTSUPP' };
          return s.exec(c);
        },
        settle: () => s.settle(),
        close: () => s.close(),
      };
    },
  };
}

describe('my stack', () => {
  it('the model itself conforms', async () => {
    const r = await assertConformance({ adapter: modelAdapter(DEFAULT_PROFILE), runs: 100, seed: 1 });
    expect(r.ok).toBe(true);
    expect(r.rules.covered).toBeGreaterThan(50);
  }, 60_000);
  it('the toy stack does not, and the message is the minimal trace', async () => {
    const r = await conformance({ adapter: toyStack(), runs: 100, seed: 1 });
    expect(r.ok).toBe(false);
    expect(r.divergence!.trace.steps.at(-1)!.call.op).toBe('listen');
    await expect(assertConformance({ adapter: toyStack(), runs: 100, seed: 1 })).rejects.toThrow(/'toy' diverges from the model at call \\d+[\\s\\S]*listen\\(/);
  }, 60_000);
});
`;

describe('import { conformance } from "sockspec"', () => {
  it('works_from_another_projects_vitest_suite', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sockspec-consumer-'));
    try {
      mkdirSync(join(dir, 'node_modules'));
      symlinkSync(ROOT, join(dir, 'node_modules/sockspec'));
      symlinkSync(join(ROOT, 'node_modules/vitest'), join(dir, 'node_modules/vitest'));
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'my-stack', type: 'module', private: true }));
      writeFileSync(join(dir, 'stack.test.ts'), CONSUMER_TEST);
      const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--root', dir], { cwd: dir, encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/Tests\s+2 passed/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
