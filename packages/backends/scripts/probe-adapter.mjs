// Prints the WebGPU adapter Dawn finds (vendor, architecture, device, description) or why none.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { create } = require('webgpu');
const gpu = create([]);
const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
if (!adapter) {
  console.log(JSON.stringify({ adapter: null }));
  process.exit(1);
}
const i = adapter.info;
console.log(
  JSON.stringify({
    vendor: i.vendor,
    architecture: i.architecture,
    device: i.device,
    description: i.description,
    maxBufferSize: adapter.limits.maxBufferSize,
  }),
);
process.exit(0);
