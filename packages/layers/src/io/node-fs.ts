import { TnzipError } from '@tnzip/tensor';

/**
 * The few `node:fs/promises` functions model files use, typed locally so that the package
 * builds without Node's type definitions and browsers never load the module (it is imported
 * dynamically, only for directory paths).
 */
export interface NodeFs {
  mkdir(path: string, options: { recursive: boolean }): Promise<unknown>;
  writeFile(path: string, data: string | Uint8Array): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  readFile(path: string, encoding: 'utf8'): Promise<string>;
  readFile(path: string): Promise<Uint8Array>;
}

/** True when running under Node (where a string source/target is a directory path). */
export function inNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: unknown } } }).process;
  return typeof p?.versions?.node === 'string';
}

/** Loads `node:fs/promises`; IO_ERROR outside Node. */
export async function nodeFs(who: string): Promise<NodeFs> {
  const name = 'node:fs/promises';
  try {
    return (await import(/* @vite-ignore */ name)) as NodeFs;
  } catch (e) {
    throw new TnzipError(
      'IO_ERROR',
      `${who}: a directory path needs Node (node:fs); in a browser pass a URL or a tfjs IOHandler`,
      { cause: e },
    );
  }
}
