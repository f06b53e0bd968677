#!/usr/bin/env bash
# Create (once) the Python venv holding the reference tools pinned in
# scripts/python-tools.txt, outside the repository:
#   ${REMEDIATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/remediate}/venv
# Progress goes to stderr; the venv path is the last line on stdout, so
#   REMEDIATE_VENV=$(scripts/python-env.sh | tail -n 1)
# Nothing is installed when the venv already has the pinned versions.
#
# Environment: REMEDIATE_CACHE (see above), PYTHON (default python3).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
reqs="$here/python-tools.txt"
cache=${REMEDIATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/remediate}
venv="$cache/venv"
python=${PYTHON:-python3}

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
exec 9>"$cache/venv.lock"
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
echo "$venv"
