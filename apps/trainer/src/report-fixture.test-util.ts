// Run directories for report tests, from src/fixtures/lenet5-compress: the config.json, results.json
// and metrics logs of a real `tnzip compress --model lenet5 --method energy --budget 4x --epochs 2
// --limit-train 3000 --limit-test 1000 --log-every 5` (conv2 Tucker-2, fc1 low rank, as the main job).
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Results } from './results.js';

/** The fixture's directory. */
export const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'lenet5-compress');

/** The fixture's results.json. */
export async function fixtureResults(): Promise<Results> {
  return JSON.parse(await fs.readFile(path.join(FIXTURE, 'results.json'), 'utf8')) as Results;
}

/** A copy of the fixture's compress run in `dir` (created). */
export async function compressRun(dir: string): Promise<string> {
  await fs.cp(FIXTURE, dir, { recursive: true });
  return dir;
}

/**
 * The fixture's dense half as a `train` run in `dir`: its dense metrics log, a train config and
 * results without the compressed model.
 */
export async function trainRun(dir: string): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  const r = await fixtureResults();
  const config = JSON.parse(await fs.readFile(path.join(FIXTURE, 'config.json'), 'utf8')) as {
    source: { train: unknown };
  };
  const results: Results = {
    command: 'train',
    model: r.model,
    dataset: r.dataset,
    dense: r.dense,
    wallSeconds: 11.2,
    epochs: { dense: r.epochs.dense, finetune: 0 },
  };
  await fs.writeFile(
    path.join(dir, 'config.json'),
    JSON.stringify({
      command: 'train',
      argv: ['train', '--model', 'lenet5', '--epochs', '2'],
      train: config.source.train,
    }),
  );
  await fs.writeFile(path.join(dir, 'results.json'), JSON.stringify(results));
  await fs.copyFile(path.join(FIXTURE, 'dense', 'metrics.jsonl'), path.join(dir, 'metrics.jsonl'));
  return dir;
}
