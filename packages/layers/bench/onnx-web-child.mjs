// Child process of bench/onnx.ts: times onnxruntime-web (wasm) in Node with a given thread count
// (ort-web fixes its thread count at its first session, so each count runs in its own process).
// argv: THREADS RUNS_B1 RUNS_B64 SPEC... with SPEC = name|file|d1,d2,d3|batch. Prints one JSON line per SPEC.
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-web';

const [threads, runsB1, runsB64, ...specs] = process.argv.slice(2);
ort.env.wasm.numThreads = Number(threads);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
for (const spec of specs) {
  const [name, file, dims, b] = spec.split('|');
  const batch = Number(b);
  const shape = [batch, ...dims.split(',').map(Number)];
  const data = new Float32Array(shape.reduce((a, d) => a * d, 1));
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 12.9898) * 0.5;
  try {
    const session = await ort.InferenceSession.create(readFileSync(file), { executionProviders: ['wasm'] });
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, shape) };
    const once = async () => {
      const t0 = performance.now();
      await session.run(feeds);
      return performance.now() - t0;
    };
    for (let i = 0; i < 3; i++) await once();
    const times = [];
    for (let r = 0; r < Number(batch === 1 ? runsB1 : runsB64); r++) times.push(await once());
    await session.release();
    console.log(JSON.stringify({ name, batch, ms: median(times) }));
  } catch (e) {
    console.log(JSON.stringify({ name, batch, ms: null, error: String(e).split('\n')[0] }));
  }
}
