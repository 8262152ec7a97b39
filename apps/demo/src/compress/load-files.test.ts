import { describe, expect, it } from 'vitest';
import { shardNames } from './load-files.js';

describe('shardNames', () => {
  it('lists the base names of every shard of every manifest group, in order', () => {
    const json = JSON.stringify({
      modelTopology: {},
      weightsManifest: [
        { paths: ['./group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: [] },
        { paths: ['w/x.bin'] },
      ],
    });
    expect(shardNames(json)).toEqual(['group1-shard1of2.bin', 'group1-shard2of2.bin', 'x.bin']);
  });
  it('names the file when it is not JSON or has no manifest', () => {
    expect(() => shardNames('{', 'm.json')).toThrow(/m\.json is not JSON/);
    expect(() => shardNames('{"modelTopology":{}}', 'm.json')).toThrow(/m\.json has no weightsManifest/);
  });
});
