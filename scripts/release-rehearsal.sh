#!/usr/bin/env bash
# Release rehearsal (CI): the real release path, published to a throw-away local registry, then
# every package installed alone the way a user would and its README example run.
#
#  1. copies the working tree (tracked and untracked, not ignored files) to a temporary directory
#     and installs it offline: the real tree's versions and changesets are never touched;
#  2. starts Verdaccio on 127.0.0.1 (a random free port, storage in the temporary directory; only
#     packages other than @tnzip/* are proxied to the npm registry), and refuses to go on unless
#     every registry setting the publish could use points at it;
#  3. in the copy: a changeset bumping every published package, `changeset version --snapshot`,
#     `pnpm build`, `changeset publish --tag rehearsal`;
#  4. scripts/rehearsal/consumers.mjs: for each package, a fresh directory outside any workspace,
#     `npm install` of its README's Install line (the @tnzip packages at the snapshot version),
#     no `workspace:` range in any installed manifest, then its README example as an ES module and
#     as a CommonJS script in plain Node, no flags;
#  5. scripts/rehearsal/browser.mjs: one app that imports every package, bundled for the browser
#     by esbuild and by Vite, run in Debian chromium (trains a Tucker-2 layer for one step).
#
# Any failure exits non-zero. KEEP=1 keeps the temporary directory. Needs `bash scripts/setup.sh`
# first, network access to the npm registry (for tfjs and other third-party packages) and, for step
# 5, chromium (installed here from Debian when missing, as apps/demo/scripts/ci-e2e.sh does).
set -euo pipefail
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
# pnpm's bin shims set NODE_PATH to the monorepo's store; a consumer must not see it.
unset NODE_PATH
repo="$(cd "$(dirname "$0")/.." && pwd)"
start=$(date +%s)
step() { printf '\n--- rehearsal: %s (%ss)\n' "$1" "$(($(date +%s) - start))"; }

work="$(mktemp -d /tmp/tnzip-rehearsal.XXXXXX)"
verdaccio_pid=""
cleanup() {
  if [ -n "$verdaccio_pid" ]; then kill "$verdaccio_pid" 2>/dev/null || true; fi
  if [ "${KEEP:-0}" = 1 ]; then echo "rehearsal: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# A consumer must not find packages through a node_modules above its directory.
dir="$work"
while [ "$dir" != / ]; do
  dir="$(dirname "$dir")"
  if [ -e "$dir/node_modules" ]; then
    echo "rehearsal: $dir/node_modules exists; consumers in $work would resolve packages from it" >&2
    exit 1
  fi
done

step "copy the working tree to $work/repo"
mkdir -p "$work/repo"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard | tar --null -T - --ignore-failed-read -cf - 2>/dev/null) |
  tar -xf - -C "$work/repo"
cd "$work/repo"
git init -q
git add -A
git -c user.name=rehearsal -c user.email=rehearsal@localhost commit -qm "rehearsal snapshot"
pnpm install --frozen-lockfile --offline --reporter=silent

step "start Verdaccio on 127.0.0.1"
port="$(node -e "const s = require('node:net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })")"
registry="http://127.0.0.1:$port/"
uplink="$(cd "$repo" && npm config get registry)"
mkdir -p "$work/verdaccio"
cat >"$work/verdaccio/config.yaml" <<EOF
storage: $work/verdaccio/storage
auth:
  htpasswd:
    file: $work/verdaccio/htpasswd
uplinks:
  npmjs:
    url: $uplink
    timeout: 60s
packages:
  '@tnzip/*':
    access: \$all
    publish: \$authenticated
  '**':
    access: \$all
    proxy: npmjs
log: { type: stdout, format: pretty, level: warn }
EOF
"$repo/node_modules/.bin/verdaccio" --config "$work/verdaccio/config.yaml" --listen "127.0.0.1:$port" \
  >"$work/verdaccio/log.txt" 2>&1 &
verdaccio_pid=$!
for _ in $(seq 1 60); do
  curl -sf "${registry}-/ping" >/dev/null && break
  kill -0 "$verdaccio_pid" 2>/dev/null || { cat "$work/verdaccio/log.txt" >&2; exit 1; }
  sleep 0.5
done
curl -sf "${registry}-/ping" >/dev/null || { echo "rehearsal: Verdaccio did not start" >&2; exit 1; }
token="$(curl -sf -X PUT -H 'content-type: application/json' \
  -d '{"name":"rehearsal","password":"rehearsal-only"}' "${registry}-/user/org.couchdb.user:rehearsal" |
  node -e "let s = ''; process.stdin.on('data', (d) => (s += d)).on('end', () => console.log(JSON.parse(s).token))")"
printf 'registry=%s\n//127.0.0.1:%s/:_authToken=%s\n' "$registry" "$port" "$token" >"$work/npmrc"
cp "$work/npmrc" .npmrc
export npm_config_registry="$registry" npm_config_userconfig="$work/npmrc"

# Refuse to publish anywhere but the local registry.
local_re='^http://127\.0\.0\.1:[0-9]+/?$'
for tool in npm pnpm; do
  got="$($tool config get registry)"
  [[ "$got" =~ $local_re ]] || { echo "rehearsal: $tool would publish to $got, not 127.0.0.1; refusing" >&2; exit 1; }
done
node -e "
const fs = require('node:fs');
for (const d of fs.readdirSync('packages')) {
  const pkg = JSON.parse(fs.readFileSync('packages/' + d + '/package.json', 'utf8'));
  const r = pkg.publishConfig?.registry;
  if (r !== undefined && !/^http:\/\/127\.0\.0\.1:\d+\/?$/.test(r)) { console.error('rehearsal: ' + pkg.name + ' publishConfig.registry is ' + r + '; refusing'); process.exit(1); }
  if (fs.existsSync('packages/' + d + '/.npmrc')) { console.error('rehearsal: packages/' + d + '/.npmrc could redirect the publish; refusing'); process.exit(1); }
}"

step "changeset version --snapshot, build, changeset publish"
packages=()
for f in packages/*/package.json; do
  name="$(node -p "const p = require('./$f'); p.private ? '' : p.name")"
  [ -n "$name" ] && packages+=("$name")
done
{
  echo '---'
  for name in "${packages[@]}"; do echo "\"$name\": patch"; done
  echo '---'
  echo
  echo 'Release rehearsal.'
} >.changeset/zz-release-rehearsal.md
pnpm changeset version --snapshot rehearsal
# What `pnpm release` builds, less the private apps (they are not published).
pnpm exec turbo run build --filter='./packages/*' --output-logs=errors-only
pnpm changeset publish --tag rehearsal

step "install each package alone and run its README example (ESM and CJS)"
versions="$(node -e "
const fs = require('node:fs');
const v = {};
for (const d of fs.readdirSync('packages')) {
  const p = JSON.parse(fs.readFileSync('packages/' + d + '/package.json', 'utf8'));
  if (!p.private) v[p.name] = p.version;
}
console.log(JSON.stringify(v));")"
echo "$versions"
cd "$repo"
node scripts/rehearsal/consumers.mjs "$work/consumers" "$work/repo/packages" "$versions" "$registry"

step "a new user: npm install @tnzip/layers alone, import it, train a factorized layer one step"
layers_version="$(node -p "JSON.parse(process.argv[1])['@tnzip/layers']" "$versions")"
user="$work/new-user"
mkdir -p "$user"
cd "$user"
echo '{ "name": "new-user", "private": true }' >package.json
npm install --no-audit --no-fund --loglevel=error "@tnzip/layers@$layers_version"
got="$(NODE_OPTIONS='' node -e "import('@tnzip/layers').then(m => console.log(typeof m.Tucker2Conv2d))")"
[ "$got" = function ] || { echo "rehearsal: import('@tnzip/layers') gave Tucker2Conv2d: $got" >&2; exit 1; }
got="$(NODE_OPTIONS='' node -e "console.log(typeof require('@tnzip/layers').Tucker2Conv2d)")"
[ "$got" = function ] || { echo "rehearsal: require('@tnzip/layers') gave Tucker2Conv2d: $got" >&2; exit 1; }
echo "import('@tnzip/layers') and require('@tnzip/layers'): Tucker2Conv2d is a function"
npm install --no-audit --no-fund --loglevel=error @tensorflow/tfjs-backend-cpu
cp "$repo/scripts/rehearsal/train-step.mjs" .
NODE_OPTIONS='' node train-step.mjs
cd "$repo"

step "browser bundles (esbuild, Vite) in chromium"
chromium="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
fi
node scripts/rehearsal/browser.mjs "$work/browser" "$versions" "$registry" "$chromium"

step "done"
echo "rehearsal: published ${#packages[@]} packages to $registry, installed and ran each; finished in $(($(date +%s) - start))s"
