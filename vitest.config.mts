import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // fancyflow loads these with require() when first used (src/tables/libraries.ts), as the built
    // package does; tests that import them must get that same copy, not the packages' ESM builds
    alias: [
      { find: /^apache-arrow$/, replacement: require.resolve('apache-arrow') },
      { find: /^@uwdata\/flechette$/, replacement: require.resolve('@uwdata/flechette') },
    ],
  },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    typecheck: { enabled: true, include: ['src/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
