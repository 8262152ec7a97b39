// Writes public/models/index.json for the page from what make-models.sh left in the work directory:
// each run's config.json (the exact command), `tnzip eval --json` (Node test accuracy on the 10,000
// MNIST test images, params, MACs, bytes) and `tnzip summary --json` (per-layer kinds and ranks).
// Usage: node scripts/make-index.mjs WORK_DIR OUT_DIR
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [work, out] = process.argv.slice(2);
if (work === undefined || out === undefined) throw new Error('usage: make-index.mjs WORK_DIR OUT_DIR');

const MODELS = [
  ['dense', 'Dense LeNet-5', 'no compression (the parent of the others)'],
  ['batude', 'BATUDE', 'budget-aware Tucker-2 / low rank (ADMM training toward the budget)'],
  ['lwiq', 'LWIQ', 'Tensor-Train, ranks by layer-wise imprinting significance'],
  ['ada', 'ADA-Tucker', 'dimension-adjusted Tucker, one core per layer'],
  ['scada', 'SCADA-Tucker', 'dimension-adjusted Tucker, one core shared by the layers'],
];

const readJson = (p) => JSON.parse(readFileSync(p, 'utf8'));
const runDir = (name) => {
  const dirs = readdirSync(join(work, name));
  if (dirs.length !== 1) throw new Error(`${work}/${name}: expected one run directory, found ${dirs.length}`);
  return join(work, name, dirs[0]);
};

/** The command as a reader can type it: work paths replaced by $WORK and $DENSE (the dense model dir). */
function command(argv) {
  const words = argv.map((a, i) => {
    if (argv[i - 1] === '--from') return '$DENSE';
    if (argv[i - 1] === '--out') return a.replace(work, '$WORK');
    return a;
  });
  return `tnzip ${words.join(' ')}`;
}

const budgetOf = (argv) => {
  const i = argv.indexOf('--budget');
  return i < 0 ? '' : ` at ${argv[i + 1]} params of conv2 + fc1`;
};

const models = MODELS.map(([name, label, what]) => {
  const argv = readJson(join(runDir(name), 'config.json')).argv;
  const ev = readJson(join(work, `${name}.eval.json`));
  const sum = readJson(join(work, `${name}.summary.json`));
  return {
    name,
    label,
    method: `${what}${budgetOf(argv)}`,
    command: command(argv),
    dir: `models/${name}/`,
    bytes: ev.bytes,
    params: ev.params,
    macs: ev.macs,
    nodeTop1: ev.testAcc,
    nodeTestCount: ev.testCount,
    layers: sum.layers
      .filter((l) => l.params > 0)
      .map((l) => ({
        layer: l.name,
        kind: l.kind,
        ranks: (String(l.ranks).match(/\d+/g) ?? []).map(Number),
        params: l.params,
        macs: l.macs,
      })),
  };
});
writeFileSync(join(out, 'index.json'), `${JSON.stringify({ models }, null, 2)}\n`);
console.log(
  `wrote ${join(out, 'index.json')}: ${models.map((m) => `${m.name} ${(100 * m.nodeTop1).toFixed(2)}%`).join(', ')}`,
);
