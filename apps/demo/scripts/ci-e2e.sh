#!/usr/bin/env bash
# CI: builds the demo and runs its browser test (e2e/run.ts) in Debian's chromium, installing chromium
# first when the machine lacks it (apt, as root). Run from anywhere after `bash scripts/setup.sh`.
# Screenshots land in apps/demo/test-results/ (gitignored).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

chromium="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  echo "demo e2e: installing chromium (Debian package)"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
fi

pnpm run build
pnpm run test:e2e
echo "demo e2e: finished in $(( $(date +%s) - start ))s"
