#!/usr/bin/env bash
# Benchmark remediate against ruff and Bandit on transformers (the perf corpus),
# in one run on this machine. Prints medians, per-pair ratios, peak RSS and
# scaling. usage: scripts/bench.sh [--quick] [--pairs N]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
venv=$(scripts/python-env.sh | tail -n 1)
corpus=$(scripts/corpus.sh perf | tail -n 1)
cargo build --release --quiet
exec python3 scripts/bench.py \
  --remediate "$root/target/release/remediate" \
  --ruff "$venv/bin/ruff" --bandit "$venv/bin/bandit" \
  "$corpus/transformers-5.23.0" "$@"
