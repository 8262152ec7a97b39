#!/usr/bin/env bash
# Copies two finished `tnzip sweep` runs into docs/sweep/<model>/ (sweep.jsonl, sweep.md, the Pareto
# SVGs) and rebuilds docs/results-sweep.md from their own sweep.md tables, verbatim: no number in
# the document is typed by hand. Usage: scripts/sweep-doc.sh RUN_DIR_LENET300 RUN_DIR_LENET5
set -euo pipefail
cd "$(dirname "$0")/.."
r300=$1
r5=$2
for pair in "lenet300:$r300" "lenet5:$r5"; do
  name=${pair%%:*}
  dir=${pair#*:}
  mkdir -p "docs/sweep/$name"
  cp "$dir/sweep.jsonl" "$dir/sweep.md" "docs/sweep/$name/"
  cp "$dir"/*.svg "docs/sweep/$name/" 2>/dev/null || true
done
table() { sed -n '/^| model/,/^$/p' "$1/sweep.md"; }
{
  cat docs/sweep/header.md
  printf '\n## LeNet-300-100 (%s of 32 cells)\n\n' "$(wc -l < "$r300/sweep.jsonl")"
  table "$r300"
  printf '\nPareto plots: [accuracy vs params](sweep/lenet300/pareto-lenet300-params.svg), [accuracy vs MACs](sweep/lenet300/pareto-lenet300-macs.svg).\n'
  printf '\n## LeNet-5 (%s of 32 cells)\n\n' "$(wc -l < "$r5/sweep.jsonl")"
  table "$r5"
  printf '\nPareto plots: [accuracy vs params](sweep/lenet5/pareto-lenet5-params.svg), [accuracy vs MACs](sweep/lenet5/pareto-lenet5-macs.svg).\n'
} > docs/results-sweep.md
