#!/usr/bin/env bash
# Compares two output folders of scripts/equivalence_runs.sh: exported backbones tensor by tensor,
# final_probe.json and metrics.jsonl (wall-clock columns dropped) byte for byte.
set -uo pipefail
a=${1:?usage: scripts/compare_runs.sh OUT_A OUT_B}; b=${2:?}
here=$(dirname "$0"); rc=0
strip() { python3 -c 'import json,sys
for l in open(sys.argv[1]):
    r=json.loads(l); [r.pop(k,None) for k in ("images_per_sec","data_wait_pct")]; print(json.dumps(r,sort_keys=True))' "$1"; }
for name in quickstart dino20 resnet_lars20; do
  echo "== $name"
  python3 "$here/compare_safetensors.py" "$a/$name.safetensors" "$b/$name.safetensors" || rc=1
  if [ -f "$a/$name/final_probe.json" ] || [ -f "$b/$name/final_probe.json" ]; then
    cmp "$a/$name/final_probe.json" "$b/$name/final_probe.json" && echo "final_probe.json identical" || rc=1
  fi
  diff <(strip "$a/$name/metrics.jsonl") <(strip "$b/$name/metrics.jsonl") >/dev/null \
    && echo "metrics.jsonl identical (timing columns aside)" || { echo "metrics.jsonl differ"; rc=1; }
done
exit $rc
