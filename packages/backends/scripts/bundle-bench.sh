#!/usr/bin/env bash
# Packs the benchmark's one-cell runner (bench/case.ts) and the saved-model timer (bench/model-latency.ts) into a self-contained folder for a machine that
# has a GPU but no Node install or npm access (the GPU figures in README.md were taken this way):
#   <out>/case.mjs, <out>/model-latency.mjs   the runners, bundled by esbuild (tfjs, tnzip sources)
#   <out>/*.wasm         tfjs-backend-wasm's binaries, found next to the bundle
#   <out>/probe.mjs      prints the WebGPU adapter Dawn finds (scripts/probe-adapter.mjs)
#   <out>/node_modules/webgpu   Dawn for linux-x64 (not bundlable: a native addon; dawn.node xz-compressed)
#   <out>/libvulkan.so.1 the Vulkan loader, for hosts that lack it (set LD_LIBRARY_PATH=<out>)
#   <out>/node.xz        this machine's Node binary, xz-compressed
# Usage (after `pnpm install`): packages/backends/scripts/bundle-bench.sh [out-dir, default .gl]
# On the GPU host, from the repository root: packages/backends/scripts/gpu-bench.sh <out> runs the whole set;
# by hand: xz -dc node.xz > node && chmod +x node && xz -dk node_modules/webgpu/dist/linux-x64/dawn.node.xz &&
#   LD_LIBRARY_PATH=$PWD ./node case.mjs webgpu 1 resnet20 64 4
#   (model-latency.mjs takes: backend threads rounds batch[,batch…] dense-dir model-dir…; copy the model dirs along)
# In a headless NVIDIA container, the GLX Vulkan driver fails ("Could not get 'vkCreateInstance' via
# 'vk_icdGetInstanceProcAddr' for ICD libGLX_nvidia.so.0"); point the loader at the EGL one instead:
#   printf '{"file_format_version":"1.0.1","ICD":{"library_path":"libEGL_nvidia.so.0","api_version":"1.3.0"}}' > nv.json
#   export VK_ICD_FILENAMES=$PWD/nv.json
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
out="$(mkdir -p "${1:-$root/.gl}" && cd "${1:-$root/.gl}" && pwd)"
cd "$root/packages/backends"
esbuild="$(node -e "console.log(require.resolve('esbuild/bin/esbuild', { paths: [require.resolve('vite')] }))" 2>/dev/null ||
  find "$root/node_modules/.pnpm" -path '*esbuild/bin/esbuild' | head -1)"
banner="import {createRequire as __cr} from 'module'; import {fileURLToPath as __fu} from 'url'; import {dirname as __dn} from 'path'; const require = __cr(import.meta.url); const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);"
for entry in case model-latency; do
  "$esbuild" "bench/$entry.ts" --bundle --platform=node --format=esm --conditions=@tnzip/source --external:webgpu \
    --main-fields=module,main \
    --log-level=error --outfile="$out/$entry.mjs" --banner:js="$banner"
done
wasm_pkg="$(node -e "console.log(require('path').dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')))")"
cp "$wasm_pkg"/wasm-out/*.wasm "$out/"
cp scripts/probe-adapter.mjs "$out/probe.mjs"
webgpu_pkg="$(node -e "console.log(require('path').dirname(require.resolve('webgpu/package.json')))")"
mkdir -p "$out/node_modules/webgpu/dist"
cp "$webgpu_pkg/package.json" "$webgpu_pkg/index.js" "$out/node_modules/webgpu/"
mkdir -p "$out/node_modules/webgpu/dist/linux-x64"
xz -T0 -6 -c "$webgpu_pkg/dist/linux-x64/dawn.node" > "$out/node_modules/webgpu/dist/linux-x64/dawn.node.xz"
lib="$(ldconfig -p | awk '/libvulkan\.so\.1 .*x86-64/ { print $NF; exit }')"
if [ -n "$lib" ]; then cp "$(readlink -f "$lib")" "$out/libvulkan.so.1"; fi
xz -T0 -3 -c "$(command -v node)" > "$out/node.xz"
du -sh "$out"
