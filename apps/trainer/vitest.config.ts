import { configDefaults, defineConfig } from 'vitest/config';

// The WebGPU group (src/**/*.webgpu.test.ts) needs a Vulkan driver (packages/backends/scripts/
// ci-webgpu.sh installs SwiftShader): it runs only when selected, as in @tnzip/backends.
const env = process.env;
const backends = `${env.TNZIP_BACKENDS ?? env.TNZIP_BACKEND ?? ''}`.toLowerCase();
const flag = env.TNZIP_WEBGPU?.trim() ?? '';
const webgpu = backends.split(',').some((b) => b.trim() === 'webgpu') || (flag !== '' && flag !== '0');

export default defineConfig({
  resolve: { conditions: ['@tnzip/source'] },
  ssr: { resolve: { conditions: ['@tnzip/source'] } },
  test: {
    include: webgpu ? ['src/**/*.webgpu.test.ts'] : ['src/**/*.test.ts'],
    exclude: webgpu ? [...configDefaults.exclude] : [...configDefaults.exclude, 'src/**/*.webgpu.test.ts'],
    // The tests spawn the CLI and train real (tiny) models; a shared 2-core machine needs headroom.
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
