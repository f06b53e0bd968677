#!/usr/bin/env bash
# The project's test command. Runs, in order:
#   0. cargo fmt --check and cargo clippy (warnings are errors): a formatting
#      or lint failure stops the run before anything is installed or built
#      for the tests;
#   1. scripts/python-env.sh   pinned bandit + ruff in a venv outside the repo,
#                              exported as REMEDIATE_VENV for the tests that call them,
#                              and its python as REMEDIATE_PYTHON (the tests' CPython
#                              judge) unless that is set already; and the runtime venv
#                              (real torch, numpy 1.x and 2.x, huggingface_hub,
#                              nbformat), its python exported as REMEDIATE_RUNTIME_PYTHON
#                              for the tests that judge fixes by running them;
#   2. the cross-check's own unit tests (tests/test_crosscheck.py);
#   3. cargo test --release    unit, golden and CLI tests;
#   4. tests/crosscheck.sh     remediate vs Bandit and ruff on the dev corpus.
# Works on a fresh clone: whatever is missing is installed on the way.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

header() { printf '\n==== %s ====\n' "$*"; }

header "cargo fmt --check"
if ! cargo fmt --check; then
  echo "scripts/test.sh: formatting differs (above); run \`cargo fmt\` and commit the result" >&2
  exit 1
fi

header "cargo clippy --release --all-targets -- -D warnings"
if ! cargo clippy --release --all-targets -- -D warnings; then
  echo "scripts/test.sh: clippy found problems (above); fix them before the tests run" >&2
  exit 1
fi

header "python tools"
REMEDIATE_VENV=$(scripts/python-env.sh | tail -n 1)
export REMEDIATE_VENV
export REMEDIATE_PYTHON=${REMEDIATE_PYTHON:-$REMEDIATE_VENV/bin/python}
echo "REMEDIATE_VENV=$REMEDIATE_VENV"
echo "REMEDIATE_PYTHON=$REMEDIATE_PYTHON"

header "python runtime libraries"
REMEDIATE_RUNTIME_PYTHON=${REMEDIATE_RUNTIME_PYTHON:-$(scripts/python-env.sh runtime | tail -n 1)/bin/python}
export REMEDIATE_RUNTIME_PYTHON
echo "REMEDIATE_RUNTIME_PYTHON=$REMEDIATE_RUNTIME_PYTHON"

header "crosscheck unit tests"
"$REMEDIATE_VENV/bin/python" -m unittest discover -s tests -p 'test_crosscheck.py'

header "cargo test --release"
# The property harness (tests/properties.rs) runs for this many seconds.
export REMEDIATE_FUZZ_SECONDS=${REMEDIATE_FUZZ_SECONDS:-60}
cargo test --release

header "crosscheck on the dev corpus"
tests/crosscheck.sh
