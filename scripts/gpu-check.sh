#!/usr/bin/env bash
# The GPU acceptance check of issue #15, for a machine with an NVIDIA GPU and the CUDA TorchSharp bundle
# (TorchSharp-cuda-linux restorable from the package source):
#   scripts/gpu-check.sh [OUT_DIR]
# 1. builds with -p:TorchBackend=cuda (Release);
# 2. runs the test suite with PRETRAIN_TEST_DEVICE=cuda (the training, method, precision and resume tests
#    run their networks on the GPU);
# 3. bench step, MoCo v3 + SDMP ViT (configs/bench/mocov3_vit_sdmp.yaml), fp32 and bf16;
# 4. bench data --device cuda (photometric ops on the GPU);
# 5. a 50-step quickstart on the GPU (loss at steps 1..50, wall time);
# and prints one JSON object with every figure on stdout (progress on stderr). Any failure ends it with a
# nonzero exit and one line "gpu-check: FAIL: ..." on stderr: it never skips a part or falls back to the
# CPU. Not run yet: no GPU machine was available when it was written (see README, "GPU check").
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-$(mktemp -d /tmp/pretrain-gpu-check.XXXXXX)}
mkdir -p "$out"
fail() { echo "gpu-check: FAIL: $*" >&2; exit 1; }
step() { echo "gpu-check: $*" >&2; }

command -v nvidia-smi >/dev/null 2>&1 || fail "CUDA asked for but absent: nvidia-smi not found (no NVIDIA driver on this machine)"
gpu=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -n1)
[ -n "$gpu" ] || fail "CUDA asked for but absent: nvidia-smi lists no GPU"
command -v python3 >/dev/null 2>&1 || fail "python3 is needed to assemble the JSON report"

step "building with -p:TorchBackend=cuda ($gpu)"
dotnet build pretrain.sln -c Release -p:TorchBackend=cuda -v quiet -nologo > "$out/build.txt" 2>&1 \
  || fail "CUDA build failed (is TorchSharp-cuda-linux restorable here?): see $out/build.txt"
cli=(dotnet src/Pretrain.Cli/bin/Release/net10.0/linux-x64/pretrain.dll)
[ -f "${cli[1]}" ] || fail "no ${cli[1]} after the build"
"${cli[@]}" doctor --device cuda --json > "$out/doctor.json" 2> "$out/doctor.err" \
  || fail "pretrain doctor --device cuda reports a failing check (CUDA not usable by this build): see $out/doctor.json"

step "test suite on cuda"
PRETRAIN_TEST_DEVICE=cuda dotnet test tests/Pretrain.Tests -c Release -p:TorchBackend=cuda --no-build > "$out/tests.txt" 2>&1
tests_rc=$?
tests_line=$(grep -E '^(Passed|Failed)! +- Failed:' "$out/tests.txt" | tail -n1)
[ -n "$tests_line" ] || fail "the test suite printed no summary line (rc $tests_rc): see $out/tests.txt"

bench=configs/bench/mocov3_vit_sdmp.yaml
for p in fp32 bf16; do
  step "bench step $p"
  "${cli[@]}" bench step --config "$bench" --set experiment.device=cuda --set training.precision=$p --set experiment.threads=0 \
    --steps 30 --warmup 5 --json > "$out/bench_step_$p.json" 2> "$out/bench_step_$p.err" \
    || fail "bench step $p failed: see $out/bench_step_$p.err"
done
step "bench data --device cuda"
"${cli[@]}" bench data --config "$bench" --device cuda --json > "$out/bench_data.json" 2> "$out/bench_data.err" \
  || fail "bench data --device cuda failed: see $out/bench_data.err"

step "50-step quickstart on the GPU"
rm -rf "$out/quickstart50"
start=$(date +%s.%N)
"${cli[@]}" run --config configs/quickstart.yaml --device cuda --output "$out/quickstart50" \
  --set training.max_steps=50 --set training.log_every_steps=10 --set training.final_probe=false \
  > "$out/quickstart50.txt" 2>&1 || fail "50-step quickstart failed: see $out/quickstart50.txt"
end=$(date +%s.%N)

python3 - "$out" "$gpu" "$tests_rc" "$tests_line" "$start" "$end" <<'PY' || fail "could not assemble the report"
import json, sys, re, os
out, gpu, rc, line, start, end = sys.argv[1:7]
def load(name): return json.load(open(os.path.join(out, name)))
counts = {k.lower(): int(v) for k, v in re.findall(r'(Failed|Passed|Skipped|Total): +(\d+)', line)}
rows = [json.loads(l) for l in open(os.path.join(out, "quickstart50", "metrics.jsonl"))]
losses = {r["step"]: r["loss"] for r in rows if "loss" in r}
fp32, bf16 = load("bench_step_fp32.json"), load("bench_step_bf16.json")
print(json.dumps({
    "gpu": gpu,
    "tests": {"exit_code": int(rc), **counts},
    "bench_step": {"config": "configs/bench/mocov3_vit_sdmp.yaml", "fp32": fp32, "bf16": bf16,
                   "bf16_speedup": round(fp32["median_ms_per_step"] / bf16["median_ms_per_step"], 3)},
    "bench_data": load("bench_data.json"),
    "quickstart50": {"wall_s": round(float(end) - float(start), 1), "loss_by_step": losses,
                     "final_loss": losses[max(losses)] if losses else None},
    "out_dir": out,
}, indent=2))
PY
[ "$tests_rc" -eq 0 ] || fail "test suite on cuda: $tests_line (see $out/tests.txt)"
