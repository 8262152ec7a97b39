import { configDefaults, defineConfig } from 'vitest/config';

// The WebGPU group needs a Vulkan driver (scripts/ci-webgpu.sh installs SwiftShader): it runs
// only when selected, like the webgpu runs of every package's describeBackends specs.
const env = process.env;
const backends = `${env.TNZIP_BACKENDS ?? env.TNZIP_BACKEND ?? ''}`.toLowerCase();
const flag = env.TNZIP_WEBGPU?.trim() ?? '';
const webgpu = backends.split(',').some((b) => b.trim() === 'webgpu') || (flag !== '' && flag !== '0');

export default defineConfig({
  resolve: { conditions: ['@tnzip/source'] },
  ssr: { resolve: { conditions: ['@tnzip/source'] } },
  test: {
    include: ['src/**/*.test.ts'],
    exclude: webgpu ? [...configDefaults.exclude] : [...configDefaults.exclude, 'src/**/*.webgpu.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
  },
});
