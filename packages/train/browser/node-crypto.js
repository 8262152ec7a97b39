// Browser stand-in for `node:crypto` inside @tnzip/train (package.json "browser" maps the builtin here, so
// bundlers such as Vite and esbuild build pages that import @tnzip/train). Checkpoints, the metrics log and
// `outDir` are Node only; `train()` without `outDir` runs in a page.
// Every function throws TnzipError IO_ERROR naming itself; nothing runs at import time.
import { TnzipError } from '@tnzip/tensor';

const nodeOnly = (name) => () => {
  throw new TnzipError(
    'IO_ERROR',
    `@tnzip/train: node:crypto ${name}() exists only in Node; in a browser call train() without outDir (no checkpoints or metrics files)`,
  );
};

export const createHash = nodeOnly('createHash');
