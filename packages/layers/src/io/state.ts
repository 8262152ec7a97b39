import type * as tf from '@tensorflow/tfjs-core';
import { isDerivedBuffer } from '../factorized/ada-tucker.js';
import type { Module } from '../module.js';

/**
 * The variables a model file stores, by state-dict path: every parameter and every buffer
 * except derived ones (caches rebuilt from the parameters, such as ADA-Tucker's weight cache).
 */
export function storedVariables(model: Module): Array<[string, tf.Variable]> {
  const out: Array<[string, tf.Variable]> = [];
  for (const [path, m] of model.namedModules()) {
    const prefix = path === '' ? '' : `${path}.`;
    for (const [k, v] of m.params()) out.push([`${prefix}${k}`, v]);
    for (const [k, v] of m.buffers()) if (!isDerivedBuffer(m, k)) out.push([`${prefix}${k}`, v]);
  }
  return out;
}
