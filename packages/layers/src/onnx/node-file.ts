import { TnzipError } from '@tnzip/tensor';
import { makeDirectory } from '../io/make-directory.js';
import { type NodeFs, nodeFs } from '../io/node-fs.js';

/** The file name `writeOnnxFile` gives the model inside its directory. */
export const ONNX_MODEL_FILE = 'model.onnx';

/**
 * Writes an encoded ONNX model as `dir/model.onnx` (Node only), through a temporary name and a
 * rename, so a reader never sees a half-written file. Returns the path written. IO_ERROR when
 * the directory cannot be created or written.
 */
export async function writeOnnxFile(dir: string, bytes: Uint8Array): Promise<string> {
  const fs = (await nodeFs('writeOnnxFile')) as NodeFs & { rm(path: string, o: { force: boolean }): Promise<void> };
  const path = `${dir.replace(/\/+$/, '')}/${ONNX_MODEL_FILE}`;
  const tmp = `${path}.tmp-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
  try {
    await makeDirectory(dir); // not fs.mkdir recursive: that spins forever on procfs
    await fs.writeFile(tmp, bytes);
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw new TnzipError('IO_ERROR', `writeOnnxFile: cannot write '${path}': ${(e as Error).message}`, { cause: e });
  }
  return path;
}
