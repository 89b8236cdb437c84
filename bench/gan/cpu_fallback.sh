#!/usr/bin/env bash
# CPU fallback for the MNIST loss comparison: the six recipes, two lanes of three, each run capped at
# MINUTES of wall-clock (default 18) on one thread, niced. Run folders: runs/cpu/<id>/ (resumable).
# Usage: bash bench/gan/cpu_fallback.sh [MINUTES]
set -u
MIN=${1:-18}
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 WANDB_MODE=${WANDB_MODE:-offline}
export ZOO_DATA_ROOT=${ZOO_DATA_ROOT:-../shared/data}
lane() {
  for id in "$@"; do
    start=$(date +%s)
    nice -n 10 python -m zoo.training recipes/gan/$id.yaml --trainer.max_time=00:00:$MIN:00 \
      --trainer.default_root_dir=runs/cpu/$id --model.init_args.fid_every_n_epochs=0 \
      --trainer.enable_progress_bar=false > runs/cpu/$id.log 2>&1
    echo "{\"id\": \"$id\", \"wall_time_s\": $(( $(date +%s) - start )), \"rc\": $?}" > runs/cpu/$id.json
  done
}
mkdir -p runs/cpu
lane nsgan-mnist gan-mnist lsgan-mnist &
lane wgan-gp-mnist hinge-gan-mnist wgan-mnist &
wait
