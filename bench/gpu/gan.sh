#!/usr/bin/env bash
# GAN family's GPU run: the six MNIST loss-comparison recipes and WGAN-GP on CelebA-64, trained CONCURRENTLY
# (seven background processes on one GPU) under one wall-clock budget, then packed into ONE file:
#   $OUT/gan/gan.tar.gz = <id>.safetensors (generator, float16) + <id>.json (steps, epochs, wall time) + <id>.log
# Run from the repository root:
#   ZOO_DATA_ROOT=.gpu/data OUT=/some/dir bash bench/gpu/gan.sh
# Data: .gpu/data from `python bench/gan/pack_gpu_data.py` (MNIST train IDX + 6,000 pre-cropped 64x64 faces).
# Budget: GAN_MAX_TIME (default 00:00:06:30) per run; all seven run at once, so ~7 min wall-clock in total
# (leaves room under a 600 s device command after run_all.sh's 90 s step-time benchmark).
# Import here afterwards (FID on CPU + export): python bench/gan/import_gpu.py <files_at>/gan/gan.tar.gz
set -u
cd "$(dirname "$0")/../.."
: "${OUT:?set OUT to the output folder}"
export ZOO_DATA_ROOT=${ZOO_DATA_ROOT:-.gpu/data}
MAX_TIME=${GAN_MAX_TIME:-00:00:06:30}
WORK=$(mktemp -d)
mkdir -p "$OUT/gan"
start=$(date +%s)
pids=()
for recipe in recipes/gan/gan-mnist.yaml recipes/gan/nsgan-mnist.yaml recipes/gan/lsgan-mnist.yaml \
              recipes/gan/hinge-gan-mnist.yaml recipes/gan/wgan-mnist.yaml recipes/gan/wgan-gp-mnist.yaml \
              recipes/wgan-gp/celeba.yaml; do
  id=$(basename "$recipe" .yaml)
  [ "$id" = celeba ] && id=wgan-gp-celeba
  OMP_NUM_THREADS=2 ${PYTHON:-python3} bench/gan/train_gpu.py "$recipe" --id "$id" --max-time "$MAX_TIME" --out "$WORK" \
    > "$WORK/$id.log" 2>&1 &
  pids+=($!)
done
fails=0
for pid in "${pids[@]}"; do wait "$pid" || fails=$((fails + 1)); done
echo "gan: 7 runs finished in $(( $(date +%s) - start ))s, $fails failed"
for f in "$WORK"/*.log; do tail -c 20000 "$f" > "$f.tail" && mv "$f.tail" "$f"; done
tar czf "$OUT/gan/gan.tar.gz" -C "$WORK" $(cd "$WORK" && ls *.safetensors *.json *.log 2>/dev/null)
ls -l "$OUT/gan"
grep -h '"generator_steps"' "$WORK"/*.log || true
