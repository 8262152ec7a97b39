#!/usr/bin/env bash
# Wall time of the same 6-cell sweep: local, queued with 1 worker, queued with 2 workers.
set -u
cd "$(dirname "$0")/.."
T=$(mktemp -d /tmp/tnzip-queue-bench-XXXXXX)
PORT=${PORT:-6391}
redis-server --port $PORT --bind 127.0.0.1 --dir $T --appendonly yes --save '' --daemonize no >$T/redis.log 2>&1 &
RPID=$!
sleep 1
URL=redis://127.0.0.1:$PORT
SWEEP="sweep --model lenet300 --methods greedy,uniform,energy --budgets 2x,4x --epochs 1 --finetune-epochs 1 --limit-train 300 --limit-test 200"
t() { local s=$(date +%s.%N); "$@" >/dev/null 2>>$T/log; echo "$(date +%s.%N) - $s" | bc; }
echo "local: $(t node bin/tnzip.mjs $SWEEP --out $T/local)"
for n in 1 2; do
  pids=()
  for k in $(seq $n); do node bin/tnzip.mjs worker --queue $URL >>$T/worker.log 2>&1 & pids+=($!); done
  echo "queued, $n worker(s): $(t node bin/tnzip.mjs $SWEEP --out $T/q$n --queue $URL)"
  for p in "${pids[@]}"; do kill -TERM $p; done; wait "${pids[@]}" 2>/dev/null
done
kill $RPID; wait $RPID 2>/dev/null
rm -rf "$T"
