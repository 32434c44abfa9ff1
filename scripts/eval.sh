#!/usr/bin/env bash
# Evaluate a finished (or running) pretraining run: weighted k-NN and the linear probe on the
# labelled splits of the run's own data source, then export the backbone for PyTorch/timm.
# Each command gets its own options, after a marker:
#
#   scripts/eval.sh RUN_DIR [--knn KNN-EVAL OPTIONS...] [--linear LINEAR-EVAL OPTIONS...] [--export EXPORT OPTIONS...]
#   e.g. scripts/eval.sh runs/x --knn --set eval.knn_k=[20] --linear --set eval.linear.epochs=30 --resume
#
# Runs the published pretrain (scripts/publish.sh); PRETRAIN overrides which.
set -euo pipefail
source "$(dirname "$0")/lib/find_pretrain.sh"
usage="usage: scripts/eval.sh RUN_DIR [--knn OPTIONS...] [--linear OPTIONS...] [--export OPTIONS...]"
run_dir=${1:?$usage}; shift
knn=(); linear=(); export_args=(); section=""
for arg in "$@"; do
  case "$arg" in
    --knn|--linear|--export) section=${arg#--}; continue ;;
  esac
  case "$section" in
    knn) knn+=("$arg") ;;
    linear) linear+=("$arg") ;;
    export) export_args+=("$arg") ;;
    *) echo "scripts/eval.sh: '$arg' comes before --knn, --linear or --export (each command takes its own options)" >&2
       echo "$usage" >&2; exit 2 ;;
  esac
done
find_pretrain

"${PRETRAIN_CMD[@]}" knn-eval --checkpoint "$run_dir" --save-features "$run_dir/features.ckpt" "${knn[@]}"
"${PRETRAIN_CMD[@]}" linear-eval --checkpoint "$run_dir" "${linear[@]}"
"${PRETRAIN_CMD[@]}" export --checkpoint "$run_dir" "${export_args[@]}"
echo "results: $run_dir/knn_eval.json, $run_dir/linear_eval.json; backbone: $run_dir/export/"
