import { defineConfig } from 'vitest/config';

// Unit tests of the page's pure parts in Node (the browser test is e2e/run.ts, run by ci-e2e.sh).
export default defineConfig({
  resolve: { conditions: ['@tnzip/source'] },
  ssr: { resolve: { conditions: ['@tnzip/source'] } },
  test: { include: ['src/**/*.test.ts'], testTimeout: 60_000, pool: 'forks' },
});
