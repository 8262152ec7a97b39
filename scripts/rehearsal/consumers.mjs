// Release rehearsal, step 4 (see ../release-rehearsal.sh):
//   node consumers.mjs <work dir> <packages dir> <versions JSON> <registry URL>
// For each published package: a fresh directory, `npm install` of the README's Install line from
// the local registry (@tnzip packages pinned to the rehearsal versions), a check
// that no installed manifest kept a `workspace:` range, then the README example run by plain Node
// as an ES module and as a CommonJS script. Exits non-zero if any of it fails.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readmeExample } from './readme-example.mjs';

const [work, packagesDir, versionsJson, registry = ''] = process.argv.slice(2);
if (work === undefined || packagesDir === undefined || versionsJson === undefined) {
  console.error('usage: node consumers.mjs <work dir> <packages dir> <versions JSON> <registry URL>');
  process.exit(2);
}
const versions = JSON.parse(versionsJson);
if (!/^http:\/\/127\.0\.0\.1:\d+\/?$/.test(registry)) {
  console.error(`consumers: the registry must be the local rehearsal registry on 127.0.0.1, got '${registry}'`);
  process.exit(2);
}
/** Environment of every consumer command: no NODE_OPTIONS or NODE_PATH (pnpm's bin shims set one) from the caller. */
const env = { ...process.env, NODE_OPTIONS: '', NODE_PATH: '' };
const EXAMPLE_TIMEOUT_MS = 240_000;

/** `name@version` for our packages (the rehearsal's snapshot), other specs as the README wrote them. */
function pin(spec) {
  const v = versions[spec];
  return v === undefined ? spec : `${spec}@${v}`;
}

/** Every package.json under node_modules/@tnzip whose dependencies still say `workspace:`. */
function workspaceRanges(dir) {
  const scope = join(dir, 'node_modules', '@tnzip');
  const bad = [];
  if (!existsSync(scope)) return bad;
  for (const name of readdirSync(scope)) {
    const manifest = JSON.parse(readFileSync(join(scope, name, 'package.json'), 'utf8'));
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
      for (const [dep, range] of Object.entries(manifest[field] ?? {})) {
        if (String(range).startsWith('workspace:')) bad.push(`@tnzip/${name} ${field}.${dep}: ${range}`);
      }
    }
  }
  return bad;
}

function run(what, cmd, args, cwd) {
  const t0 = performance.now();
  try {
    execFileSync(cmd, args, { cwd, env, stdio: 'inherit', timeout: EXAMPLE_TIMEOUT_MS });
  } catch (e) {
    throw new Error(`${what} failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  return ((performance.now() - t0) / 1000).toFixed(1);
}

const failures = [];
for (const dir of readdirSync(packagesDir).sort()) {
  const manifest = JSON.parse(readFileSync(join(packagesDir, dir, 'package.json'), 'utf8'));
  if (manifest.private) continue;
  const name = manifest.name;
  console.log(`\n== ${name}@${versions[name]}`);
  try {
    const { install, esm, cjs } = await readmeExample(join(packagesDir, dir, 'README.md'));
    if (!install.includes(name)) throw new Error(`README Install line does not install ${name}`);
    const cwd = join(work, dir);
    rmSync(cwd, { recursive: true, force: true });
    mkdirSync(cwd, { recursive: true });
    writeFileSync(
      join(cwd, 'package.json'),
      `${JSON.stringify({ name: `consumer-${dir}`, private: true }, null, 2)}\n`,
    );
    const specs = install.map(pin);
    const tInstall = run(
      'npm install',
      'npm',
      ['install', '--no-audit', '--no-fund', '--loglevel=error', `--registry=${registry}`, ...specs],
      cwd,
    );
    console.log(`installed ${specs.join(' ')} in ${tInstall}s`);
    for (const installed of install.filter((s) => s.startsWith('@tnzip/'))) {
      const changelog = join(cwd, 'node_modules', installed, 'CHANGELOG.md');
      if (!existsSync(changelog)) throw new Error(`${installed} was published without CHANGELOG.md`);
    }
    const bad = workspaceRanges(cwd);
    if (bad.length > 0) throw new Error(`published manifests keep workspace ranges: ${bad.join('; ')}`);
    writeFileSync(join(cwd, 'example.mjs'), esm);
    writeFileSync(join(cwd, 'example.cjs'), cjs);
    const tEsm = run('README example as ES module', 'node', ['example.mjs'], cwd);
    rmSync(join(cwd, 'runs'), { recursive: true, force: true });
    const tCjs = run('README example as CommonJS', 'node', ['example.cjs'], cwd);
    console.log(`${name}: README example ran in plain Node as ESM (${tEsm}s) and CJS (${tCjs}s)`);
  } catch (e) {
    console.error(`${name}: ${e instanceof Error ? e.message : String(e)}`);
    failures.push(name);
  }
}
if (failures.length > 0) {
  console.error(`\nconsumers: failed for ${failures.join(', ')}`);
  process.exit(1);
}
console.log('\nconsumers: every package installs alone and runs its README example (ESM and CJS)');
