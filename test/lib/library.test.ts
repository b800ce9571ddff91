/**
 * The package as another project gets it: `npm pack` (which builds dist/ through the
 * `prepare` script), the tarball unpacked as node_modules/sockspec of a throw-away project
 * (its dependencies linked from ours; no tsx anywhere the package can reach), then
 *  - the tarball holds the compiled library, its .d.ts and the CLI, and no tests, no .ci,
 *    no TypeScript sources;
 *  - the consumer's TypeScript, which implements the Adapter interface, type-checks under
 *    a strict consumer tsconfig (`strict`, `noPropertyAccessFromIndexSignature`,
 *    `exactOptionalPropertyTypes`, no `skipLibCheck`);
 *  - the consumer's own vitest suite imports `sockspec` by name and runs the property: a
 *    correct implementation passes, one with a bug fails with the minimal trace;
 *  - the CLI runs from the package with plain Node.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const MODULES = join(ROOT, 'node_modules');

/** The consumer's implementation, type-checked on its own (vitest's types are not ours to check). */
const STACK_TS = `
import { modelAdapter, DEFAULT_PROFILE, type Adapter, type Call, type Observed, type Session, type ConformanceOptions } from 'sockspec';

/** A toy stack: the model, except that listen() is not supported. */
export function toyStack(): Adapter {
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

export const options: ConformanceOptions = { adapter: toyStack(), runs: 100, seed: 1 };
`;

const CONSUMER_TEST = `
import { describe, expect, it } from 'vitest';
import { assertConformance, conformance, modelAdapter, DEFAULT_PROFILE } from 'sockspec';
import { toyStack } from './stack.ts';

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

const STRICT_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noPropertyAccessFromIndexSignature: true,
    exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true, allowImportingTsExtensions: true, noEmit: true, skipLibCheck: false, types: ['node'],
  },
  files: ['stack.ts'],
};

const ENV = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
let dir = '';
let entries: string[] = [];

/** Links `name` (a package of ours) into the consumer's node_modules. */
function link(name: string): void {
  const to = join(dir, 'node_modules', name);
  mkdirSync(dirname(to), { recursive: true });
  symlinkSync(join(MODULES, name), to);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sockspec-consumer-'));
  const pack = spawnSync('npm', ['pack', '--pack-destination', dir, '--json'], { cwd: ROOT, encoding: 'utf8', env: ENV, timeout: 120_000 });
  if (pack.status !== 0) throw new Error(`npm pack failed:\n${pack.stdout}${pack.stderr}`);
  const tgz = join(dir, (JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as { filename: string }[])[0]!.filename);
  const list = spawnSync('tar', ['-tzf', tgz], { encoding: 'utf8' });
  entries = list.stdout.split('\n').filter((l) => l !== '').map((l) => l.replace(/^package\//, ''));
  const pkg = join(dir, 'node_modules/sockspec');
  mkdirSync(pkg, { recursive: true });
  const untar = spawnSync('tar', ['-xzf', tgz, '--strip-components=1', '-C', pkg]);
  if (untar.status !== 0) throw new Error(`tar: ${String(untar.stderr)}`);
  const deps = Object.keys((JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies);
  for (const d of [...deps, 'vitest', '@types/node']) link(d);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'my-stack', type: 'module', private: true }));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(STRICT_TSCONFIG, null, 2));
  writeFileSync(join(dir, 'stack.ts'), STACK_TS);
  writeFileSync(join(dir, 'stack.test.ts'), CONSUMER_TEST);
}, 150_000);

afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('holds_the_compiled_library_and_no_tests_or_sources', () => {
    expect(entries).toContain('dist/harness/lib.js');
    expect(entries).toContain('dist/harness/lib.d.ts');
    expect(entries).toContain('dist/harness/cli/main.js');
    expect(entries).toContain('dist/adapters/linux/shim.c');
    expect(entries).toContain('dist/adapters/linux/helper.mjs');
    expect(entries).toContain('spec/json-schema/helper-message.schema.json');
    expect(entries).toContain('spec/json-schema/trace.schema.json');
    expect(entries.filter((e) => /(^|\/)test\/|^\.ci\/|\.test\./.test(e))).toEqual([]);
    expect(entries.filter((e) => e.endsWith('.ts') && !e.endsWith('.d.ts'))).toEqual([]);
    expect(entries.length).toBeLessThan(400);
  });

  it('type_checks_in_a_strict_consumer_project', () => {
    const r = spawnSync(join(MODULES, '.bin/tsc'), ['-p', dir], { cwd: dir, encoding: 'utf8', env: ENV, timeout: 60_000 });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('imports_by_name_in_a_consumer_vitest_suite', () => {
    const r = spawnSync(process.execPath, [join(MODULES, 'vitest/vitest.mjs'), 'run', '--root', dir], { cwd: dir, encoding: 'utf8', timeout: 120_000, env: ENV });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Tests\s+2 passed/);
  });

  it('runs_the_cli_with_plain_node_and_no_tsx', () => {
    expect(readdirSync(join(dir, 'node_modules'))).not.toContain('tsx');
    const r = spawnSync(process.execPath, [join(dir, 'node_modules/sockspec/bin/sockspec.mjs'), 'run', '--adapter', 'model', '--runs', '20', '--seed', '1', '--no-color'], { cwd: dir, encoding: 'utf8', env: ENV, timeout: 60_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/no divergence|rules\s+\d+\/\d+/);
  });
});
