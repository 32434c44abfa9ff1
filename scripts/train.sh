#!/usr/bin/env bash
# Train a config, resuming automatically from the run folder's newest valid checkpoint, so the same
# command starts a run and continues it after a preemption or a crash.
#
#   scripts/train.sh CONFIG [RUN_DIR] [extra pretrain run options, e.g. --set training.batch_size=512]
#
# Environment: TORCH_BACKEND=cpu|cuda (default cpu; cuda needs TorchSharp-cuda-linux from nuget.org),
#              DEVICE (default auto), CONFIGURATION (default Release).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 1 ]; then
  echo "usage: scripts/train.sh CONFIG [RUN_DIR] [pretrain run options...]" >&2
  exit 2
fi
config=$1; shift
run_dir=""
if [ $# -gt 0 ] && [[ $1 != -* ]]; then run_dir=$1; shift; fi

backend=${TORCH_BACKEND:-cpu}
configuration=${CONFIGURATION:-Release}
dotnet build src/Pretrain.Cli -c "$configuration" -p:TorchBackend="$backend" -v quiet -nologo >&2
cli="src/Pretrain.Cli/bin/$configuration/net10.0/linux-x64/pretrain.dll"

args=(run --config "$config" --resume auto --device "${DEVICE:-auto}")
[ -n "$run_dir" ] && args+=(--output "$run_dir")
# exec: SIGTERM/SIGINT from the scheduler reach pretrain itself, which checkpoints and exits 143/130.
exec dotnet "$cli" "${args[@]}" "$@"
