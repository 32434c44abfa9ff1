#!/usr/bin/env bash
# Evaluate a finished (or running) pretraining run: weighted k-NN and the linear probe on the
# labelled splits of the run's own data source, then export the backbone for PyTorch/timm.
#
#   scripts/eval.sh RUN_DIR [extra options for both evaluations, e.g. --set eval.linear.epochs=30]
set -euo pipefail
cd "$(dirname "$0")/.."
run_dir=${1:?usage: scripts/eval.sh RUN_DIR [options]}; shift

configuration=${CONFIGURATION:-Release}
dotnet build src/Pretrain.Cli -c "$configuration" -p:TorchBackend="${TORCH_BACKEND:-cpu}" -v quiet -nologo >&2
cli=(dotnet "src/Pretrain.Cli/bin/$configuration/net10.0/linux-x64/pretrain.dll")

"${cli[@]}" knn-eval --checkpoint "$run_dir" --save-features "$run_dir/features.ckpt" "$@"
"${cli[@]}" linear-eval --checkpoint "$run_dir" "$@"
"${cli[@]}" export --checkpoint "$run_dir"
echo "results: $run_dir/knn_eval.json, $run_dir/linear_eval.json; backbone: $run_dir/export/"
