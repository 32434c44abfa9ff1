#!/usr/bin/env bash
# Train a config, resuming automatically from the run folder's newest valid checkpoint, so the same
# command starts a run and continues it after a preemption or a crash. It runs the published pretrain
# (scripts/publish.sh, once) and never builds.
#
#   scripts/train.sh CONFIG [RUN_DIR] [extra pretrain run options, e.g. --set training.batch_size=512]
#
# Environment: PRETRAIN (default: `pretrain` on PATH, else ./dist/bin/pretrain), DEVICE (default auto).
set -euo pipefail
source "$(dirname "$0")/lib/find_pretrain.sh"

if [ $# -lt 1 ]; then
  echo "usage: scripts/train.sh CONFIG [RUN_DIR] [pretrain run options...]" >&2
  exit 2
fi
config=$1; shift
run_dir=""
if [ $# -gt 0 ] && [[ $1 != -* ]]; then run_dir=$1; shift; fi
find_pretrain

args=(run --config "$config" --resume auto --device "${DEVICE:-auto}")
[ -n "$run_dir" ] && args+=(--output "$run_dir")
# exec: SIGTERM/SIGINT from the scheduler reach pretrain itself, which checkpoints and exits 143/130.
exec "${PRETRAIN_CMD[@]}" "${args[@]}" "$@"
