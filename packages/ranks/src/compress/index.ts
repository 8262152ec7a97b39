/**
 * `@tnzip/ranks/compress`: the compression pipeline (select → factorize → fine-tune → evaluate →
 * save). Node-only: it runs `@tnzip/train`'s training loop, which writes checkpoints and logs. The
 * selectors (`@tnzip/ranks`) stay bundleable for browsers.
 */
export type { CompressOptions, CompressResult, CompressStage } from './compress.js';
export { compress } from './compress.js';
export { denseFallbackAfterChoice, executionAllowance } from './execution-budget.js';
