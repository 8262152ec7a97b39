/**
 * tfjs-core's Node build (`dist/tf-core.node.js`) registers no gradients, so
 * `tf.variableGrads` fails on every op until tfjs-core's own registrations are loaded. Importing
 * this module (every layer file does) loads them once. The specifier points at tfjs-core's ESM
 * build: bundlers and vitest resolve it; plain Node needs the resolve hook in
 * `bench/esm-resolve-hook.ts` (tfjs-core's ESM files use extensionless imports).
 */
import '@tensorflow/tfjs-core/dist/register_all_gradients';
