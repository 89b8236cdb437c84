#!/usr/bin/env bash
# mpnn-qm9-mu on one GPU, about 7.5 minutes in all (run_all.sh must fit in 600 s with its 90 s benchmark):
#  1. MPNN enn-s2s (recipes/mpnn/qm9-mu.yaml) on QM9 dipole moment mu for MPNN_MINUTES (default 5.3) of
#     training, cosine learning rate over that budget; best-validation weights + test metrics.
#  2. the fine-tuning comparison on FreeSolv (recipes/mpnn/freesolv-{finetune,scratch}.yaml): the weights of step 1
#     fine-tuned vs from scratch, same split/epochs, 0.4 min each; test RMSE only (no weights kept).
# Outputs, 2 files in $OUT/mpnn: mpnn-qm9-mu.safetensors (2.5 MB) and mpnn-qm9-mu.json (epochs, wall time, val and
# test MAE, validation curve, and the fine-tuning results under "finetune_freesolv").
#
# Needs the packed data, made beforehand on a machine with RDKit (19 MB):
#   ZOO_DATA_ROOT=../shared/data python bench/molecules/pack_gpu.py
# Run from the repository root:   ZOO_DATA_ROOT=.gpu/data OUT=/some/dir bash bench/gpu/mpnn.sh
# Import here afterwards:         ZOO_DATA_ROOT=../shared/data python bench/molecules/import_gpu.py $OUT/mpnn
# Knobs: MPNN_MINUTES (5.3), MPNN_FT_MINUTES (0.4), MPNN_WORKERS (4), MPNN_EXTRA / MPNN_FT_EXTRA (extra args).
set -euo pipefail
: "${OUT:?set OUT to the output folder}"
export ZOO_DATA_ROOT="${ZOO_DATA_ROOT:-.gpu/data}"
if [ ! -f "$ZOO_DATA_ROOT/qm9/qm9_graphs.npz" ] && [ ! -f "$ZOO_DATA_ROOT/qm9/qm9.csv.gz" ]; then
  echo "missing $ZOO_DATA_ROOT/qm9/qm9_graphs.npz (pack it: python bench/molecules/pack_gpu.py)" >&2
  exit 1
fi
mkdir -p "$OUT/mpnn"
FT_DIR="$(mktemp -d)"
PY="${PYTHON:-python3}"
filter() { grep -v "Tip\|LeafSpec\|litlogger" || true; }

"$PY" bench/molecules/train_budget.py recipes/mpnn/qm9-mu.yaml \
  --minutes "${MPNN_MINUTES:-5.3}" --num-workers "${MPNN_WORKERS:-4}" \
  --out "$OUT/mpnn" --name mpnn-qm9-mu ${MPNN_EXTRA:-} 2>&1 | filter | tail -n 80

for mode in finetune scratch; do
  init=""
  [ "$mode" = finetune ] && init="--init-weights $OUT/mpnn/mpnn-qm9-mu.safetensors"
  "$PY" bench/molecules/train_budget.py "recipes/mpnn/freesolv-$mode.yaml" $init --keep-schedule --no-weights \
    --model-args-from recipes/mpnn/qm9-mu.yaml \
    --minutes "${MPNN_FT_MINUTES:-0.4}" --num-workers 2 --out "$FT_DIR" --name "freesolv-$mode" \
    ${MPNN_FT_EXTRA:-} 2>&1 | filter | tail -n 3 || echo "fine-tuning run $mode failed (the QM9 outputs are kept)"
done
"$PY" - "$OUT/mpnn/mpnn-qm9-mu.json" "$FT_DIR" <<'PY'
import json, sys
from pathlib import Path
path, ft = Path(sys.argv[1]), Path(sys.argv[2])
summary = json.loads(path.read_text())
summary["finetune_freesolv"] = {p.stem: json.loads(p.read_text()) for p in sorted(ft.glob("freesolv-*.json"))}
path.write_text(json.dumps(summary, indent=2) + "\n")
print({k: v.get("test") for k, v in summary["finetune_freesolv"].items()})
PY
rm -rf "$FT_DIR"
ls -la "$OUT/mpnn"
