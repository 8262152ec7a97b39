import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@tnzip/source'] },
  ssr: { resolve: { conditions: ['@tnzip/source'] } },
  test: {
    include: ['src/**/*.test.ts'],
    // The tests spawn the CLI and train real (tiny) models; a shared 2-core machine needs headroom.
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
