#!/usr/bin/env bash
# Step 2 of 3, on the lent GPU machine (bench/device/README.md): one command, under 9 minutes.
#   1. the throughput table:  python3 -m bench.throughput --device cuda --out $OUT/throughput.jsonl
#   2. issue 10's training runs through `zoo train`, all at once on the one GPU, each under one wall-clock budget:
#      wgan-gp-celeba (bf16-mixed, data held on the GPU), the six MNIST loss-family GANs (separate processes,
#      equal budget), mpnn-qm9-mu (cosine learning rate over the budget);
#   3. python3 -m bench.device.collect: each run's weights (generator / net only), config, command, log and
#      W&B offline folder (or CSV log) into at most 8 files of at most 16 MiB under $OUT.
# Inputs: the carry folders .gpu/carry* written here by `python -m bench.device.pack` (data + wheels).
# Knobs (environment): DEVICE (gpu; cpu for the rehearsal), MINUTES (5, each run's training budget),
#   THROUGHPUT_SECONDS (100, 0 skips it), ONLY ("throughput celeba mnist mpnn"), GAN_IDS (the six MNIST ids),
#   NO_WANDB=1 (log to CSV even if wandb is importable), PYTHON (python3), WORK (/tmp/zoo-device),
#   CELEBA_ARGS / MNIST_ARGS / MPNN_ARGS (more zoo train options for that family; they go on the card too),
#   DEADLINE_S (540: seconds after the start by which every training process is stopped; its last periodic
#   checkpoint still comes back).
# Rehearsal here (bench/device/README.md):
#   DEVICE=cpu MINUTES=0.2 THROUGHPUT_SECONDS=0 DEADLINE_S=1500 MPNN_ARGS="--data.init_args.train_subset=2000 \
#     --data.init_args.num_val=500 --data.init_args.num_test=500" OUT=/tmp/out \
#     bash bench/device/run.sh
set -u
cd "$(dirname "$0")/../.."
: "${OUT:?set OUT to the folder whose files come back}"
DEVICE=${DEVICE:-gpu}
MINUTES=${MINUTES:-5}
DEADLINE_S=${DEADLINE_S:-540}  # every run is stopped by then (a hang must not cost the 600 s command)
THROUGHPUT_SECONDS=${THROUGHPUT_SECONDS:-100}
ONLY=${ONLY:-"throughput celeba mnist mpnn"}
GAN_IDS=${GAN_IDS:-"nsgan-mnist lsgan-mnist hinge-gan-mnist wgan-mnist wgan-gp-mnist gan-mnist"}
PY=${PYTHON:-python3}
WORK=${WORK:-/tmp/zoo-device}
START=$(date +%s)
DEVICE_NAME=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n 1)
DEVICE_NAME=${DEVICE_NAME:-CPU, $(nproc) cores}

say() { echo "[device $(( $(date +%s) - START ))s] $*"; }
wants() { [[ " $ONLY " == *" $1 "* ]]; }

main() {
  rm -rf "$WORK" && mkdir -p "$WORK/runs" "$OUT"
  say "machine: $DEVICE_NAME, $(nproc) CPUs"
  "$PY" -m bench.device.carry join .gpu "$WORK/data" || say "no carried data: run python -m bench.device.pack here first"
  export ZOO_DATA_ROOT="$WORK/data" ZOO_CACHE_DIR="$WORK/data/cache" PYTHONUNBUFFERED=1 PYTHONPATH="$PWD"
  if ls "$WORK"/data/wheels/*.whl >/dev/null 2>&1; then
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$WORK/site" \
      "$WORK"/data/wheels/*.whl && export PYTHONPATH="$WORK/site:$PWD" || say "wheel install failed"
  fi
  "$PY" -c "import torch, lightning, jsonargparse; print('torch', torch.__version__, 'lightning', lightning.__version__, 'jsonargparse', jsonargparse.__version__)" \
    || { say "zoo train needs jsonargparse: pack the base part"; return 1; }
  LOGGER=()
  if [ -z "${NO_WANDB:-}" ] && "$PY" -c "import wandb" 2>/dev/null; then
    export WANDB_MODE=offline WANDB_SILENT=true
    say "logging: W&B offline"
  else
    LOGGER=(--trainer.logger=lightning.pytorch.loggers.CSVLogger --trainer.logger.init_args.save_dir=RUN_DIR)
    say "logging: CSV only (wandb not importable, or NO_WANDB set); the card gets no W&B run id"
  fi

  if wants throughput && [ "$THROUGHPUT_SECONDS" -gt 0 ] && [ -f bench/throughput.py ]; then
    local torch_device=cuda; [ "$DEVICE" = cpu ] && torch_device=cpu
    # --quick: data subsets with the recipes' batches on a GPU; smiles-aae needs MOSES, which is not carried
    timeout "$THROUGHPUT_SECONDS" "$PY" -m bench.throughput --device "$torch_device" --precision bf16-mixed \
      --device-resident --quick --warmup 10 --steps 50 --blocks 4 \
      --families dcgan28-gan,dcgan64-wgan-gp,gcn,nfp,mpnn --out "$OUT/throughput.jsonl" \
      > "$WORK/throughput.log" 2>&1 || say "throughput: exit $? (log: throughput.log in the archive)"
    cat "$OUT/throughput.jsonl" 2>/dev/null
  fi

  # Every run: bounded by wall-clock time (max_epochs out of the way), no periodic FID (Inception does not travel)
  # and no sample grids (the recipes' trainer.callbacks emptied), last.ckpt every 2 minutes and at the end (not
  # every epoch: a CelebA checkpoint is ~80 MB).
  local common=(--device "$DEVICE" --max-minutes "$MINUTES" --trainer.max_epochs=1000000)
  local gan=("--trainer.callbacks=[]")
  pids=()
  if wants celeba && [ -d "$WORK/data/celeba" ]; then
    train wgan-gp-celeba recipes/wgan-gp/celeba.yaml "${common[@]}" "${gan[@]}" --precision bf16-mixed \
      --data.init_args.device_resident=true ${CELEBA_ARGS:-}
  fi
  if wants mnist && [ -d "$WORK/data/MNIST" ]; then
    for id in $GAN_IDS; do
      train "$id" "recipes/gan/$id.yaml" "${common[@]}" "${gan[@]}" --data.init_args.device_resident=true \
        ${MNIST_ARGS:-}
    done
  fi
  if wants mpnn && [ -d "$WORK/data/qm9" ]; then
    train mpnn-qm9-mu recipes/mpnn/qm9-mu.yaml "${common[@]}" --model.init_args.scheduler=time_cosine \
      "--model.init_args.time_budget_min=$MINUTES" --data.init_args.device_resident=true ${MPNN_ARGS:-}
  fi
  say "${#pids[@]} training runs started"
  local fails=0
  for pid in "${pids[@]}"; do wait "$pid" || fails=$((fails + 1)); done
  say "training done: ${#pids[@]} runs, $fails failed"
  "$PY" -m bench.device.collect "$WORK" "$OUT" || fails=$((fails + 1))
  say "finished"
  [ "$fails" -eq 0 ]
}

# train ID RECIPE ZOO-TRAIN-OPTIONS...: one background `zoo train`, run folder $WORK/runs/ID. The command that
# goes on the card (command.txt) is the zoo train command without this machine's plumbing (run folder, logger,
# checkpoint interval).
train() {
  local id=$1 recipe=$2; shift 2
  local dir="$WORK/runs/$id" left=$(( DEADLINE_S - ($(date +%s) - START) ))
  [ "$left" -ge 30 ] || left=30  # timeout 0 would mean no limit
  mkdir -p "$dir"
  echo "zoo train $recipe $*" > "$dir/command.txt"
  local plumbing=(--trainer.default_root_dir="$dir" --trainer.enable_progress_bar=false
    --trainer.callbacks+=lightning.pytorch.callbacks.ModelCheckpoint --trainer.callbacks.dirpath="$dir/checkpoints"
    --trainer.callbacks.save_last=true --trainer.callbacks.train_time_interval=0:02:00 "${LOGGER[@]/RUN_DIR/$dir}")
  (
    s=$(date +%s)
    OMP_NUM_THREADS=2 timeout "$left" "$PY" -m zoo.cli train "$recipe" "$@" "${plumbing[@]}" > "$dir/train.log" 2>&1
    rc=$?
    echo "{\"id\": \"$id\", \"rc\": $rc, \"wall_s\": $(( $(date +%s) - s )), \"device\": \"$DEVICE\", \"device_name\": \"$DEVICE_NAME\"}" > "$dir/exit.json"
    say "$id: exit $rc after $(( $(date +%s) - s )) s"
    exit $rc
  ) &
  pids+=($!)
}

main 2>&1 | tee "$WORK.log"
status=${PIPESTATUS[0]}
cp "$WORK.log" "$OUT/run.log"
exit "$status"
