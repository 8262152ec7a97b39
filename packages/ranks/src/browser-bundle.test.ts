import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Rolldown } from 'vite';
import { afterAll, describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tnzip-ranks-bundle-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/**
 * Bundles `source` (an entry module) for the browser with Vite, as apps/demo does, and returns the
 * output code. tfjs is left external: it is the peer dependency every page bundles anyway, and
 * leaving it out keeps the build a few seconds long.
 */
async function bundle(name: string, source: string): Promise<string> {
  const entry = path.join(dir, `${name}.ts`);
  fs.writeFileSync(entry, source);
  const out = await build({
    configFile: false,
    logLevel: 'silent',
    root: dir,
    resolve: { conditions: ['@tnzip/source', 'browser', 'module', 'import', 'default'] },
    build: {
      write: false,
      minify: false,
      lib: { entry, formats: ['es'], fileName: name },
      rolldownOptions: { external: [/^@tensorflow\//] },
    },
  });
  const outputs = (Array.isArray(out) ? out : [out]) as Rolldown.RolldownOutput[];
  return outputs
    .flatMap((o) => o.output)
    .map((c) => ('code' in c ? c.code : ''))
    .join('\n');
}

/** A Node built-in left in the bundle: a `node:` import, or Vite's stub for one. */
const NODE_ONLY = /["'`]node:[a-z_/]+["'`]|__vite-browser-external/;

describe('browser bundle of @tnzip/ranks', () => {
  it('every public export (all the selectors, BATUDE included) bundles without a Node built-in', async () => {
    const code = await bundle('ranks', `export * from ${JSON.stringify(path.join(here, 'index.ts'))};\n`);
    expect(code).toMatch(/batudeSelector/);
    expect(code).toMatch(/lwiqSelector/);
    expect(code.match(NODE_ONLY)?.[0] ?? null).toBeNull();
  }, 120_000);

  it('the check sees a Node built-in when an entry does pull one in', async () => {
    // (@tnzip/train's own Node built-ins map to browser stand-ins through its `browser` field, so
    // the Node-only compress entry bundles too; a direct node: import is what the check must catch.)
    const code = await bundle(
      'node-only',
      `import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n`,
    );
    expect(code).toMatch(NODE_ONLY);
  }, 120_000);
});
