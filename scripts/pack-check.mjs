#!/usr/bin/env node
// Packs every published workspace package the way `pnpm publish` would and checks the tarball:
// publint (package.json exports/files against the packed contents) and arethetypeswrong (the
// types resolve for ESM consumers under node16 and bundler resolution). Exits non-zero on any
// problem. Run after `pnpm build`.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const outDir = join(root, '.pack');
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: 'inherit' });
const bin = (name) => join(root, 'node_modules', '.bin', name);

let failures = 0;
for (const dir of readdirSync(join(root, 'packages')).sort()) {
  const pkgDir = join(root, 'packages', dir);
  let pkg;
  try {
    pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  } catch {
    continue;
  }
  if (pkg.private) continue;
  console.log(`\n== ${pkg.name}@${pkg.version}`);
  const before = new Set(readdirSync(outDir));
  run('pnpm', ['pack', '--pack-destination', outDir], pkgDir);
  const tarball = readdirSync(outDir).find((f) => f.endsWith('.tgz') && !before.has(f));
  if (tarball === undefined) {
    console.error(`pack-check: pnpm pack produced no tarball for ${pkg.name}`);
    failures++;
    continue;
  }
  const tgz = join(outDir, tarball);
  try {
    run(bin('publint'), ['run', tgz, '--strict'], root);
    run(bin('attw'), [tgz, '--profile', 'esm-only', '--format', 'table-flipped'], root);
  } catch {
    failures++;
  }
}
if (failures > 0) {
  console.error(`\npack-check: ${failures} package(s) failed`);
  process.exit(1);
}
console.log('\npack-check: every package packs cleanly');
