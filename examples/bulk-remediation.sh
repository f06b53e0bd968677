#!/usr/bin/env bash
# Remediate many repositories at once: one branch and one commit each,
# with the pull-request body written beside.
#
#   examples/bulk-remediation.sh REPO...
#
# For each git repository:
#   - refuse it when it has uncommitted changes or untracked files (a user's
#     work is never touched), or when the branch already exists;
#   - run `remediate fix --report` at the top of the repository;
#   - when files changed: create branch remediate/security-fixes from the
#     current HEAD, commit every change in one commit whose message names the
#     rules and counts, and leave that branch checked out;
#   - when nothing changed: no branch, no commit;
#   - when remediate fails (exit 2): put the files back as they were.
# Then print a table: repository, status, files changed, findings
# remaining, and the report (the pull-request body) for each.
#
# Environment:
#   REMEDIATE       the binary to run (default: `remediate` on PATH)
#   REMEDIATE_ARGS  extra arguments for `remediate fix`, split on spaces,
#                   e.g. "--revisions /abs/path/model_revisions.yaml"
#   REPORT_DIR      where reports and logs go (default: a new temporary dir)
#   BRANCH          the branch to create (default: remediate/security-fixes)
#
# Exit status: 0 when every repository was handled (fixed or clean),
# 1 when any was refused or failed, 2 on a usage error.

set -uo pipefail

REMEDIATE=${REMEDIATE:-remediate}
BRANCH=${BRANCH:-remediate/security-fixes}
read -r -a EXTRA_ARGS <<< "${REMEDIATE_ARGS:-}"

if [ "$#" -eq 0 ]; then
    echo "usage: $0 REPO..." >&2
    exit 2
fi
if ! command -v "$REMEDIATE" > /dev/null; then
    echo "$0: cannot find \`$REMEDIATE\` (set REMEDIATE to the binary)" >&2
    exit 2
fi
REPORT_DIR=${REPORT_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/remediate-reports.XXXXXX")}
mkdir -p "$REPORT_DIR" || exit 2
REPORT_DIR=$(cd "$REPORT_DIR" && pwd)

rows=()        # repository|status|files changed|remaining|report
failed=0

# A file in REPORT_DIR named after the repository, never reused.
unique_path() {
    local base=$1 ext=$2 path="$REPORT_DIR/$1$2" n=2
    while [ -e "$path" ]; do
        path="$REPORT_DIR/$base-$n$ext"
        n=$((n + 1))
    done
    printf '%s\n' "$path"
}

# The value of KEY in the report's `<!-- remediate-summary ... -->` line.
summary_value() {
    local report=$1 key=$2
    sed -n 's/^<!-- remediate-summary \(.*\) -->$/\1/p' "$report" | tr ' ' '\n' | sed -n "s/^$key=//p"
}

commit_message() {
    local report=$1 remaining rules rule
    remaining=$(summary_value "$report" remaining)
    rules=$(summary_value "$report" rules)
    head -n 1 "$report" | sed 's/^# //'
    echo
    echo "Applied with \`remediate fix\`; fixed per rule:"
    echo
    for rule in ${rules//,/ }; do
        echo "- ${rule%%:*}: ${rule##*:}"
    done
    echo
    echo "${remaining:-0} finding(s) remain for review; the pull-request body lists them."
}

# Puts tracked files back as HEAD has them: used only on a tree that was
# clean before remediate ran, so nothing but remediate's edits is undone.
restore() {
    git -C "$1" checkout -q -- . 2> /dev/null || true
}

remediate_repo() {
    local repo=$1 top name report log rc changed remaining message start
    if ! top=$(git -C "$repo" rev-parse --show-toplevel 2> /dev/null); then
        rows+=("$repo|refused: not a git repository|-|-|-")
        failed=1
        return
    fi
    if [ -n "$(git -C "$top" status --porcelain)" ]; then
        rows+=("$repo|refused: uncommitted changes|-|-|-")
        failed=1
        return
    fi
    if git -C "$top" rev-parse --verify --quiet "refs/heads/$BRANCH" > /dev/null; then
        rows+=("$repo|refused: branch $BRANCH exists|-|-|-")
        failed=1
        return
    fi
    name=$(basename "$top")
    report=$(unique_path "$name" .md)
    log="${report%.md}.log"
    (cd "$top" && "$REMEDIATE" fix --quiet --report "$report" "${EXTRA_ARGS[@]}" .) > "$log" 2>&1
    rc=$?
    if [ "$rc" -ge 2 ]; then
        restore "$top"
        rows+=("$repo|failed: remediate exited $rc (see $log)|-|-|-")
        failed=1
        return
    fi
    remaining=$(summary_value "$report" remaining)
    changed=$(git -C "$top" status --porcelain --untracked-files=no | wc -l | tr -d ' ')
    if [ "$changed" -eq 0 ]; then
        rows+=("$repo|no changes|0|${remaining:-0}|$report")
        return
    fi
    message=$(commit_message "$report")
    start=$(git -C "$top" symbolic-ref --quiet --short HEAD || git -C "$top" rev-parse HEAD)
    if ! { git -C "$top" checkout -q -b "$BRANCH" &&
        git -C "$top" add -u &&
        git -C "$top" commit -q -m "$message"; } >> "$log" 2>&1; then
        git -C "$top" reset -q > /dev/null 2>&1
        restore "$top"
        git -C "$top" checkout -q "$start" > /dev/null 2>&1
        git -C "$top" branch -q -D "$BRANCH" > /dev/null 2>&1
        rows+=("$repo|failed: could not commit (see $log)|-|-|-")
        failed=1
        return
    fi
    rows+=("$repo|committed on $BRANCH|$changed|${remaining:-0}|$report")
}

for repo in "$@"; do
    remediate_repo "$repo"
done

# The table, columns as wide as their widest cell.
widths=(10 6 13 9 6)
headers=("REPOSITORY" "STATUS" "FILES CHANGED" "REMAINING" "REPORT")
for row in "${rows[@]}"; do
    IFS='|' read -r -a cells <<< "$row"
    for i in 0 1 2 3; do
        [ "${#cells[$i]}" -gt "${widths[$i]}" ] && widths[i]=${#cells[$i]}
    done
done
print_row() {
    printf "%-${widths[0]}s  %-${widths[1]}s  %${widths[2]}s  %${widths[3]}s  %s\n" "$@"
}
print_row "${headers[@]}"
for row in "${rows[@]}"; do
    IFS='|' read -r -a cells <<< "$row"
    print_row "${cells[@]}"
done
echo
echo "reports and logs: $REPORT_DIR"
exit "$failed"
