#!/usr/bin/env bash
# Times the checkpoint audit on a 2 GB training checkpoint.
#
#   scripts/bench-checkpoints.sh [RUNS]
#
# The checkpoint (model, AdamW state, numpy/python/torch RNG states: about 2 GB,
# 1200 tensors) is written once with the real torch under
# ${REMEDIATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/remediate}/bench and reused.
# The audit runs RUNS times (default 5) through examples/audit_checkpoints.rs,
# built with --release; each run prints the time the library call took. The
# audit reads the zip's central directory and data.pkl only, so the figure does
# not grow with the tensor data.
#
# Environment: REMEDIATE_CACHE (see above), REMEDIATE_RUNTIME_PYTHON (default:
# the venv of scripts/python-env.sh runtime).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

runs=${1:-5}
cache=${REMEDIATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/remediate}/bench
checkpoint="$cache/train-2g.pt"
python=${REMEDIATE_RUNTIME_PYTHON:-$(scripts/python-env.sh runtime | tail -n 1)/bin/python}

if [ ! -f "$checkpoint" ]; then
  mkdir -p "$cache"
  echo "bench: writing $checkpoint (once)" >&2
  "$python" - "$checkpoint.partial" <<'PY'
import random, sys
import numpy as np
import torch

# 200 layers of 1024x880 floats: 0.72 GB of weights, twice that of AdamW moments.
model = {f"layers.{i}.weight": torch.zeros(1024, 880) for i in range(200)}
model.update({f"layers.{i}.bias": torch.zeros(1024) for i in range(200)})
state = {i: {"step": torch.tensor(1000.0), "exp_avg": torch.zeros_like(t), "exp_avg_sq": torch.zeros_like(t)}
         for i, t in enumerate(model.values())}
optimizer = {"state": state, "param_groups": [{"lr": 3e-4, "betas": (0.9, 0.999), "params": list(state)}]}
checkpoint = {
    "model_state_dict": model,
    "optimizer_state_dict": optimizer,
    "epoch": 12,
    "meta": {"rng_states": {"python": random.getstate(), "numpy": np.random.get_state(),
                            "torch": torch.get_rng_state()}},
}
torch.save(checkpoint, sys.argv[1])
PY
  mv "$checkpoint.partial" "$checkpoint"
fi
echo "bench: $(du -h "$checkpoint" | cut -f1) $checkpoint" >&2

cargo build --quiet --release --example audit_checkpoints
for _ in $(seq "$runs"); do
  target/release/examples/audit_checkpoints "$checkpoint" 2>&1 >/dev/null | grep 'audited in' || true
done
target/release/examples/audit_checkpoints "$checkpoint" || true
