// Browser stand-in for `node:fs` inside @tnzip/data (package.json "browser" maps the builtin here, so
// bundlers such as Vite and esbuild build pages that import @tnzip/data). Dataset files (MNIST, Fashion-MNIST,
// CIFAR-10, IDX files) are read from disk in Node only; in a page, fetch the bytes and decode them
// with readIdx / decodeCifar10.
// Every function throws TnzipError IO_ERROR naming itself; nothing runs at import time.
import { TnzipError } from '@tnzip/tensor';

const nodeOnly = (name) => () => {
  throw new TnzipError(
    'IO_ERROR',
    `@tnzip/data: node:fs ${name}() exists only in Node; in a browser fetch the bytes and pass them to readIdx (raw, not gzip) or decodeCifar10`,
  );
};

export const readFileSync = nodeOnly('readFileSync');
export const existsSync = nodeOnly('existsSync');
export const statSync = nodeOnly('statSync');
export const mkdirSync = nodeOnly('mkdirSync');
export const writeFileSync = nodeOnly('writeFileSync');
export const openSync = nodeOnly('openSync');
export const closeSync = nodeOnly('closeSync');
export const fstatSync = nodeOnly('fstatSync');
export const readSync = nodeOnly('readSync');
/** Read only as arguments of the functions above, which throw first. */
export const constants = Object.freeze({});
