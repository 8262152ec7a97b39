/** Name of the metrics log inside `outDir`. */
export const METRICS_FILE = 'metrics.jsonl';
/** Name of the checkpoint folder inside `outDir`. */
export const CHECKPOINT_DIR = 'checkpoints';
