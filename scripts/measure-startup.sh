#!/usr/bin/env bash
# measure-startup.sh [RUNS] — builds sns-os (CGO_ENABLED=0), then RUNS times:
# starts "sns-os serve" on an empty data dir, measures the time until /readyz
# answers 200, lets it idle 10 s and reads its resident memory (VmRSS).
set -euo pipefail
runs=${1:-5}
cd "$(dirname "$0")/.."
CGO_ENABLED=0 go build -o bin/sns-os ./cmd/sns-os
port=18765
for i in $(seq "$runs"); do
  dir=$(mktemp -d)
  t0=$(date +%s%N)
  bin/sns-os serve --data "$dir" --addr 127.0.0.1:$port --log-level warn 2>/dev/null &
  pid=$!
  until curl -fs -o /dev/null "http://127.0.0.1:$port/readyz"; do sleep 0.005; done
  t1=$(date +%s%N)
  sleep 10
  rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
  hwm=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
  kill -TERM $pid; wait $pid || true
  rm -rf "$dir"
  printf 'run %d: ready in %d ms, idle RSS %.1f MiB (peak %.1f MiB)\n' "$i" $(( (t1 - t0) / 1000000 )) "$(echo "$rss/1024" | bc -l)" "$(echo "$hwm/1024" | bc -l)"
done
