import { createModel } from '@tnzip/zoo';
import { beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from './exit-codes.js';
import { layersOf, resolveLayerSet } from './layer-set.js';
import { startBackend } from './runtime.js';

beforeAll(async () => {
  await startBackend('wasm');
});

describe('--layers', () => {
  it("'all' adds LeNet-5's first conv and classifier to the zoo's default list; paths pass through", () => {
    const net = createModel('lenet5', { seed: 0 });
    try {
      expect(layersOf(net, 'default')).toEqual(['conv2', 'fc1']);
      expect(layersOf(net, 'all')).toEqual(['conv1', 'conv2', 'fc1', 'fc2']);
      expect(layersOf(net, ['fc1'])).toEqual(['fc1']);
    } finally {
      net.dispose();
    }
  });

  it('parses default, all and paths; a sweep takes no paths; an empty list is refused', () => {
    expect(resolveLayerSet({}, true)).toBe('default');
    expect(resolveLayerSet({ layers: 'all' }, false)).toBe('all');
    expect(resolveLayerSet({ layers: 'conv2, fc1' }, true)).toEqual(['conv2', 'fc1']);
    expect(() => resolveLayerSet({ layers: 'fc1' }, false)).toThrow(UsageError);
    expect(() => resolveLayerSet({ layers: 'fc1' }, false)).toThrow(/--layers must be 'default' or 'all'/);
    expect(() => resolveLayerSet({ layers: ' , ' }, true)).toThrow(/--layers must name at least one layer path/);
  });
});
