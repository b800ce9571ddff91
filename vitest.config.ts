import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/bench/**'],
    pool: 'forks',
    // Deep-freeze the model's worlds, so a write outside a producer throws (model/freeze.ts).
    env: { SOCKSPEC_FREEZE: '1' },
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
