#!/usr/bin/env bash
# Runs the refactor-equivalence set with one build of pretrain and exports each backbone:
#   scripts/equivalence_runs.sh OUT_DIR
# (quickstart; 20-step DINO + SDMP; 20-step MoCo v3 ResNet LARS + SDMP on the synthetic source).
# Run it on two commits on the same machine, then compare the two OUT_DIRs with
#   scripts/compare_runs.sh OUT_A OUT_B
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: scripts/equivalence_runs.sh OUT_DIR}
mkdir -p "$out"
dotnet build src/Pretrain.Cli -c Release -v quiet -nologo >&2
cli=(dotnet src/Pretrain.Cli/bin/Release/net10.0/linux-x64/pretrain.dll)
run() { # name, args... (run only the names in $ONLY when set)
  local name=$1; shift
  if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]]; then return; fi
  rm -rf "$out/$name"
  "${cli[@]}" run "$@" --output "$out/$name" > "$out/$name.console.txt" 2>&1
  "${cli[@]}" export --checkpoint "$out/$name" --output "$out/$name.safetensors" >> "$out/$name.console.txt" 2>&1
}
run quickstart --config configs/quickstart.yaml
run dino20 --config configs/dino_vit_tiny_small_data_sdmp.yaml --set training.max_steps=20
# The CIFAR config names ${CIFAR10_ROOT}; the synthetic source does not read it.
CIFAR10_ROOT=${CIFAR10_ROOT:-/tmp} run resnet_lars20 --config configs/mocov3_resnet18_cifar10_sdmp.yaml --set data.source=synthetic --set training.max_steps=20
echo "done: $out"
