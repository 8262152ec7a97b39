import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@tnzip/source'] },
  ssr: { resolve: { conditions: ['@tnzip/source'] } },
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
  },
});
