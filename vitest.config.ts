import { configDefaults, defineConfig } from 'vitest/config';
import { HAVE_SHARED, NEED_SHARED, SHARED } from './test/shared.js';

if (!HAVE_SHARED) {
  process.stderr.write(
    `\n!!! ${SHARED} not found: the reference data is missing, so these test files are EXCLUDED:\n` +
      NEED_SHARED.map((f) => `!!!   ${f}\n`).join('') +
      '!!! and the tests inside other files that need ../shared are SKIPPED. CI runs them all (../shared is there).\n\n',
  );
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...(HAVE_SHARED ? [] : NEED_SHARED)],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
