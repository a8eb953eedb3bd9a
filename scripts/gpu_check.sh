#!/usr/bin/env bash
# GPU measurements for issue 13, about 8 minutes on one H100/H200. Writes its numbers under $OUT
# (default runs/gpu_check): env.txt, times.tsv (seconds and exit code per step), pretrain.md (MLM and MTR
# sequences/s), cold_lora_summary.md (one end-to-end LoRA fold), cold_full10_summary.md (the 10-fold cold
# experiment with LoRA) and results.tar.gz (every log, metrics file and config, from $WORK).
# Every step has its own time limit and records its exit code, so one failure loses nothing else.
#
# On the lent, offline GPU machine: build the bundle here first (`.venv/bin/python scripts/gpu_bundle.py`, ~51 MiB:
# rdkit/pydantic wheels, the SMILES BERT in float16, 60k MOSES SMILES, the prepared data folder), then
#   run(carry=[".gpu"], command="OUT=$OUT bash scripts/gpu_check.sh", timeout_s=560)
# With .gpu/ the package runs from this checkout through PYTHONPATH (no pip index needed) and side
# effects get one-hot features (MiniLM cannot travel): the timings hold, the metrics are not the CPU
# tables'. Elsewhere it uses the installed package and the mirror at LLMPREDGRAPH_DATA_MIRROR.
# DEVICE=cpu SMOKE=1 LIMIT_SCALE=10 runs every step tiny on the CPU, to check the script itself.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-runs/gpu_check}"
WORK="${WORK:-/tmp/gpu_check_work}"  # everything; $OUT gets a few small files (the device returns at most 8)
DEVICE="${DEVICE:-cuda}"
SMOKE="${SMOKE:-0}"
LIMIT_SCALE="${LIMIT_SCALE:-1}"  # multiplies every step's time limit (a smoke run on a busy CPU)
mkdir -p "$OUT" "$WORK"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONUNBUFFERED=1
PY="${PYTHON:-python3}"
EXTRA=()
if [ -d .gpu ]; then
  SITE="${SITE:-/tmp/llmpredgraph_site}"
  if ! $PY -c "import rdkit, pydantic" 2>/dev/null; then
    $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE" .gpu/whl/*.whl \
      || { echo "wheel install failed" >"$OUT/env.txt"; exit 1; }
  fi
  export LLMPREDGRAPH_DATA_DIR="${LLMPREDGRAPH_DATA_DIR:-/tmp/llmpredgraph_data}"  # prepared here, carried
  mkdir -p "$LLMPREDGRAPH_DATA_DIR" && tar -xJf .gpu/data.tar.xz -C "$LLMPREDGRAPH_DATA_DIR"
  export PYTHONPATH="$PWD/.gpu/site:$PWD:$SITE${PYTHONPATH:+:$PYTHONPATH}"
  EXTRA=(--set encoders.side_effect.kind=onehot)
else
  export LLMPREDGRAPH_DATA_MIRROR="${LLMPREDGRAPH_DATA_MIRROR:-$(cd ../shared/data 2>/dev/null && pwd)}"
fi
CLI=("$PY" -m llmpredgraph)

{
  date -u
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1
  $PY -c "import torch, transformers, peft, torch_geometric as g, rdkit; print('torch', torch.__version__, \
'cuda', torch.cuda.is_available(), 'transformers', transformers.__version__, 'peft', peft.__version__, \
'pyg', g.__version__, 'rdkit', rdkit.__version__)"
  echo "device=$DEVICE smoke=$SMOKE bundle=$([ -d .gpu ] && echo yes || echo no) extra=${EXTRA[*]:-none}"
} >"$OUT/env.txt" 2>&1

step() {  # step NAME LIMIT_S COMMAND...: run with a limit, log, record seconds and exit code
  local name=$1 limit=$(($2 * LIMIT_SCALE)) t0=$SECONDS rc
  shift 2
  timeout "$limit" "$@" >"$WORK/$name.log" 2>&1
  rc=$?
  printf '%s\t%s\t%s\n' "$name" "$((SECONDS - t0))" "$rc" >>"$OUT/times.tsv"
  # logs, metrics and summaries (no predictions or embeddings), refreshed after every step
  tar -czf "$OUT/results.tar.gz" -C "$WORK" --exclude='*.npz' --exclude='predictions.csv' --exclude='*.png' . 2>/dev/null
}
printf 'step\tseconds\texit\n' >"$OUT/times.tsv"

if [ "$SMOKE" = 1 ]; then
  PRE=(--batch-size 8 --steps 2 --limit 200)
  FOLD=(--set 'protocol.run_folds=[0]' --set train.epochs=2 --set contrastive.steps=2 --set contrastive.lm_steps=2)
  ALL=("${FOLD[@]}")
else
  PRE=(--batch-size 1024 --steps 20 --limit 60000)
  FOLD=(--set 'protocol.run_folds=[0]')
  ALL=()
fi
LORA=(--config configs/encoders.yaml --set contrastive.mode=lora "${EXTRA[@]}" --device "$DEVICE" --quiet)

if [ ! -f "${LLMPREDGRAPH_DATA_DIR:-data}/processed/manifest.json" ]; then
  step data 180 bash -c "${CLI[*]} data fetch && ${CLI[*]} data prepare"
fi
# MLM / MTR throughput at the issue's shape (batch 1,024, length 64), on MOSES.
step pretrain 150 "$PY" scripts/speed_pretrain.py --device "$DEVICE" "${PRE[@]}" --out "$WORK/pretrain"
# One end-to-end LoRA fold, then the whole 10-fold cold experiment with end-to-end LoRA (target <= 5 min).
step cold_lora_fold 90 "${CLI[@]}" experiment "${LORA[@]}" "${FOLD[@]}" --out "$WORK/cold_lora"
step cold_full10 300 "${CLI[@]}" experiment "${LORA[@]}" "${ALL[@]}" --out "$WORK/cold_full10"
for f in pretrain.md cold_lora/summary.md cold_full10/summary.md; do
  [ -f "$WORK/$f" ] && cp "$WORK/$f" "$OUT/${f//\//_}"
done
cat "$OUT/times.tsv"
