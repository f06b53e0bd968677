#!/usr/bin/env bash
# Benchmark remediate against ruff and Bandit on the dev corpus and on
# transformers (the perf corpus), in one run on this machine: CPU-time
# ratios, peak RSS, the index phase's share, and the inputs that were
# quadratic. Prints PASS/FAIL per goal; exits 1 on a failed goal only with
# --strict. usage: scripts/bench.sh [--quick] [--pairs N] [--strict] [--verbose]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
venv=$(scripts/python-env.sh | tail -n 1)
corpus=$(scripts/corpus.sh perf | tail -n 1)
mapfile -t dev < <(scripts/corpus.sh --list dev)
cargo build --release --quiet
exec python3 scripts/bench.py \
  --remediate "$root/target/release/remediate" \
  --ruff "$venv/bin/ruff" --bandit "$venv/bin/bandit" \
  --dev "${dev[@]}" --perf "$corpus/transformers-5.23.0" "$@"
