#!/usr/bin/env bash
# The session's one GPU run: every long training at once on one GPU machine, outputs under $OUT.
#   - bench/gpu/gan.sh   the six MNIST GANs + WGAN-GP on CelebA-64 (-> $OUT/gan/gan.tar.gz)
#   - bench/gpu/mpnn.sh  the MPNN on QM9 dipole moment (-> $OUT/mpnn/)
#   - first, the GCN step-time benchmark on that machine's (quiet) CPU (-> $OUT/gcn_step_time.json)
# Prepare here:  python bench/gan/pack_gpu_data.py; python -m zoo.data.qm9 pack ... (see each script);
#                cp -r ../shared/data/Planetoid .gpu/data/; wheels for jsonargparse in .whl/ (see device notes)
# Run there:     bash bench/gpu/run_all.sh     (with .whl and .gpu carried, OUT set)
set -u
cd "$(dirname "$0")/../.."
: "${OUT:?set OUT}"
if ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    || exit 1
  export PYTHONPATH=/tmp/site:$PWD
else
  export PYTHONPATH=$PWD
fi
export WANDB_MODE=disabled ZOO_DATA_ROOT=$PWD/.gpu/data PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
python3 -c "import torch, lightning, torch_geometric; print(torch.__version__, lightning.__version__, torch_geometric.__version__)"
timeout 90 python3 bench/gcn/step_time.py --steps 200 --repeats 3 > "$OUT/gcn_step_time.json" 2> /dev/null \
  || echo "step-time benchmark failed"
cat "$OUT/gcn_step_time.json"
bash bench/gpu/gan.sh > "$OUT/gan.log" 2>&1 &
gan=$!
bash bench/gpu/mpnn.sh > "$OUT/mpnn.log" 2>&1 &
mpnn=$!
wait $gan; echo "gan exit $?"
wait $mpnn; echo "mpnn exit $?"
tail -5 "$OUT/gan.log" "$OUT/mpnn.log"
ls -lR "$OUT"
