#!/usr/bin/env bash
# Cross-check remediate against Bandit and ruff on the dev corpus (see
# tests/crosscheck.py for the checks). Installs what it needs on first use:
# the pinned tools (scripts/python-env.sh) and the corpus (scripts/corpus.sh).
#
# Environment:
#   REMEDIATE_BIN          binary to test (default: cargo build --release)
#   CROSSCHECK_OUT=DIR     keep the raw JSON outputs and summary.json in DIR
#   CROSSCHECK_ALLOW_FAIL=1  report failures but exit 0 (development only)
#   REMEDIATE_CACHE, REMEDIATE_SHARED  as for scripts/python-env.sh, scripts/corpus.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "== crosscheck: python tools =="
venv=$(scripts/python-env.sh | tail -n 1)

echo "== crosscheck: dev corpus =="
pkg_list=$(scripts/corpus.sh --list dev)
mapfile -t pkgs <<< "$pkg_list"

if [ -n "${REMEDIATE_BIN:-}" ]; then
  bin=$REMEDIATE_BIN
  echo "== crosscheck: binary $bin (REMEDIATE_BIN) =="
else
  echo "== crosscheck: cargo build --release =="
  cargo build --release
  bin=${CARGO_TARGET_DIR:-target}/release/remediate
fi
[ -x "$bin" ] || { echo "crosscheck: error: no executable at $bin" >&2; exit 1; }

"$venv/bin/python" tests/crosscheck.py run --bin "$bin" --venv "$venv" "${pkgs[@]}"
