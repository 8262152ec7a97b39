#!/usr/bin/env bash
# WebGPU test group for CI: runs the tnzip suites on tfjs' webgpu backend in Node, through Dawn
# (the `webgpu` npm package). On machines without a GPU, Dawn runs on SwiftShader, the software
# Vulkan driver that Debian ships inside its `chromium` package (with the Vulkan loader from
# `libvulkan1`). Installs what is missing (needs root and apt; non-interactive), then runs:
#   - @tnzip/backends' own webgpu group (src/**/*.webgpu.test.ts),
#   - @tnzip/tensor, @tnzip/layers and @tnzip/ranks with TNZIP_BACKENDS=webgpu (every describeBackends spec),
#   - the trainer's webgpu group: `tnzip train --backend webgpu` against the same run on wasm.
# Usage: packages/backends/scripts/ci-webgpu.sh [all|backends]   (from anywhere; after `pnpm install`)
#   all (default, what CI runs): every group above; backends: only @tnzip/backends' group.
set -euo pipefail
cd "$(dirname "$0")/../../.."
groups="${1:-all}"
case "$groups" in
  all | backends) ;;
  *) echo "ci-webgpu: unknown group '$groups' (allowed: all, backends)" >&2; exit 2 ;;
esac

icd=/usr/lib/chromium/vk_swiftshader_icd.json
need=()
[ -f "$icd" ] || need+=(chromium)
ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1' || need+=(libvulkan1)
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "ci-webgpu: need ${need[*]} (apt) but not root" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# A real GPU's driver is used when VK_ICD_FILENAMES is already set; otherwise SwiftShader.
export VK_ICD_FILENAMES="${VK_ICD_FILENAMES:-$icd}"
# Dawn (via the Vulkan loader) wants a runtime dir; CI containers often have none.
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then
  XDG_RUNTIME_DIR="$(mktemp -d)"
  export XDG_RUNTIME_DIR
fi
chmod 700 "$XDG_RUNTIME_DIR"

status=0
TNZIP_WEBGPU=1 pnpm --filter @tnzip/backends test || status=1
if [ "$groups" = all ]; then
  # SwiftShader runs every kernel on the CPU: specs that take seconds on wasm took over the suites'
  # 60 s on a loaded 2-core machine (BATUDE's training specs, ADA's factorize, the fused LeNet-5 /
  # ResNet-20 check). The limit guards against hangs, not speed; 240 s here.
  for pkg in @tnzip/tensor @tnzip/layers @tnzip/ranks; do
    TNZIP_BACKENDS=webgpu pnpm --filter "$pkg" test --testTimeout=240000 --hookTimeout=240000 || status=1
  done
  TNZIP_WEBGPU=1 pnpm --filter @tnzip/trainer test || status=1
fi
exit "$status"
