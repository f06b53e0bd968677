#!/usr/bin/env python3
"""Cross-check remediate against Bandit and ruff on the real-world corpus.

  crosscheck.py run --bin BIN --venv VENV PKGDIR...
      a. recall of `remediate check` against Bandit (the codes of BANDIT_RULES),
         less the deliberate differences in ALLOWED_MISSES;
      b. `remediate fix --unsafe-fixes` on a copy: every changed file compiles,
         a second fix changes nothing, only .py files change, and every
         finding Bandit still reports (RESIDUAL_CODES) is reported by remediate;
         then the same on a second copy with --target-version py312, where the
         fixes that need a newer Python are made too;
      c. recall against ruff (the codes of RUFF_RULES).
  crosscheck.py compare --root ROOT --remediate R.json [--bandit B.json] [--ruff F.json]
      only the recall comparison, on JSON files saved earlier.

Exit status 1 when a check fails (recall below 0.95 for a code that has at least
one reference finding, a broken or unstable file, an unreported residual, a
tool error); CROSSCHECK_ALLOW_FAIL=1 reports the same and exits 0.
Raw outputs and summary.json go to $CROSSCHECK_OUT (default: a new temp dir).
"""

import argparse
import concurrent.futures
import difflib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

MIN_RECALL = 0.95
MAX_STDERR_LINES = 20

# Reference code -> the remediate rule that must report the same file and line.
BANDIT_RULES = {
    "B614": "torch-load",
    "B615": "hf-revision",
    "B113": "http-timeout",
    "B110": "except-pass",
    "B112": "except-continue",
    "B324": "weak-hash",
    "B506": "yaml-load",
    "B202": "tarfile-extract",
    "B602": "subprocess-shell",
    "B604": "call-with-shell",
    "B605": "start-process-with-shell",
    "B701": "jinja2-autoescape",
    "B301": "pickle-load",
    "B307": "eval-used",
    "B102": "exec-used",
    "B108": "hardcoded-tmp",
    "B103": "chmod-permissive",
    "B104": "bind-all-interfaces",
    "B310": "urlopen-scheme",
    "B313": "xml-parse-celementtree",
    "B314": "xml-parse-elementtree",
    "B315": "xml-parse-expatreader",
    "B316": "xml-parse-expatbuilder",
    "B317": "xml-parse-sax",
    "B318": "xml-parse-minidom",
    "B319": "xml-parse-pulldom",
    "B613": "trojan-source",
}
RUFF_RULES = {
    "S113": "http-timeout",
    "S110": "except-pass",
    "S112": "except-continue",
    "E722": "bare-except",
    "S324": "weak-hash",
    "S506": "yaml-load",
    "S202": "tarfile-extract",
    "S602": "subprocess-shell",
    "S604": "call-with-shell",
    "S605": "start-process-with-shell",
    "S701": "jinja2-autoescape",
    "S301": "pickle-load",
    "S307": "eval-used",
    "S102": "exec-used",
    "S108": "hardcoded-tmp",
    "S103": "chmod-permissive",
    "S104": "bind-all-interfaces",
    "S310": "urlopen-scheme",
    "S313": "xml-parse-celementtree",
    "S314": "xml-parse-elementtree",
    "S315": "xml-parse-expatreader",
    "S316": "xml-parse-expatbuilder",
    "S317": "xml-parse-sax",
    "S318": "xml-parse-minidom",
    "S319": "xml-parse-pulldom",
    # ruff has no S613; PLE2502 (bidirectional-unicode) is its counterpart.
    "PLE2502": "trojan-source",
}
# Bandit codes whose findings a fix may leave behind only if remediate still reports them.
# Not B202: below py312 the fix passes `filter` through a guarded `**{...}`, which
# Bandit cannot read, so it keeps reporting a call remediate has fixed (README).
RESIDUAL_CODES = ("B614", "B615", "B113", "B324", "B506", "B602", "B604", "B605", "B701", "B301", "B307", "B102",
                  "B108", "B103", "B104", "B310", "B313", "B314", "B315", "B316", "B317", "B318", "B319",
                  "B613")
# The second fix pass: weak-hash's `usedforsecurity` needs 3.9, tarfile-extract's
# plain `filter="data"` 3.12; the default target (py38) reports or guards them.
NEWER_TARGET = ("--target-version", "py312")
# Bandit reports these at a line inside what remediate reports: B602/B604 at
# the line of the `shell=` keyword, which may be a later line of the call
# (remediate reports the call's first line); B613 at the line of the control
# character, which may be a later line of a string (remediate reports the
# comment or string that holds it).
BANDIT_KEYWORD_LINE = ("B602", "B604", "B613")
# Bandit findings remediate does not report on purpose, each a difference the
# README documents ("Differences from Bandit and ruff"), by code, file and
# line. They leave the recall's denominator; a listed site that is found
# after all, or no longer exists, is a failed check, so the list stays true.
ALLOWED_MISSES = {
    # B604 takes any `shell=<name>` as true; here it is a completion shell's
    # name passed to typer's helpers, which start no process.
    ("B604", "roboflow-1.7.3/roboflow/cli/handlers/completion.py", 32): "shell=<name>",
    ("B604", "roboflow-1.7.3/roboflow/cli/handlers/completion.py", 62): "shell=<name>",
    ("B604", "roboflow-1.7.3/roboflow/cli/handlers/completion.py", 74): "shell=<name>",
    # The line carries a ruff suppression comment for S310; remediate honours ruff's comments as
    # well as Bandit's (ruff is silenced there too).
    ("B310", "lightning-2.6.6/lightning/pytorch/demos/mnist_datamodule.py", 100): "# noqa: S310",
    # The URL is a local variable bound only to an https:// literal: the
    # scheme is known, and ruff does not flag it either.
    ("B310", "nemo_toolkit-3.0.0/nemo/utils/notebook_utils.py", 73): "URL bound to an https:// literal",
}

DEFAULT_PINS = """\
model_revisions:
  default:
    revision: "0123456789abcdef0123456789abcdef01234567"
    trust_remote_code: false
"""


@dataclass(frozen=True)
class Ref:
    """One finding of a reference tool, its path relative to the corpus root."""

    code: str
    path: str
    line: int


@dataclass
class Recall:
    tool: str
    code: str
    rule: str
    refs: list
    misses: list = field(default_factory=list)
    # Misses listed in ALLOWED_MISSES: not counted either way.
    allowed: list = field(default_factory=list)

    @property
    def matched(self):
        return len(self.refs) - len(self.misses) - len(self.allowed)

    @property
    def recall(self):
        counted = len(self.refs) - len(self.allowed)
        return self.matched / counted if counted else None

    @property
    def ok(self):
        return self.recall is None or self.recall >= MIN_RECALL


class Checks:
    """Pass/fail results, in the order they were made."""

    def __init__(self):
        self.items = []

    def add(self, name, ok, detail=""):
        self.items.append((name, bool(ok), detail))

    @property
    def failed(self):
        return [i for i in self.items if not i[1]]


# ---------------------------------------------------------------- reading JSON


class PathNormaliser:
    """Maps a path as a tool printed it to a path relative to the corpus root."""

    def __init__(self, root):
        self.root = os.path.realpath(root)

    def __call__(self, path, cwd=None):
        full = os.path.join(cwd or self.root, path)
        return os.path.relpath(os.path.realpath(full), self.root)


def bandit_refs(report, norm, cwd=None):
    return [
        Ref(r["test_id"], norm(r["filename"], cwd), int(r["line_number"]))
        for r in report["results"]
    ]


def ruff_refs(report, norm, cwd=None):
    # Syntax errors come with code None; they are not findings of the selected rules.
    return [
        Ref(d["code"], norm(d["filename"], cwd), int(d["location"]["row"]))
        for d in report
        if d.get("code")
    ]


def remediate_findings(report, norm, cwd=None):
    out = []
    for f in report["findings"]:
        f = dict(f)
        f["path"] = norm(f["path"], cwd)
        out.append(f)
    return out


# ---------------------------------------------------------------- comparing


def spans(findings):
    """(rule, path) -> [(first line, last line)] of each finding."""
    out = defaultdict(list)
    for f in findings:
        out[(f["rule"], f["path"])].append((f["line"], f.get("end_line") or f["line"]))
    return out


def covers(spans_by_key, rule, path, line, anywhere):
    """Is there a finding of `rule` in `path` starting at `line` (Bandit reports
    a call's first line), or, with `anywhere`, spanning it (ruff reports
    `timeout=None` at the keyword, which may sit on a later line of the call)?"""
    return any(first == line or (anywhere and first <= line <= last)
               for first, last in spans_by_key.get((rule, path), ()))


def compare(tool, rules, refs, findings):
    """Recall of `findings` against `refs`, one Recall per code of `rules`."""
    found = spans(findings)
    by_code = defaultdict(list)
    for r in refs:
        by_code[r.code].append(r)
    rows = []
    for code, rule in rules.items():
        anywhere = tool == "ruff" or code in BANDIT_KEYWORD_LINE
        row = Recall(tool, code, rule, sorted(by_code.pop(code, []), key=_ref_order))
        missed = [r for r in row.refs if not covers(found, rule, r.path, r.line, anywhere)]
        row.allowed = [r for r in missed if tool == "bandit" and (r.code, r.path, r.line) in ALLOWED_MISSES]
        row.misses = [r for r in missed if r not in row.allowed]
        rows.append(row)
    for code, stray in sorted(by_code.items()):  # codes we did not ask the tool for
        print(f"warning: {tool} reported {len(stray)} {code} finding(s) outside the selection")
    return rows


def extras(findings, refs, key):
    """remediate findings carrying a reference code (`key`: 'bandit' or 'ruff')
    that the reference tool did not report at that file and line."""
    seen = defaultdict(list)
    for r in refs:
        seen[(r.code, r.path)].append(r.line)
    return [f for f in findings if f.get(key) and not any(
        f["line"] <= line <= (f.get("end_line") or f["line"]) for line in seen.get((f[key], f["path"]), ()))]


def _ref_order(r):
    return (r.path, r.line, r.code)


class Sources:
    """Reads source lines for messages, each file once."""

    def __init__(self, root):
        self.root = Path(root)
        self.cache = {}

    def line(self, path, line):
        if path not in self.cache:
            try:
                data = (self.root / path).read_bytes()
                self.cache[path] = data.decode("utf-8", "replace").splitlines()
            except OSError:
                self.cache[path] = []
        lines = self.cache[path]
        return lines[line - 1].strip() if 0 < line <= len(lines) else ""


# ---------------------------------------------------------------- printing


def section(title):
    print(f"\n== {title} ==", flush=True)


def print_misses(rows, sources):
    for row in rows:
        for r in row.misses:
            print(f"  miss  {r.path}:{r.line}:{r.code}  {sources.line(r.path, r.line)}")
        for r in row.allowed:
            print(f"  allowed miss  {r.path}:{r.line}:{r.code} ({ALLOWED_MISSES[(r.code, r.path, r.line)]})"
                  f"  {sources.line(r.path, r.line)}")


def check_allowed_misses(rows, checks, packages):
    """Every ALLOWED_MISSES entry in one of the `packages` Bandit read (top-level
    directories) must name a Bandit finding that is still missed; entries of
    other packages do not apply."""
    missed = {(r.code, r.path, r.line) for row in rows if row.tool == "bandit" for r in row.allowed}
    here = {entry for entry in ALLOWED_MISSES if Path(entry[1]).parts[0] in packages}
    stale = sorted(here - missed)
    for code, path, line in stale:
        print(f"  stale allowed miss {path}:{line}:{code} (found, or no longer reported by Bandit)")
    checks.add("every allowed miss is still a Bandit finding remediate misses", not stale,
               f"{len(stale)} stale entr{'y' if len(stale) == 1 else 'ies'}")


def print_extras(label, found, sources):
    counts = Counter(f["rule"] for f in found)
    if not found:
        print(f"  no extra findings beyond {label}")
        return
    print(f"  extra (reported by remediate, not by {label}; informational): "
          + ", ".join(f"{rule} {n}" for rule, n in sorted(counts.items())))
    for f in sorted(found, key=lambda f: (f["rule"], f["path"], f["line"])):
        print(f"  extra {f['path']}:{f['line']}:{f['rule']}  {sources.line(f['path'], f['line'])}")


def print_table(rows):
    head = ("tool", "code", "rule", "reference", "matched", "recall", "misses", "allowed")
    body = [
        (r.tool, r.code, r.rule, str(len(r.refs)), str(r.matched),
         "-" if r.recall is None else f"{r.recall:.3f}", str(len(r.misses)), str(len(r.allowed)))
        for r in rows
    ]
    widths = [max(len(x) for x in col) for col in zip(head, *body)]
    for i, line in enumerate([head, *body]):
        print("  " + "  ".join(x.ljust(w) if j < 3 else x.rjust(w)
                               for j, (x, w) in enumerate(zip(line, widths))))
        if i == 0:
            print("  " + "  ".join("-" * w for w in widths))


def per_package(refs):
    """Counts per top-level directory (package) and code."""
    table = defaultdict(Counter)
    for r in refs:
        table[r.path.split(os.sep, 1)[0]][r.code] += 1
    return table


def print_package_counts(label, refs, codes):
    table = per_package(refs)
    width = max([len("package"), *map(len, table)])
    print(f"  {label} findings per package:")
    print(f"    {'package':<{width}}" + "".join(f"{c:>6}" for c in codes))
    for pkg in sorted(table):
        print(f"    {pkg:<{width}}" + "".join(f"{table[pkg][c]:>6}" for c in codes))
    print(f"    {'total':<{width}}" + "".join(f"{sum(t[c] for t in table.values()):>6}" for c in codes))


def recall_rows_json(rows):
    return [
        {"tool": r.tool, "code": r.code, "rule": r.rule, "reference": len(r.refs),
         "matched": r.matched, "recall": r.recall,
         "misses": [f"{m.path}:{m.line}" for m in r.misses],
         "allowed": [f"{m.path}:{m.line}" for m in r.allowed]}
        for r in rows
    ]


# ---------------------------------------------------------------- running tools


class Runner:
    """Runs the tools, keeping every output in the results directory."""

    def __init__(self, binary, venv, out, checks):
        self.bin = str(Path(binary).resolve())
        self.bandit = str(Path(venv) / "bin" / "bandit")
        self.ruff = str(Path(venv) / "bin" / "ruff")
        self.out = Path(out)
        self.checks = checks

    def run(self, name, cmd, cwd, ok_codes=(0, 1), echo_stderr=False):
        """Runs cmd, saves stdout to <name> and stderr to <name>.stderr; returns
        (exit code, stdout) and records a failed check on an unexpected exit code.
        echo_stderr prints the start of stderr (remediate's errors and fix summary)."""
        proc = subprocess.run(cmd, check=False, cwd=cwd, stdin=subprocess.DEVNULL,
                              capture_output=True)
        (self.out / name).write_bytes(proc.stdout)
        if proc.stderr:
            (self.out / f"{name}.stderr").write_bytes(proc.stderr)
            if echo_stderr:
                lines = proc.stderr.decode("utf-8", "replace").splitlines()
                for line in lines[:MAX_STDERR_LINES]:
                    print(f"  {Path(cmd[0]).name} {cmd[1]}: {line}")
                if len(lines) > MAX_STDERR_LINES:
                    print(f"  ... {len(lines) - MAX_STDERR_LINES} more lines in {self.out / name}.stderr")
        if proc.returncode not in ok_codes:
            tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-5:]
            self.checks.add(f"{Path(cmd[0]).name} {cmd[1]}: exit status", False,
                            f"exit {proc.returncode}: " + " | ".join(tail))
        return proc.returncode, proc.stdout

    def json(self, name, cmd, cwd, ok_codes=(0, 1), echo_stderr=False):
        code, stdout = self.run(name, cmd, cwd, ok_codes, echo_stderr)
        try:
            return json.loads(stdout)
        except ValueError as e:
            err = self.out / f"{name}.stderr"
            shown = echo_stderr or not err.exists()
            tail = "" if shown else err.read_text(errors="replace").strip()[-2000:]
            raise SystemExit(f"error: `{Path(cmd[0]).name} {cmd[1]}` printed no JSON (exit {code}): {e}\n"
                             f"command: {' '.join(cmd)}\n{tail}")

    def bandit_json(self, name, pkgs, cwd):
        """Bandit on each package in parallel (it is single-threaded), merged."""
        tests = ",".join(BANDIT_RULES)

        def one(pkg):
            cmd = [self.bandit, "-q", "-f", "json", "-t", tests, "-r", pkg]
            proc = subprocess.run(cmd, check=False, cwd=cwd, stdin=subprocess.DEVNULL,
                                  capture_output=True)
            try:
                return pkg, proc.returncode, json.loads(proc.stdout), proc.stderr
            except ValueError:
                return pkg, proc.returncode, None, proc.stderr

        merged = {"results": [], "errors": []}
        with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as pool:
            for pkg, code, report, err in pool.map(one, pkgs):
                if report is None or code not in (0, 1):
                    raise SystemExit(f"error: bandit failed on {pkg} (exit {code}): "
                                     + err.decode("utf-8", "replace")[-2000:])
                merged["results"] += report["results"]
                merged["errors"] += report["errors"]
        (self.out / name).write_text(json.dumps(merged, indent=1))
        if merged["errors"]:
            self.checks.add("bandit reads every file", False,
                            f"{len(merged['errors'])} error(s), see {self.out / name}")
        return merged

    def ruff_json(self, name, pkgs, cwd):
        cmd = [self.ruff, "check", "--no-cache", "--isolated",
               "--select", ",".join(RUFF_RULES), "--output-format", "json", *pkgs]
        return self.json(name, cmd, cwd)

    def check_json(self, name, pins, pkgs, cwd, extra=()):
        cmd = [self.bin, "check", "--format", "json", "--no-cache", "--revisions", str(pins), *extra, *pkgs]
        return self.json(name, cmd, cwd, echo_stderr=not extra)


def prefilter_step(runner, pins, pkgs, root, checks):
    """The prefilter may only skip work: the findings with it and without it
    (every file parsed, every rule run) must be identical, also with
    --strict-except, which widens the except rules."""
    for label, extra in (("default", ()), ("--strict-except", ("--strict-except",))):
        fast = runner.check_json(f"prefilter-on{extra and '-strict' or ''}.json", pins, pkgs, root, extra)
        slow = runner.check_json(f"prefilter-off{extra and '-strict' or ''}.json", pins, pkgs, root,
                                 (*extra, "--no-prefilter"))
        same = fast["findings"] == slow["findings"]
        checks.add(f"prefilter is exact ({label})", same,
                   f"{len(fast['findings'])} findings with it, {len(slow['findings'])} without")


# ---------------------------------------------------------------- the fix step


def snapshot(root):
    """sha256 of every file under root, by relative path."""
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = os.path.join(dirpath, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, root)] = hashlib.sha256(fh.read()).hexdigest()
    return out


def changed_files(before, after):
    return sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


def compile_error(path):
    """None if CPython compiles the file, else the error text. Bytes, so that a
    PEP 263 coding line is honoured; compile(), unlike ast.parse, also rejects
    repeated keyword arguments."""
    src = Path(path).read_bytes()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escape sequences etc. in the corpus
        try:
            compile(src, str(path), "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as e:
            where = f"line {e.lineno}: " if getattr(e, "lineno", None) else ""
            text = (getattr(e, "text", None) or "").strip()
            return f"{where}{type(e).__name__}: {getattr(e, 'msg', e)}" + (f"  | {text}" if text else "")
    return None


def write_diff(orig_root, new_root, paths, dest):
    with open(dest, "w", encoding="utf-8") as out:
        for p in paths:
            a = _lines(Path(orig_root) / p)
            b = _lines(Path(new_root) / p)
            out.writelines(difflib.unified_diff(a, b, f"a/{p}", f"b/{p}"))


def _lines(path):
    try:
        return path.read_bytes().decode("utf-8", "replace").splitlines(keepends=True)
    except FileNotFoundError:
        return []


def fix_step(runner, pins, pkgs, orig_root, copy_root, checks, extra=(), name="fix"):
    """Runs fix (with `extra` arguments) twice on a copy; returns the files the
    first fix changed. `name` labels the outputs and the checks."""
    for pkg in pkgs:
        shutil.copytree(Path(orig_root) / pkg, Path(copy_root) / pkg, symlinks=True)
    before = snapshot(copy_root)
    cmd = [runner.bin, "fix", "--unsafe-fixes", "--revisions", str(pins), *extra, *pkgs]
    stem = name.replace(" --target-version ", "-")

    runner.run(f"{stem}-1.out", cmd, copy_root, echo_stderr=True)
    after1 = snapshot(copy_root)
    changed = changed_files(before, after1)
    write_diff(orig_root, copy_root, changed, runner.out / f"{stem}.diff")
    added = sorted(after1.keys() - before.keys())
    removed = sorted(before.keys() - after1.keys())
    not_py = [p for p in changed if not p.endswith(".py") and p not in added and p not in removed]
    print(f"  first {name} changed {len(changed)} of {len(before)} files "
          f"(diff: {runner.out / f'{stem}.diff'})")
    for p in added:
        print(f"  added    {p}")
    for p in removed:
        print(f"  removed  {p}")
    for p in not_py:
        print(f"  changed  {p}  (not a .py file)")
    checks.add(f"{name}: file set unchanged, only .py files changed",
               not (added or removed or not_py),
               f"{len(added)} added, {len(removed)} removed, {len(not_py)} non-.py changed")

    broken = []
    for p in changed:
        if p.endswith(".py") and p in after1:
            err = compile_error(Path(copy_root) / p)
            if err:
                broken.append(p)
                print(f"  broken   {p}: {err}")
    checks.add(f"{name}: every changed file compiles", not broken,
               f"{len(broken)} of {len(changed)} changed files do not compile")

    runner.run(f"{stem}-2.out", cmd, copy_root, echo_stderr=True)
    after2 = snapshot(copy_root)
    unstable = changed_files(after1, after2)
    for p in unstable:
        print(f"  unstable {p}  (changed again by a second fix)")
    checks.add(f"{name}: a second fix changes nothing", not unstable,
               f"{len(unstable)} file(s) changed again")
    return changed


def residual_step(runner, pins, pkgs, copy_root, checks):
    """Bandit findings left after the fix must all be reported by remediate.
    Returns all of Bandit's findings on the fixed copy."""
    norm = PathNormaliser(copy_root)
    remaining = bandit_refs(runner.bandit_json("bandit-fixed.json", pkgs, copy_root), norm)
    left = [r for r in remaining if r.code in RESIDUAL_CODES
            and (r.code, r.path, r.line) not in ALLOWED_MISSES]
    found = spans(remediate_findings(runner.check_json("remediate-fixed.json", pins, pkgs, copy_root), norm))
    unreported = [r for r in sorted(left, key=_ref_order)
                  if not covers(found, BANDIT_RULES[r.code], r.path, r.line, r.code in BANDIT_KEYWORD_LINE)]
    sources = Sources(copy_root)
    for r in unreported:
        print(f"  unreported residual {r.path}:{r.line}:{r.code}  {sources.line(r.path, r.line)}")
    checks.add("fix: every residual Bandit finding is reported", not unreported,
               f"{len(unreported)} of {len(left)} residual(s) unreported")
    return remaining


def newer_target_step(runner, pins, pkgs, orig_root, copy_root, checks):
    """fix --unsafe-fixes --target-version py312 on a second copy: the same checks
    as the first pass, and every RESIDUAL_CODES finding Bandit reports in a changed
    file is reported by remediate (Bandit runs on the changed files only)."""
    name = "fix " + " ".join(NEWER_TARGET)
    changed = [p for p in fix_step(runner, pins, pkgs, orig_root, copy_root, checks, NEWER_TARGET, name)
               if p.endswith(".py")]
    if not changed:
        return
    norm = PathNormaliser(copy_root)
    bandit = runner.json("bandit-py312.json",
                         [runner.bandit, "-q", "-f", "json", "-t", ",".join(RESIDUAL_CODES), *changed], copy_root)
    left = [r for r in bandit_refs(bandit, norm) if r.code in RESIDUAL_CODES
            and (r.code, r.path, r.line) not in ALLOWED_MISSES]
    found = remediate_findings(runner.check_json("remediate-py312.json", pins, changed, copy_root, NEWER_TARGET), norm)
    reported = spans(found)
    unreported = [r for r in sorted(left, key=_ref_order)
                  if not covers(reported, BANDIT_RULES[r.code], r.path, r.line, r.code in BANDIT_KEYWORD_LINE)]
    sources = Sources(copy_root)
    for r in unreported:
        print(f"  unreported residual {r.path}:{r.line}:{r.code}  {sources.line(r.path, r.line)}")
    checks.add(f"{name}: every residual is reported", not unreported,
               f"{len(unreported)} of {len(left)} residual(s) in changed files unreported")


# ---------------------------------------------------------------- commands


def cmd_run(args):
    checks = Checks()
    out = Path(os.environ.get("CROSSCHECK_OUT") or tempfile.mkdtemp(prefix="crosscheck-"))
    out.mkdir(parents=True, exist_ok=True)
    pkgdirs = [Path(p).resolve() for p in args.pkgdirs]
    roots = {p.parent for p in pkgdirs}
    if len(roots) != 1:
        raise SystemExit("error: all package directories must share one parent (the corpus root)")
    root = roots.pop()
    pkgs = [p.name for p in pkgdirs]
    norm = PathNormaliser(root)
    runner = Runner(args.bin, args.venv, out, checks)
    print(f"corpus:  {root} ({', '.join(pkgs)})")
    print(f"binary:  {runner.bin}")
    print(f"results: {out}")

    with tempfile.TemporaryDirectory(prefix="crosscheck-work-") as work:
        pins = Path(work) / "model_revisions.yaml"
        code, yaml = runner.run("models.yaml", [runner.bin, "models", "--format", "yaml", *pkgs],
                                root, ok_codes=range(256))
        if code == 0 and yaml.strip():
            pins.write_bytes(yaml)
            print("pins:    from `remediate models --format yaml`")
        else:
            pins.write_text(DEFAULT_PINS)
            why = f"exited {code}" if code else "printed nothing"
            print(f"pins:    default entry only (`remediate models` {why})")
        shutil.copy(pins, out / "model_revisions.yaml")

        section("a. remediate check vs Bandit")
        bandit = bandit_refs(runner.bandit_json("bandit.json", pkgs, root), norm)
        found = remediate_findings(runner.check_json("remediate.json", pins, pkgs, root), norm)
        sources = Sources(root)
        print_package_counts("Bandit", bandit, list(BANDIT_RULES))
        bandit_rows = compare("bandit", BANDIT_RULES, bandit, found)
        print_misses(bandit_rows, sources)
        check_allowed_misses(bandit_rows, checks, set(pkgs))
        print_extras("Bandit", extras(found, bandit, "bandit"), sources)

        section("b. remediate fix --unsafe-fixes on a copy")
        copy_root = Path(work) / "corpus"
        fix_step(runner, pins, pkgs, root, copy_root, checks)
        bandit_after = residual_step(runner, pins, pkgs, copy_root, checks)
        before, after = Counter(r.code for r in bandit), Counter(r.code for r in bandit_after)
        print("  Bandit findings before -> after the fix: "
              + ", ".join(f"{c} {before[c]} -> {after[c]}" for c in BANDIT_RULES))
        newer_target_step(runner, pins, pkgs, root, Path(work) / "corpus-py312", checks)

        section("c. remediate check vs ruff")
        ruff = ruff_refs(runner.ruff_json("ruff.json", pkgs, root), norm)
        print_package_counts("ruff", ruff, list(RUFF_RULES))
        ruff_rows = compare("ruff", RUFF_RULES, ruff, found)
        print_misses(ruff_rows, sources)
        print_extras("ruff", extras(found, ruff, "ruff"), sources)

        section("d. the prefilter changes no finding")
        prefilter_step(runner, pins, pkgs, root, checks)

    return finish(bandit_rows + ruff_rows, checks, out)


def cmd_compare(args):
    checks = Checks()
    norm = PathNormaliser(args.root)
    cwd = args.cwd or args.root
    sources = Sources(args.root)
    found = remediate_findings(json.loads(Path(args.remediate).read_text()), norm, cwd)
    rows = []
    for label, path, loader, rules, key in (
        ("Bandit", args.bandit, bandit_refs, BANDIT_RULES, "bandit"),
        ("ruff", args.ruff, ruff_refs, RUFF_RULES, "ruff"),
    ):
        if not path:
            continue
        section(f"remediate check vs {label}")
        report = json.loads(Path(path).read_text())
        refs = loader(report, norm, cwd)
        these = compare(label.lower(), rules, refs, found)
        print_misses(these, sources)
        if label == "Bandit":
            # The files Bandit read are the keys of its metrics (less `_totals`).
            read = [norm(f, cwd) for f in report.get("metrics", {}) if f != "_totals"] or [r.path for r in refs]
            check_allowed_misses(these, checks, {Path(f).parts[0] for f in read})
        print_extras(label, extras(found, refs, key), sources)
        rows += these
    return finish(rows, checks, None)


def finish(rows, checks, out):
    for r in rows:
        if r.recall is not None:
            counted = len(r.refs) - len(r.allowed)
            checks.add(f"recall {r.tool} {r.code} >= {MIN_RECALL}", r.ok,
                       f"{r.matched}/{counted} = {r.recall:.3f}"
                       + (f", {len(r.allowed)} allowed" if r.allowed else ""))
    section("summary")
    print_table(rows)
    print()
    for name, ok, detail in checks.items:
        print(f"  {'PASS' if ok else 'FAIL'}  {name}" + (f"  ({detail})" if detail else ""))
    if out is not None:
        summary = {"recall": recall_rows_json(rows),
                   "checks": [{"name": n, "ok": ok, "detail": d} for n, ok, d in checks.items]}
        (out / "summary.json").write_text(json.dumps(summary, indent=1))
        print(f"\n  outputs: {out}")
    failed = len(checks.failed)
    print(f"\ncrosscheck: {len(checks.items) - failed} passed, {failed} failed")
    if failed and os.environ.get("CROSSCHECK_ALLOW_FAIL") == "1":
        print("CROSSCHECK_ALLOW_FAIL=1: failures reported, exit status 0")
        return 0
    return 1 if failed else 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run all three steps on corpus package directories")
    run.add_argument("--bin", required=True, help="the remediate binary")
    run.add_argument("--venv", required=True, help="venv with bandit and ruff")
    run.add_argument("pkgdirs", nargs="+", help="package directories of one corpus root")
    run.set_defaults(func=cmd_run)
    cmp_ = sub.add_parser("compare", help="recall only, from saved JSON outputs")
    cmp_.add_argument("--root", required=True, help="corpus root that paths are relative to")
    cmp_.add_argument("--cwd", help="directory the tools ran in (default: --root)")
    cmp_.add_argument("--remediate", required=True, help="`remediate check --format json` output")
    cmp_.add_argument("--bandit", help="`bandit -f json` output")
    cmp_.add_argument("--ruff", help="`ruff check --output-format json` output")
    cmp_.set_defaults(func=cmd_compare)
    args = p.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
