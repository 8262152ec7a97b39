// Files a script generates and the repository commits (so that source checkouts, vitest and tsx
// have them without a build): written atomically, or, with `--check` on the command line (CI),
// compared with what is committed. Used by packages/layers/scripts/bundle-tfjs-gradients.mjs and
// packages/tensor/scripts/build-wasm.mjs.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Writes `files` ([path, text] pairs), or with `--check` exits 1 naming the first that differs.
 * @param tool the script's name, for the messages
 * @param rerun the command that regenerates the files
 * @param summary what the success line says after the first path
 */
export function writeOrCheck(tool, files, rerun, summary) {
  const [first] = files[0];
  if (process.argv.includes('--check')) {
    const stale = files.find(([path, text]) => !existsSync(path) || readFileSync(path, 'utf8') !== text);
    if (stale !== undefined) {
      console.error(`${tool} --check: ${stale[0]} is not what the script makes; run ${rerun}`);
      process.exit(1);
    }
    console.log(`${tool} --check: ${first} is current (${summary})`);
    return;
  }
  for (const [path, text] of files) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(`${path}.tmp`, text);
    renameSync(`${path}.tmp`, path);
  }
  console.log(`${tool}: wrote ${first} (${summary})`);
}
