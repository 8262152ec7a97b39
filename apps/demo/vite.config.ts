import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig, type Plugin } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

/** The HTML pages of the build (the two views); `./` is the first one again, as a directory URL. */
const PAGES = ['index.html', 'compress.html'];

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/**
 * Emits `sw.js` from `src/sw-template.js` with the list of every built file (app shell, chunks, the
 * wasm binaries) and every public file (models, samples) to precache, and a version that changes with
 * that list, so the page works offline after its first visit.
 */
function serviceWorker(): Plugin {
  return {
    name: 'tnzip-service-worker',
    apply: 'build',
    generateBundle(_options, bundle) {
      const publicDir = join(here, 'public');
      // A Set: the pages may already be in the bundle, and cache.addAll rejects duplicate requests.
      const listed = new Set([
        './',
        ...PAGES.map((p) => `./${p}`),
        ...Object.keys(bundle).map((f) => `./${f}`),
        ...filesUnder(publicDir).map((f) => `./${relative(publicDir, f).split('\\').join('/')}`),
      ]);
      const files = [...listed].filter((f) => f !== './sw.js');
      const version = hash(
        files.join('\n') +
          Object.values(bundle)
            .map((c) => ('code' in c ? c.code.length : 0))
            .join(),
      );
      const template = readFileSync(join(here, 'src', 'sw-template.js'), 'utf8');
      this.emitFile({
        type: 'asset',
        fileName: 'sw.js',
        source: template
          .replace('self.__PRECACHE__', JSON.stringify(files))
          .replace('self.__VERSION__', JSON.stringify(version)),
      });
    },
  };
}

function hash(s: string): string {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return (h >>> 0).toString(16);
}

export default defineConfig({
  // Relative URLs: the built page works from any path (a sub-directory of a static host, file servers).
  base: './',
  resolve: { conditions: ['@tnzip/source', ...defaultClientConditions] },
  plugins: [serviceWorker()],
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 2000,
    rollupOptions: { input: Object.fromEntries(PAGES.map((p) => [p.replace('.html', ''), join(here, p)])) },
  },
  worker: { format: 'es' },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
