#!/usr/bin/env bash
# Everything the issues ask to measure on a GPU machine, in one device call (device time is scarce):
#   here:   npm run gpu-bundle && bash ../shared/tools/gpu-prep
#   there:  bash scripts/gpu-session.sh            (carry .gpu; logs go to $OUT, or ./gpu-logs without it)
# Runs the whole bench (dispatch cost, matmul, recurrent layers, training steps, generation at the textbook
# size), then the textbook's training runs with the CLI presets, each log's last lines printed at the end.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${OUT:-gpu-logs}
mkdir -p "$out"
# shellcheck disable=SC1091
source .gpu/setup.sh
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | tee "$out/gpu.txt"

# BENCH=0 skips the bench, PRESETS="…" picks the runs: to split the session over calls of at most 10 minutes.
if [ "${BENCH:-1}" != 0 ]; then
  node .gpu/app/bench.mjs --json "$out/bench.json" 2>&1 | tee "$out/bench.log"
fi
# (7 files in all: the device returns at most 8 from $OUT)
TIMEFORMAT='wall %R s'
for preset in ${PRESETS:-jaychou-lstm jaychou-gru jaychou-rnn timemachine-rnn}; do
  echo "== $preset"
  { time node .gpu/app/train.mjs --preset "$preset" --quiet >"$out/$preset.log" 2>&1; } 2>>"$out/$preset.log"
  tail -n 7 "$out/$preset.log"
done
