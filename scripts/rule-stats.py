#!/usr/bin/env python3
"""Per Bandit code: what `remediate` does with the findings of a corpus.

usage: scripts/rule-stats.py REMEDIATE.json [--bandit B.json] [--bandit-after B.json]

For every Bandit code of HIGH or MEDIUM severity that a rule covers, prints a
Markdown table of the findings `remediate check` reports, how many a fix makes
(safe, and unsafe: only with --unsafe-fixes) and how many are reported with a
reason; then, per code, each reason and how often it is given.

REMEDIATE.json is the output of
    remediate check --unsafe-fixes --format json [--target-version V] PATH...
(--unsafe-fixes, so that a finding with an unsafe fix counts as fixable; the
script refuses output made without it). --bandit adds Bandit's own count (and
its severities) for the same paths, from `bandit -f json -r PATH` output;
--bandit-after adds Bandit's count on a copy after `remediate fix
--unsafe-fixes`, the external measure of what the fixes removed.
tests/crosscheck.sh keeps both Bandit outputs in $CROSSCHECK_OUT (bandit.json,
bandit-fixed.json); docs/bandit-high-medium.md shows the commands.
"""

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from crosscheck import BANDIT_RULES  # code -> rule, kept in one place

# Codes Bandit reports only as LOW: not part of this table.
LOW_ONLY = {"B110", "B112"}

# The severities Bandit 1.9.4 gives each code (some depend on the call).
BANDIT_SEVERITY = {
    "B614": "M", "B615": "M", "B113": "M", "B324": "H", "B506": "M", "B202": "H/M/L",
    "B602": "H/L", "B604": "M", "B605": "H/L", "B701": "H", "B301": "M", "B307": "M",
    "B102": "M", "B108": "M", "B104": "M", "B103": "H/M", "B310": "M", "B313": "M",
    "B314": "M", "B315": "M", "B316": "M", "B317": "M", "B318": "M", "B319": "M",
    "B613": "H",
}

NOT_FIXED = "; not fixed: "

# Reasons that quote the site's own expression: one line for all of them.
SITE_SPECIFIC = [
    (re.compile(r"the repository id `[^`]*` is known only at run time"),
     "the repository id `<expr>` is known only at run time"),
    (re.compile(r"^no pin for `[^`]*`"), "no pin for `<id>`"),
    (re.compile(r"^use `defusedxml\.[^`]*` instead"), "use `defusedxml`'s counterpart instead"),
]


def reason_of(finding):
    """The reason a finding is not fixed, or None when it has a fix."""
    message = finding["message"]
    if finding.get("fixable"):
        return None
    if NOT_FIXED in message:
        return short(message.split(NOT_FIXED, 1)[1])
    if finding.get("fix_safety") == "unsafe":
        sys.exit("rule-stats: a finding with an unsafe fix is not fixable: run `remediate check` with --unsafe-fixes")
    return "(no reason given)"


def short(reason):
    """The reason up to its first `; ` or `: ` outside backquotes."""
    for pattern, replacement in SITE_SPECIFIC:
        reason = pattern.sub(replacement, reason)
    quoted = False
    for i, c in enumerate(reason):
        if c == "`":
            quoted = not quoted
        elif not quoted and reason.startswith(("; ", ": "), i):
            return reason[:i]
    return reason


def bandit_counts(path):
    """code -> Counter of severity initials, from Bandit's JSON (None without one)."""
    if not path:
        return None
    counts = defaultdict(Counter)
    for r in json.loads(Path(path).read_text())["results"]:
        counts[r["test_id"]][r["issue_severity"][0]] += 1
    return counts


def codes():
    return [c for c in BANDIT_RULES if c not in LOW_ONLY]


def table(findings, before, after):
    by_code = defaultdict(list)
    for f in findings:
        if f.get("bandit"):
            by_code[f["bandit"]].append(f)
    head = ["Bandit", "severity", "rule", "remediate findings", "fixed (safe)", "fixed (unsafe)", "reported"]
    if before is not None:
        head[3:3] = ["Bandit findings"]
    if after is not None:
        head.append("Bandit after `fix --unsafe-fixes`")
    rows = []
    totals = Counter()
    for code in codes():
        these = by_code.get(code, [])
        safe = sum(1 for f in these if f.get("fixable") and f.get("fix_safety") == "safe")
        unsafe = sum(1 for f in these if f.get("fixable") and f.get("fix_safety") == "unsafe")
        reported = len(these) - safe - unsafe
        totals.update(findings=len(these), safe=safe, unsafe=unsafe, reported=reported)
        row = [code, BANDIT_SEVERITY.get(code, "?"), f"`{BANDIT_RULES[code]}`", str(len(these)),
               str(safe), str(unsafe), str(reported)]
        if before is not None:
            n = sum(before[code].values())
            totals["bandit"] += n
            row[3:3] = [f"{n} ({', '.join(f'{s}{k}' for s, k in sorted(before[code].items()))})" if n else "0"]
        if after is not None:
            totals["after"] += sum(after[code].values())
            row.append(str(sum(after[code].values())))
        rows.append(row)
    total = ["total", "", "", str(totals["findings"]), str(totals["safe"]), str(totals["unsafe"]),
             str(totals["reported"])]
    if before is not None:
        total[3:3] = [str(totals["bandit"])]
    if after is not None:
        total.append(str(totals["after"]))
    rows.append(total)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def reasons(findings):
    by_code = defaultdict(Counter)
    for f in findings:
        code = f.get("bandit")
        if code in codes():
            why = reason_of(f)
            if why is not None:
                by_code[code][why] += 1
    out = []
    for code in codes():
        if by_code[code]:
            out.append(f"- **{code}** (`{BANDIT_RULES[code]}`):")
            for why, n in sorted(by_code[code].items(), key=lambda kv: (-kv[1], kv[0])):
                out.append(f"  - {n} × {why}")
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("remediate", help="`remediate check --unsafe-fixes --format json` output")
    ap.add_argument("--bandit", help="`bandit -f json` output on the same paths")
    ap.add_argument("--bandit-after", help="`bandit -f json` output on a copy after `remediate fix --unsafe-fixes`")
    args = ap.parse_args(argv)
    findings = json.loads(Path(args.remediate).read_text())["findings"]
    for f in findings:
        reason_of(f)  # refuses output made without --unsafe-fixes
    print(table(findings, bandit_counts(args.bandit), bandit_counts(args.bandit_after)))
    print()
    print("Reported with a reason, per code (the reason up to its first `;` or `:`):")
    print()
    print(reasons(findings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
