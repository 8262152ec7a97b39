// Reads a package README's "## Install" and "## Example" sections and turns the example into
// scripts plain Node runs, so the README's code is what CI executes (see release-rehearsal.sh).
//
// Conventions the package READMEs follow:
// - "## Install" holds one ```sh block whose only command is `npm install <specs…>`;
// - "## Example" holds one ```ts block: a module (static imports first, top-level await allowed).
import { readFileSync } from 'node:fs';
import { transform } from 'esbuild';

/** The text of the first ```lang block after the heading `## title`, or an error naming what is missing. */
function block(markdown, readme, title, lang) {
  const start = markdown.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`${readme}: no "## ${title}" section`);
  const rest = markdown.slice(start + title.length + 5);
  const end = rest.search(/\n## /);
  const section = end < 0 ? rest : rest.slice(0, end);
  const m = new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\\n\`\`\``).exec(section);
  if (m === null) throw new Error(`${readme}: "## ${title}" has no \`\`\`${lang} block`);
  return m[1];
}

/** One `import` line of an example as the equivalent `require` (namespace, named or bare imports). */
function requireLine(line) {
  if (line.trim() === '') return line;
  let m = /^import '([^']+)';$/.exec(line);
  if (m !== null) return `require('${m[1]}');`;
  m = /^import \* as (\w+) from '([^']+)';$/.exec(line);
  if (m !== null) return `const ${m[1]} = require('${m[2]}');`;
  m = /^import \{([^}]*)\} from '([^']+)';$/.exec(line);
  if (m === null) throw new Error(`readme-example: cannot turn this import into require: ${line}`);
  const names = m[1]
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '' && !n.startsWith('type '))
    .map((n) => n.replace(/^(\w+) as (\w+)$/, '$1: $2'));
  return `const { ${names.join(', ')} } = require('${m[2]}');`;
}

/**
 * `{ install, esm, cjs }` for `readme`: `install` the package specs of its `npm install` line;
 * `esm` the example with types stripped (an .mjs module); `cjs` the same as a CommonJS script
 * (imports become `require`, the rest runs in an async function).
 */
export async function readmeExample(readme) {
  const markdown = readFileSync(readme, 'utf8');
  const sh = block(markdown, readme, 'Install', 'sh').trim();
  const words = sh.split(/\s+/);
  if (sh.includes('\n') || words[0] !== 'npm' || words[1] !== 'install' || words.length < 3) {
    throw new Error(`${readme}: the Install block must be one line "npm install <packages>", got: ${sh}`);
  }
  const code = block(markdown, readme, 'Example', 'ts');
  const installed = new Set(words.slice(2).map((w) => w.replace(/(.)@.*$/, '$1')));
  for (const m of code.matchAll(/^import (?:[^'"]* from )?'([^']+)';$/gm)) {
    const spec = m[1] ?? '';
    const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? '');
    if (!spec.startsWith('node:') && !installed.has(name)) {
      throw new Error(`${readme}: the example imports ${spec}, which its Install line does not install`);
    }
  }
  const lines = code.split('\n');
  const firstBody = lines.findIndex((l) => l.trim() !== '' && !l.startsWith('import '));
  const imports = lines.slice(0, firstBody < 0 ? lines.length : firstBody).join('\n');
  const body = firstBody < 0 ? '' : lines.slice(firstBody).join('\n');
  const opts = { loader: 'ts', target: 'node20', sourcefile: readme };
  const esm = (await transform(code, { ...opts, format: 'esm' })).code;
  const cjsImports = imports.split('\n').map(requireLine).join('\n');
  const esmBody = (await transform(body, { ...opts, format: 'esm' })).code;
  const cjs = [
    cjsImports,
    '(async () => {',
    esmBody,
    '})().catch((e) => {',
    '  console.error(e);',
    '  process.exit(1);',
    '});',
    '',
  ].join('\n');
  return { install: words.slice(2), esm, cjs };
}
