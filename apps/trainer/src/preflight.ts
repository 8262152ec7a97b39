import * as fs from 'node:fs/promises';
import { type DatasetHeaders, datasetHeaders } from '@tnzip/data';
import { type Module, makeDirectory } from '@tnzip/layers';
import { type Budget, checkLatencyReachable, type DenseFallback, type RankFormat } from '@tnzip/ranks';
import { rankProblem, totalCost } from '@tnzip/ranks/internal';
import { TnzipError } from '@tnzip/tensor';
import { createModel, modelInputShape } from '@tnzip/zoo';
import type { DatasetRequest } from './datasets.js';
import { FileError, UsageError } from './exit-codes.js';
import { type LayerSet, layersOf } from './layer-set.js';
import { METHODS } from './methods.js';

/** The rank problem a compress run will solve, checked for feasibility before any training. */
export interface BudgetCheck {
  readonly method: string;
  readonly format: RankFormat;
  readonly budget: Budget;
  /** null (configs written before `--layers all`): 'default'. */
  readonly layers: LayerSet | null;
  readonly denseFallback: DenseFallback;
  /** The `--budget` text as typed (for the message). */
  readonly text: string;
  /** A latency budget: the backend's threads (the latency table's key; default 1). */
  readonly threads?: number;
}

/** What {@link preflight} checks; every part optional. */
export interface PreflightRequest {
  /** The dataset to read headers of (shapes and counts; no example is loaded). */
  readonly dataset?: DatasetRequest;
  /** A zoo model name: its input shape must match the dataset's. */
  readonly model?: string;
  /** The budget the selection will face (needs `model`). */
  readonly budget?: BudgetCheck;
  /** `--out`: created (without spinning) and checked writable. */
  readonly out?: string;
}

/**
 * Checks a run's inputs before any work (training, dataset loading, run directory): the dataset's
 * headers (missing files NOT_FOUND, a corrupt header or test images of another shape CORRUPT_FILE:
 * exit 3), the model's input shape against them and the budget against the smallest plan the
 * architecture allows (UsageError: exit 2), then `--out` (FileError: exit 3). Returns the headers.
 */
export async function preflight(req: PreflightRequest): Promise<DatasetHeaders | null> {
  let headers: DatasetHeaders | null = null;
  if (req.dataset !== undefined) {
    const d = req.dataset;
    if (d.dataset === 'cifar10' && d.dataDir === null)
      throw new UsageError(
        '--dataset cifar10 needs --data-dir DIR (the directory of data_batch_1.bin … test_batch.bin from cifar-10-binary.tar.gz)',
      );
    headers = datasetHeaders(d.dataset, d.dataDir ?? undefined);
    if (req.model !== undefined) checkModelShape(req.model, d.dataset, headers.inputShape);
  }
  if (req.budget !== undefined && req.model !== undefined) await checkBudget(req.model, headers, req.budget);
  if (req.out !== undefined) await checkOut(req.out);
  return headers;
}

function checkModelShape(model: string, dataset: string, shape: readonly number[]): void {
  const want = modelInputShape(model, model === 'resnet18' ? { inputShape: shape } : {});
  if (want.join('x') !== shape.join('x'))
    throw new UsageError(
      `model ${model} expects inputs [${want.join(', ')}] but dataset ${dataset} has [${shape.join(', ')}] (choose a matching --dataset)`,
    );
}

/**
 * The smallest plan of the method's format on the (freshly built, untrained) architecture must fit
 * the budget: ranks' costs depend on the shapes only, so this is what the selector finds after
 * training, known before it. A latency budget is timed instead, on the active backend: the
 * format's fastest plan must come within reach of it (`checkLatencyReachable`; timing does not
 * depend on the weights either).
 */
async function checkBudget(model: string, headers: DatasetHeaders | null, b: BudgetCheck): Promise<void> {
  if (METHODS[b.method]?.formats === null) return; // ADA/SCADA plan their own format
  const inputShape = headers?.inputShape ?? modelInputShape(model);
  // Every dataset of the CLI has 10 classes (datasets.ts).
  const net = createModel(model, { seed: 0, numClasses: 10, ...(model === 'resnet18' ? { inputShape } : {}) });
  try {
    const context = { inputShape: [...inputShape], layers: layersOf(net, b.layers ?? 'default') };
    if (b.budget.metric === 'latency') await checkLatency(net, context, b);
    else checkSmallestPlan(net, context, b, model);
  } finally {
    net.dispose();
  }
}

type PreflightContext = { inputShape: number[]; layers: string[] };

function checkSmallestPlan(net: Module, context: PreflightContext, b: BudgetCheck, model: string): void {
  const problem = rankProblem(net, b.budget, context, { format: b.format, denseFallback: b.denseFallback });
  // As checkFeasible: every rank at its minimum is the cheapest plan of this format.
  const least = totalCost(problem, problem.minRanks) / problem.denseTotal;
  if (least > b.budget.target)
    throw new UsageError(
      `--budget ${b.text} is unreachable for ${model} with ${b.method} ${b.format} ranks (${b.budget.metric}): ` +
        `allowed [${least.toPrecision(4)}, 1] as a fraction, or up to ${(1 / least).toFixed(2)}x`,
    );
}

/** The latency selection's batch and table key (select-step.ts), timed before training. */
async function checkLatency(net: Module, context: PreflightContext, b: BudgetCheck): Promise<void> {
  try {
    await checkLatencyReachable(net, b.budget, context, { format: b.format, batch: 64, threads: b.threads ?? 1 });
  } catch (e) {
    if (e instanceof TnzipError && e.code === 'INVALID_BUDGET')
      throw new UsageError(`--budget ${b.text}: ${e.message}`);
    throw e;
  }
}

/**
 * `--out` is created (parents too) with {@link makeDirectory}, which fails at once where Node's
 * recursive mkdir would spin (procfs), and must be a writable directory.
 */
export async function checkOut(out: string): Promise<void> {
  try {
    await makeDirectory(out);
    await fs.access(out, fs.constants.W_OK);
  } catch (e) {
    throw new FileError(`--out: output directory '${out}' is not writable: ${(e as Error).message}`);
  }
}
