#!/usr/bin/env bash
# The work of one GPU call: install the carried wheels, check that JAX sees the GPU, run
# `python -m ferlib campaign` on the data pack within a time budget (every phase, in order:
# protocol, seeds, subject, study; CAMPAIGN_ARGS="--phases ..." picks some), and leave what
# comes back in $OUT (campaign.json, runs.tar.gz, FER2013 weights that fit, campaign.log).
#
# Run from the repository root of a copy of the tree that holds .pack/ (python -m ferlib
# pack) and .whl/ (tools/fetch_wheels.sh), on a machine with Python 3.12, JAX with CUDA,
# numpy, pandas, scikit-learn, scipy, matplotlib, OpenCV and Pillow:
#
#     OUT=/path/to/out BUDGET_S=420 bash tools/gpu_campaign.sh
#
# Environment: OUT (required), BUDGET_S (seconds of training, default 420), PACK (.pack),
# WHEELS (.whl), SITE (where the wheels go, /tmp/ferlib-site), STORE (run store,
# /tmp/ferlib-store; a small-data call's carried store of FER2013 runs with weights, .carry/store), MATMUL_PRECISION (float32: exact products; TF32 is refused, as it
# would change numbers without changing run ids), CAMPAIGN_ARGS (more campaign options), FERLIB_GIT_COMMIT (the commit the
# tree was copied from, recorded in every run's manifest where git is absent), ALLOW_CPU=1
# (a rehearsal of this script on a machine without a GPU: JAX on the CPU).
set -uo pipefail
: "${OUT:?set OUT to the folder the returned files go to}"
BUDGET_S=${BUDGET_S:-420}
PACK=${PACK:-.pack}
WHEELS=${WHEELS:-.whl}
SITE=${SITE:-/tmp/ferlib-site}
STORE=${STORE:-/tmp/ferlib-store}
MATMUL_PRECISION=${MATMUL_PRECISION:-float32}
CAMPAIGN_ARGS=${CAMPAIGN_ARGS:-}
ALLOW_CPU=${ALLOW_CPU:-0}
REQUIRE_GPU=--require-gpu
[ "$ALLOW_CPU" = 1 ] && REQUIRE_GPU=
start=$(date +%s)
stamp() { echo "[$(( $(date +%s) - start )) s] $*"; }
mkdir -p "$OUT"

stamp "1/4 installing $(ls "$WHEELS"/*.whl | wc -l) wheels from $WHEELS into $SITE"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE" \
  "$WHEELS"/*.whl || { echo "wheel install failed"; exit 3; }
export PYTHONPATH="$SITE${PYTHONPATH:+:$PYTHONPATH}"
export KERAS_BACKEND=jax PYTHONUNBUFFERED=1 TF_CPP_MIN_LOG_LEVEL=3

stamp "2/4 checking that JAX sees the GPU"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
ALLOW_CPU="$ALLOW_CPU" python3 - <<'PY' || { echo "no GPU for JAX: stopping before any training"; exit 4; }
import os, jax, keras
print(f"jax {jax.__version__} on {jax.default_backend()}: {jax.devices()}; "
      f"keras {keras.__version__} on {keras.backend.backend()}")
assert jax.default_backend() == "gpu" or os.environ["ALLOW_CPU"] == "1", "JAX runs on the CPU"
PY

stamp "3/4 campaign: budget ${BUDGET_S} s, matmul precision ${MATMUL_PRECISION}"
# shellcheck disable=SC2086
python3 -m ferlib campaign --pack "$PACK" --store "$STORE" --out "$OUT" --budget-s "$BUDGET_S" \
  --matmul-precision "$MATMUL_PRECISION" $REQUIRE_GPU $CAMPAIGN_ARGS 2>&1 | tee "$OUT/campaign.log"
status=${PIPESTATUS[0]}
truncate -s '<1M' "$OUT/campaign.log"

stamp "4/4 returned files (campaign exit status $status):"
ls -l "$OUT"
python3 - "$OUT/campaign.json" <<'PY' || true
import json, sys
record = json.load(open(sys.argv[1]))
for model, rate in sorted(record.get("rates", {}).items()):
    print(f"model {model}: {rate['images_per_s']:.0f} training images/s ({rate['source']})")
for warm in record.get("warmups", []):
    print(f"warm-up model {warm['model']}: {warm['images_per_s']:.0f} images/s, compile {warm['compile_s']} s")
PY
exit "$status"
