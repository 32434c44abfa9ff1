#!/usr/bin/env bash
# Build pretrain once and install it, so that training jobs never build: a requeued SLURM job needs no
# SDK and no NuGet, and concurrent jobs do not race on bin/ and obj/.
#
#   scripts/publish.sh [PREFIX]        # default PREFIX: ./dist (this checkout); e.g. ~/.local or /shared/sw/pretrain
#
# Writes PREFIX/lib/pretrain/ (the published app, libtorch included) and PREFIX/bin/pretrain (a launcher).
# Put PREFIX/bin on PATH (export PATH="$PREFIX/bin:$PATH"); every script here finds it there.
# Environment: TORCH_BACKEND=cpu|cuda (default cpu; cuda needs TorchSharp-cuda-linux from nuget.org),
#              SELF_CONTAINED=1 to bundle the .NET runtime too (the compute nodes then need no dotnet at all).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
prefix=${1:-$repo/dist}
mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd)
backend=${TORCH_BACKEND:-cpu}
lib=$prefix/lib/pretrain
self=false; [ "${SELF_CONTAINED:-0}" = 1 ] && self=true

# Publish into a fresh folder beside the old one, then swap: a job that starts meanwhile sees the old
# complete install or the new complete one, never half of each.
stage=$(mktemp -d "$prefix/lib/.pretrain-publish.XXXXXX" 2>/dev/null || { mkdir -p "$prefix/lib"; mktemp -d "$prefix/lib/.pretrain-publish.XXXXXX"; })
trap 'rm -rf "$stage"' EXIT
dotnet publish "$repo/src/Pretrain.Cli" -c Release -p:TorchBackend="$backend" --self-contained "$self" -o "$stage" -v quiet -nologo >&2
rm -rf "$lib.old"; [ -d "$lib" ] && mv "$lib" "$lib.old"
mv "$stage" "$lib"; trap - EXIT
rm -rf "$lib.old"

mkdir -p "$prefix/bin"
if [ "$self" = true ]; then
  run="exec \"$lib/pretrain\" \"\$@\""
else
  run="exec dotnet \"$lib/pretrain.dll\" \"\$@\""
fi
cat >"$prefix/bin/pretrain.tmp" <<LAUNCHER
#!/bin/sh
# pretrain, published by scripts/publish.sh ($backend backend$( [ "$self" = true ] && echo ", self-contained")).
$run
LAUNCHER
chmod +x "$prefix/bin/pretrain.tmp"
mv "$prefix/bin/pretrain.tmp" "$prefix/bin/pretrain"
echo "installed: $prefix/bin/pretrain ($("$prefix/bin/pretrain" --version))"
case ":$PATH:" in *":$prefix/bin:"*) ;; *) echo "put it on PATH: export PATH=\"$prefix/bin:\$PATH\"" ;; esac
