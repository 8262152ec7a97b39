#!/usr/bin/env bash
# Runs the backends benchmark on a GPU host from the folder bundle-bench.sh packed (no Node or npm
# needed there): the WebGPU adapter Dawn finds, then bench/case.ts's cells (ResNet-20 inference at
# batch 1/64/256, LeNet-5 training at 64/256) on webgpu and on 1-thread wasm, each cell in its own
# process, two rounds; then the demo's five LeNet-5 models against the dense one, interleaved
# (bench/model-latency.ts), on webgpu at batch 1/64/1024 and on wasm at 1/64.
# Usage, from the repository root (the demo's models are read from apps/demo/public/models):
#   packages/backends/scripts/gpu-bench.sh [bundle-dir, default .gl]
set -uo pipefail
root="$PWD"
cd "${1:-$root/.gl}"
[ -x node ] || { xz -dc node.xz > node && chmod +x node; }
dawn=node_modules/webgpu/dist/linux-x64/dawn.node
[ -f "$dawn" ] || xz -dk "$dawn.xz"
export LD_LIBRARY_PATH="$PWD${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo 'no nvidia-smi'
lscpu | grep -m1 'Model name' || true
echo "node $(./node --version)"

# The Vulkan driver: the host's default, else NVIDIA's ICD file, else its EGL library (headless
# containers whose GLX driver fails vkCreateInstance).
printf '{"file_format_version":"1.0.1","ICD":{"library_path":"libEGL_nvidia.so.0","api_version":"1.3.0"}}' > nv-egl.json
found=''
for icd in '' /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json "$PWD/nv-egl.json"; do
  if [ -n "$icd" ]; then [ -f "$icd" ] || continue; export VK_ICD_FILENAMES="$icd"; else unset VK_ICD_FILENAMES; fi
  if info="$(timeout 60 ./node probe.mjs 2>&1)" && grep -qi nvidia <<< "$info"; then found=1; echo "adapter ($icd): $info"; break; fi
  echo "no NVIDIA adapter with ICD '${icd:-default}': $(tail -c 300 <<< "$info")"
done
[ -n "$found" ] || { echo 'no NVIDIA WebGPU adapter: stopping'; exit 1; }

cells=('resnet20 1' 'resnet20 64' 'resnet20 256' 'lenet5-train 64' 'lenet5-train 256')
for round in 1 2; do
  for backend in webgpu wasm; do
    for cell in "${cells[@]}"; do
      # shellcheck disable=SC2086
      timeout 90 ./node case.mjs "$backend" 1 $cell 3 || echo "cell failed: $backend $cell (round $round)"
    done
  done
done

m="$root/apps/demo/public/models"
models=("$m/dense" "$m/batude" "$m/lwiq" "$m/ada" "$m/scada")
timeout 180 ./node model-latency.mjs webgpu 1 15 1,64,1024 "${models[@]}" || echo 'model-latency webgpu failed'
timeout 120 ./node model-latency.mjs wasm 1 15 1,64 "${models[@]}" || echo 'model-latency wasm failed'
