#!/usr/bin/env bash
# Fetch the pinned real-world corpus with ../shared/corpus/fetch.sh (beside the
# repository) into ${REMEDIATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/remediate}/corpus.
#
# usage: scripts/corpus.sh [--list] {dev|perf|all}
#   prints the corpus directory as the last line on stdout;
#   with --list, prints instead the directory of each package of that split,
#   one per line (the corpus directory can hold packages of other splits).
# fetch.sh is idempotent, so a second call downloads nothing.
#
# Environment: REMEDIATE_SHARED (default <repo>/../shared), REMEDIATE_CACHE.
set -euo pipefail

usage() { echo "usage: $0 [--list] {dev|perf|all}" >&2; exit 2; }
list=0
if [ "${1:-}" = --list ]; then list=1; shift; fi
[ $# -eq 1 ] || usage
split=$1
case "$split" in dev|perf|all) ;; *) usage ;; esac

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(git -C "$here" rev-parse --show-toplevel 2>/dev/null || (cd "$here/.." && pwd))
shared=${REMEDIATE_SHARED:-$top/../shared}
fetch="$shared/corpus/fetch.sh"
if [ ! -f "$fetch" ]; then
  echo "corpus: error: $fetch not found." >&2
  echo "corpus: the shared/ directory must sit beside the repository ($top/../shared)," >&2
  echo "corpus: or REMEDIATE_SHARED must name it." >&2
  exit 1
fi

cache=${REMEDIATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/remediate}
corpus="$cache/corpus"
mkdir -p "$corpus"
bash "$fetch" "$split" "$corpus" </dev/null >&2

if [ "$list" = 1 ]; then
  # Package directories of the split, read from fetch.sh's own pin table
  # (split, pip name, version, wheel, sha256): <dist from the wheel>-<version>.
  mapfile -t pkgs < <(awk -v want="$split" -v dir="$corpus" '
    NF == 5 && ($1 == "dev" || $1 == "perf") && $4 ~ /\.whl$/ &&
    (want == "all" || $1 == want) {
      dist = $4; sub(/-.*/, "", dist); print dir "/" dist "-" $3
    }' "$fetch")
  [ ${#pkgs[@]} -gt 0 ] || { echo "corpus: error: no $split packages found in $fetch" >&2; exit 1; }
  for pkg in "${pkgs[@]}"; do
    [ -d "$pkg" ] || { echo "corpus: error: $pkg missing after fetch" >&2; exit 1; }
  done
  printf '%s\n' "${pkgs[@]}"
else
  echo "$corpus"
fi
