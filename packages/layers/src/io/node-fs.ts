import { TnzipError } from '@tnzip/tensor';

/**
 * The few `node:fs/promises` functions model files use, typed locally so that the package
 * builds without Node's type definitions and browsers never load the module (it is imported
 * dynamically, only for directory paths).
 */
export interface NodeFs {
  mkdir(path: string, options?: { recursive: boolean }): Promise<unknown>;
  stat(path: string): Promise<NodeStats>;
  realpath(path: string): Promise<string>;
  open(path: string, flags: number): Promise<NodeFileHandle>;
  readonly constants: { readonly O_RDONLY: number; readonly O_NOFOLLOW?: number; readonly O_NONBLOCK?: number };
  writeFile(path: string, data: string | Uint8Array): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  readFile(path: string, encoding: 'utf8'): Promise<string>;
  readFile(path: string): Promise<Uint8Array>;
}

/** The parts of `fs.Stats` the loaders use. */
export interface NodeStats {
  readonly size: number;
  isFile(): boolean;
  isDirectory(): boolean;
}

/** The parts of `fs.promises.FileHandle` the loaders use. */
export interface NodeFileHandle {
  stat(): Promise<NodeStats>;
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
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

/**
 * Writes `content` to `dir/name` through a temporary name in the same directory and a rename, so
 * a reader sees the old file or the new one, never a half-written one.
 */
export async function writeAtomic(fs: NodeFs, dir: string, name: string, content: string | Uint8Array): Promise<void> {
  const final = `${dir}/${name}`;
  const tmp = `${final}.tmp-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
  await fs.writeFile(tmp, content);
  await fs.rename(tmp, final);
}
