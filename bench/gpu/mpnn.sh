#!/usr/bin/env bash
# mpnn-qm9-mu on one GPU: MPNN enn-s2s (recipes/mpnn/qm9-mu.yaml) on QM9 dipole moment, 7 minutes of training
# (cosine learning rate over the budget), then the best-validation weights + a JSON into $OUT/mpnn/.
#
# Needs the packed QM9 store, made beforehand on a machine with RDKit (16 MB):
#   python -m zoo.data.qm9 pack .gpu/data/qm9/qm9_graphs.npz --targets 0 2 3 4 12 --quantize
# Run from the repository root:   ZOO_DATA_ROOT=.gpu/data OUT=/some/dir bash bench/gpu/mpnn.sh
# Import here afterwards:         ZOO_DATA_ROOT=../shared/data python bench/molecules/import_gpu.py $OUT/mpnn
# Knobs: MPNN_MINUTES (default 7; total wall time stays under 8 min), MPNN_WORKERS (default 4).
set -euo pipefail
: "${OUT:?set OUT to the output folder}"
export ZOO_DATA_ROOT="${ZOO_DATA_ROOT:-.gpu/data}"
if [ ! -f "$ZOO_DATA_ROOT/qm9/qm9_graphs.npz" ] && [ ! -f "$ZOO_DATA_ROOT/qm9/qm9.csv.gz" ]; then
  echo "missing $ZOO_DATA_ROOT/qm9/qm9_graphs.npz (pack it with python -m zoo.data.qm9 pack ...)" >&2
  exit 1
fi
mkdir -p "$OUT/mpnn"
python bench/molecules/train_budget.py recipes/mpnn/qm9-mu.yaml \
  --minutes "${MPNN_MINUTES:-7}" --num-workers "${MPNN_WORKERS:-4}" \
  --out "$OUT/mpnn" --name mpnn-qm9-mu ${MPNN_EXTRA:-} 2>&1 | grep -v "Tip\|LeafSpec" | tail -n 60
ls -la "$OUT/mpnn"
