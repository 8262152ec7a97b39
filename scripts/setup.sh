#!/usr/bin/env bash
# Installs everything tnzip needs on a fresh Debian machine that has only Node 20 and npm:
# the pinned pnpm, the Debian packages the tests and benchmarks read, and the workspace's
# npm dependencies. Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=12.21.0
if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  npm install -g "pnpm@$PNPM_VERSION"
fi

# Debian packages: real Fashion-MNIST (tests of @tnzip/data); chromium (the trainer's report.html
# test opens the page in it, as the demo's browser test does); redis-server (the trainer's queue tests
# start their own on a loopback port: `tnzip sweep --queue` / `tnzip worker` run on BullMQ + Redis).
apt_missing=()
[ -d /usr/share/datasets/fashion-mnist ] || apt_missing+=(dataset-fashion-mnist)
[ -x /usr/bin/chromium ] || apt_missing+=(chromium)
[ -x /usr/bin/redis-server ] || apt_missing+=(redis-server)
if [ ${#apt_missing[@]} -gt 0 ]; then
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: need root (or sudo) to apt-get install ${apt_missing[*]}" >&2; exit 1; }
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${apt_missing[@]}"
fi

pnpm install --frozen-lockfile
