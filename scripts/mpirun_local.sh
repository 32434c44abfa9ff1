#!/usr/bin/env bash
# Data-parallel training on this machine: NP ranks under Open MPI's mpirun (CPU ranks; on a GPU machine
# with the CUDA build each rank takes the GPU of its local rank and NCCL carries the gradients).
#
#   scripts/mpirun_local.sh 2 configs/quickstart.yaml runs/quickstart_2ranks [pretrain run options]
#
# Runs the published pretrain (scripts/publish.sh, once; PRETRAIN overrides). The same command resumes: --resume auto continues from the newest valid checkpoint of RUN_DIR.
# training.batch_size is the global batch; each rank takes batch/NP samples per step.
set -euo pipefail
source "$(dirname "$0")/lib/find_pretrain.sh"
np=${1:?usage: scripts/mpirun_local.sh NP CONFIG RUN_DIR [pretrain run options]}
config=${2:?usage: scripts/mpirun_local.sh NP CONFIG RUN_DIR [pretrain run options]}
run_dir=${3:?usage: scripts/mpirun_local.sh NP CONFIG RUN_DIR [pretrain run options]}
shift 3
command -v mpirun >/dev/null || { echo "mpirun not found: apt-get install openmpi-bin libopenmpi-dev" >&2; exit 2; }
find_pretrain   # the published pretrain (scripts/publish.sh); PRETRAIN overrides
# --oversubscribe: more ranks than cores is allowed (tests, small machines); root needs --allow-run-as-root.
root=(); [ "$(id -u)" -eq 0 ] && root=(--allow-run-as-root)
exec mpirun "${root[@]}" --oversubscribe -np "$np" -x TERM=dumb \
  "${PRETRAIN_CMD[@]}" run --config "$config" --output "$run_dir" --resume auto "$@"
