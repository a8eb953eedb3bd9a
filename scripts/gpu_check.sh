#!/usr/bin/env bash
# GPU measurements for issue 13, about 8 minutes on one H100/H200. Writes its numbers under $OUT
# (default runs/gpu_check): env.txt, pretrain.md/.json (MLM and MTR sequences/s), cold_lora/ (one
# end-to-end LoRA fold), cold_full10/ (the 10-fold cold experiment with LoRA) and times.tsv.
# Every step has its own time limit and records its exit code, so one failure loses nothing else.
#
# Needs: torch with CUDA, this package installed (`pip install -e .`, plus `pip install --no-deps
# rxnfp==0.1.0 molsets`), and the data mirror (LLMPREDGRAPH_DATA_MIRROR, default ../shared/data).
# Offline machines: put the wheels in wheels/ and the script installs from there.
# Usage: OUT=/tmp/gpu bash scripts/gpu_check.sh
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-runs/gpu_check}"
mkdir -p "$OUT"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
export LLMPREDGRAPH_DATA_MIRROR="${LLMPREDGRAPH_DATA_MIRROR:-$(cd ../shared/data 2>/dev/null && pwd)}"
PY="${PYTHON:-python}"
CLI="${CLI:-llmpredgraph}"

if ! $PY -c "import llmpredgraph, rdkit, torch_geometric" 2>/dev/null; then
  if [ -d wheels ]; then
    $PY -m pip install -q --no-index --find-links wheels -e . && \
      $PY -m pip install -q --no-index --find-links wheels --no-deps rxnfp molsets
  else
    $PY -m pip install -q -e . && $PY -m pip install -q --no-deps rxnfp==0.1.0 molsets
  fi
fi
{
  date -u
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1
  $PY -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
} >"$OUT/env.txt" 2>&1

step() {  # step NAME LIMIT_S COMMAND...: run with a limit, log, record seconds and exit code
  local name=$1 limit=$2
  shift 2
  local t0=$SECONDS
  timeout "$limit" "$@" >"$OUT/$name.log" 2>&1
  printf '%s\t%s\t%s\n' "$name" "$((SECONDS - t0))" "$?" >>"$OUT/times.tsv"
}
printf 'step\tseconds\texit\n' >"$OUT/times.tsv"

step data 90 bash -c "$CLI data fetch && $CLI data prepare"
# MLM / MTR throughput at the issue's shape (batch 1,024, length 64), on MOSES.
step pretrain 120 $PY scripts/benchmark_pretrain.py --device cuda --batch-size 1024 --steps 20 --limit 60000 \
  --out "$OUT/pretrain"
# One end-to-end LoRA fold, then the whole 10-fold cold experiment with end-to-end LoRA (target <= 5 min).
step cold_lora_fold 90 $CLI experiment --config configs/encoders.yaml --set contrastive.mode=lora \
  --set 'protocol.run_folds=[0]' --device cuda --quiet --out "$OUT/cold_lora"
step cold_full10 300 $CLI experiment --config configs/encoders.yaml --set contrastive.mode=lora \
  --device cuda --quiet --out "$OUT/cold_full10"
cat "$OUT/times.tsv"
