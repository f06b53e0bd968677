#!/usr/bin/env bash
# Create (once) a Python venv outside the repository, under
# ${REMEDIATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/remediate}:
#
#   scripts/python-env.sh [tools]   venv/          the reference tools pinned in
#                                                  scripts/python-tools.txt (Bandit, ruff)
#   scripts/python-env.sh runtime   venv-runtime/  the real libraries pinned in
#                                                  scripts/python-runtime.txt (torch, ...),
#                                   numpy1/        plus numpy 1.x installed apart, to put
#                                                  first on PYTHONPATH for numpy-1 runs
#   scripts/python-env.sh packaging venv-packaging/ maturin and pre-commit pinned in
#                                                  scripts/python-packaging.txt
#
# Progress goes to stderr; the venv path is the last line on stdout, so
#   REMEDIATE_VENV=$(scripts/python-env.sh | tail -n 1)
# Nothing is installed when the venv already has the pinned versions.
#
# Environment: REMEDIATE_CACHE (see above), PYTHON (default python3).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${REMEDIATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/remediate}
python=${PYTHON:-python3}
kind=${1:-tools}
case "$kind" in
  tools) reqs="$here/python-tools.txt"; venv="$cache/venv" ;;
  runtime) reqs="$here/python-runtime.txt"; venv="$cache/venv-runtime" ;;
  packaging) reqs="$here/python-packaging.txt"; venv="$cache/venv-packaging" ;;
  *) echo "usage: $0 [tools|runtime|packaging]" >&2; exit 2 ;;
esac
# numpy 1.x for the runtime tests, kept apart from the venv's numpy 2.
numpy1_version=1.26.4
numpy1="$cache/numpy1"

log() { echo "python-env: $*" >&2; }

# Exit status 0 when every name==version line of $reqs is installed in the venv.
pins_match() {
  [ -x "$venv/bin/python" ] || return 1
  "$venv/bin/python" - "$reqs" <<'PY' >&2
import sys
from importlib.metadata import version, PackageNotFoundError
wrong = []
for line in open(sys.argv[1]):
    line = line.split("#", 1)[0].strip()
    if not line:
        continue
    name, want = line.split("==")
    try:
        have = version(name)
    except PackageNotFoundError:
        have = None
    if have != want:
        wrong.append(f"{name} {have or 'missing'} (want {want})")
if wrong:
    print("python-env: needs install: " + ", ".join(wrong))
    sys.exit(1)
PY
}

mkdir -p "$cache"
# Serialise concurrent callers (e.g. two test runs) on the same venv.
exec 9>"$cache/$(basename "$venv").lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi

if pins_match; then
  log "up to date: $venv"
else
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import pip' 2>/dev/null; then
    command -v "$python" >/dev/null 2>&1 || { log "error: $python not found"; exit 1; }
    log "creating $venv with $("$python" --version 2>&1)"
    rm -rf "$venv"
    "$python" -m venv "$venv" >&2 || {
      log "error: '$python -m venv' failed (on Debian: apt-get install python3-venv)"; exit 1; }
  fi
  log "installing $(grep -v '^#' "$reqs" | xargs)"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
      -r "$reqs" </dev/null >&2
  pins_match || { log "error: pinned versions still not installed in $venv"; exit 1; }
  log "ready: $venv"
fi
if [ "$kind" = runtime ] && [ ! -f "$numpy1/.complete-$numpy1_version" ]; then
  log "installing numpy==$numpy1_version into $numpy1"
  rm -rf "$numpy1"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
      --target "$numpy1" "numpy==$numpy1_version" </dev/null >&2
  touch "$numpy1/.complete-$numpy1_version"
fi
echo "$venv"
