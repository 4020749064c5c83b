#!/usr/bin/env bash
# GPU smoke run: on a machine with CUDA, the gpu-marked tests, one Ray Train epoch on one GPU, the
# FID feature pass on the GPU and train_overhead.py on the GPU. Every step is timed and recorded
# (exit code, seconds, last lines of output) in benchmarks/results/gpu_smoke.json; a step whose
# prerequisite is missing (no CUDA, no Ray, no pytorch-fid) is recorded as skipped with the reason,
# so the JSON always says what was and was not checked.
#
#   bash benchmarks/gpu_smoke.sh                    # in the repository root, project installed
#   WHEELS=wheels bash benchmarks/gpu_smoke.sh      # first pip-install the wheels in ./wheels (offline)
#   OUT=/tmp/gpu_smoke.json bash benchmarks/gpu_smoke.sh
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-benchmarks/results/gpu_smoke.json}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
steps=$scratch/steps.jsonl
: >"$steps"

if [ -n "${WHEELS:-}" ]; then
  python -m pip install -q --no-index --find-links "$WHEELS" "$WHEELS"/*.whl || echo "note: some wheels did not install"
fi

has() { python - "$1" <<'PY' >/dev/null 2>&1
import importlib.util, sys
sys.exit(0 if importlib.util.find_spec(sys.argv[1]) else 1)
PY
}
cuda() { python -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; }

# step NAME NEEDS COMMAND... : run COMMAND when every module in NEEDS (comma-separated) imports
step() {
  local name=$1 needs=$2
  shift 2
  local missing=""
  cuda || missing="CUDA"
  for mod in ${needs//,/ }; do has "$mod" || missing="$missing ${mod}"; done
  if [ -n "$missing" ]; then
    python - "$name" "$missing" >>"$steps" <<'PY'
import json, sys
print(json.dumps({"step": sys.argv[1], "status": "skipped", "reason": "missing:" + sys.argv[2]}))
PY
    echo "== $name: skipped (missing:$missing)"
    return
  fi
  echo "== $name"
  local log=$scratch/$name.log start end rc
  start=$(date +%s.%N)
  "$@" >"$log" 2>&1
  rc=$?
  end=$(date +%s.%N)
  tail -5 "$log"
  python - "$name" "$rc" "$start" "$end" "$log" >>"$steps" <<'PY'
import json, sys
name, rc, start, end, log = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
tail = open(log, errors="replace").read().splitlines()[-15:]
print(json.dumps({"step": name, "status": "ok" if rc == 0 else "failed", "exit_code": rc,
                  "seconds": round(end - start, 2), "output_tail": tail}))
PY
}

step gpu_tests pytest python -m pytest -q -m gpu -p no:cacheprovider
step ray_train_epoch ray python -m latentsynth train --data digits --workers 1 --gpus-per-worker 1 \
  --epochs 1 --seed 0 --out "$scratch/train-art" --run-dir "$scratch/train-run"
step fid_features pytorch_fid python benchmarks/fid_bench.py --sizes 1000 --workers 1 --device cuda \
  --out "$scratch/fid.json"
step train_overhead ray python benchmarks/train_overhead.py --device cuda --epochs 10 --repeats 1 \
  --out "$scratch/train_overhead.json"

python - "$steps" "$OUT" "$scratch" <<'PY'
import json, os, platform, sys
from pathlib import Path

steps = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
scratch = Path(sys.argv[3])
for name in ("fid", "train_overhead"):
    path = scratch / f"{name}.json"
    if path.exists():
        next(s for s in steps if s["step"].startswith(name))["result"] = json.loads(path.read_text())
try:
    import torch

    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    versions = {"torch": torch.__version__, "cuda": torch.version.cuda}
except Exception as exc:  # the JSON still says why
    device, versions = None, {"torch": f"not importable: {exc}"}
out = {"device": device, "platform": platform.platform(), "python": platform.python_version(),
       "cpus": os.cpu_count(), **versions, "steps": steps}
Path(sys.argv[2]).parent.mkdir(parents=True, exist_ok=True)
Path(sys.argv[2]).write_text(json.dumps(out, indent=2) + "\n")
print(f"wrote {sys.argv[2]}: " + ", ".join(f"{s['step']} {s['status']}" for s in steps))
PY
