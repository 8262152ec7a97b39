import { TnzipError } from '@tnzip/tensor';

/** How to start a training worker: its script, and whether it is code to evaluate. */
export interface WorkerEntry {
  readonly script: URL | string;
  readonly eval: boolean;
  readonly execArgv?: string[];
}

/**
 * The compiled `train-worker.js` with plain Node, or the `.ts` source through tsx (as
 * `@tnzip/backends`' parallel predictor does): Node ignores `--import tsx` in a worker's execArgv,
 * so a small script registers tsx's hooks inside the thread and then imports the .ts worker.
 */
export async function workerEntry(): Promise<WorkerEntry> {
  if (!import.meta.url.endsWith('.ts')) return { script: new URL('./train-worker.js', import.meta.url), eval: false };
  return {
    script: await tsxWorkerScript(new URL('./train-worker.ts', import.meta.url).href),
    eval: true,
    execArgv: ['--conditions=@tnzip/source'],
  };
}

/**
 * Code for `new Worker(code, { eval: true })` that registers tsx's hooks inside the thread and then
 * imports the TypeScript module `moduleUrl` (the benchmarks start their own workers with it too).
 */
export async function tsxWorkerScript(moduleUrl: string): Promise<string> {
  // getBuiltinModule, not import(): bundlers for the browser see no Node module to resolve.
  const { createRequire } = process.getBuiltinModule('node:module');
  const { pathToFileURL } = process.getBuiltinModule('node:url');
  const { readFile } = process.getBuiltinModule('node:fs/promises');
  // require.resolve would pick tsx's require build of its ESM API, which cannot run here: read the import one.
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve('tsx/package.json');
  const pkg = JSON.parse(await readFile(pkgPath, 'utf8')) as {
    exports?: Record<string, { import?: { default?: string } } | string>;
  };
  const entry = pkg.exports?.['./esm/api'];
  const rel = typeof entry === 'object' ? entry.import?.default : undefined;
  if (rel === undefined) throw new TnzipError('BACKEND_UNAVAILABLE', 'data-parallel training: cannot find tsx/esm/api');
  const api = new URL(rel, pathToFileURL(pkgPath)).href;
  return `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(moduleUrl)}); });`;
}
