#!/usr/bin/env python3
"""Benchmark `remediate check` against ruff and Bandit, in one run, and check the goals.

CPU time (user + system, from the kernel's accounting of each child) is
compared rather than wall time: the machine is shared and noisy, and CPU time
is what a busy CI runner pays. The tools alternate (remediate, ruff,
remediate, ruff, ...) after a warm-up, and the ratio reported is the median of
the per-pair ratios. Peak RSS is each child's maximum resident set.

Corpora: the dev corpus (several ML packages) and transformers (the perf
corpus). Then inputs that were quadratic or worse, generated into a temporary
directory, each timed alone.

usage: bench.py --remediate BIN --ruff BIN --bandit BIN --dev DIR... --perf DIR
                [--pairs N] [--quick] [--strict]
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

RUFF_CODES = "S113,S110,S112,E722"
BANDIT_TESTS = "B614,B615,B113,B110,B112"

# Goals (issue 12): CPU-time ratio against ruff, peak RSS, and per-case limits.
GOAL_RATIO = {"dev": 1.0, "perf": 0.6}
GOAL_RSS_MB = 100
CASE_SECONDS = 2.0
CASE_RSS_MB = 200


class Run:
    """One child's CPU seconds, wall seconds, peak RSS (MiB) and stderr."""

    def __init__(self, cpu, wall, rss, stderr):
        self.cpu, self.wall, self.rss, self.stderr = cpu, wall, rss, stderr


def run(cmd, env=None, ok=(0, 1)):
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in ok:
        sys.exit(f"{' '.join(cmd)} exited {proc.returncode}: {stderr.decode(errors='replace')[-2000:]}")
    return Run(usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024, stderr.decode(errors="replace"))


def remediate_check(args, paths, jobs=None):
    cmd = [args.remediate, "check", "--format", "json", "--no-cache", "--exit-zero"]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    return cmd + list(paths)


def ruff_check(args, paths):
    return [args.ruff, "check", "--no-cache", "--isolated", "--select", RUFF_CODES,
            "--output-format", "json", "--exit-zero", *paths]


def alternate(args, paths, pairs, jobs=None):
    """Warm up, then `pairs` alternating runs of remediate and ruff."""
    run(remediate_check(args, paths, jobs))
    run(ruff_check(args, paths))
    ours, theirs = [], []
    for _ in range(pairs):
        ours.append(run(remediate_check(args, paths, jobs)))
        theirs.append(run(ruff_check(args, paths)))
    return ours, theirs


def python_files(paths):
    return [os.path.join(d, f) for p in paths for d, _, fs in os.walk(p) for f in fs if f.endswith(".py")]


def describe(paths):
    files = python_files(paths)
    size = sum(os.path.getsize(f) for f in files)
    return f"{len(files)} files, {size / 1e6:.1f} MB"


def timings(args, paths):
    """The phase table `REMEDIATE_TIMINGS=1` prints, and the index's share of the CPU time."""
    env = dict(os.environ, REMEDIATE_TIMINGS="1")
    result = run(remediate_check(args, paths, 1), env=env)
    table = result.stderr[result.stderr.find("CPU time"):]
    seconds = {}
    for line in table.splitlines():
        m = re.match(r"\s*(.+?)\s+([0-9.]+) s$", line)
        if m:
            seconds[m.group(1)] = float(m.group(2))
    index = sum(v for k, v in seconds.items() if k.startswith(("index facts", "building the index")))
    return table, index, result.cpu


class Goals:
    def __init__(self):
        self.failed = []

    def check(self, name, value, limit, unit):
        ok = value <= limit
        if not ok:
            self.failed.append(name)
        print(f"  {'PASS' if ok else 'FAIL'}  {name}: {value:.2f}{unit} (goal <= {limit}{unit})")


def bench_corpus(args, name, paths, goals):
    print(f"\n== {name} corpus: {describe(paths)}")
    results = {}
    for jobs in (None, 1):
        ours, theirs = alternate(args, paths, args.pairs, jobs)
        ratio = statistics.median(o.cpu / t.cpu for o, t in zip(ours, theirs))
        label = "all CPUs" if jobs is None else "--jobs 1"
        print(f"  {label:>8}: remediate CPU median {statistics.median(o.cpu for o in ours):.3f} s "
              f"(wall {statistics.median(o.wall for o in ours):.3f} s), ruff CPU median "
              f"{statistics.median(t.cpu for t in theirs):.3f} s; median of {args.pairs} per-pair CPU ratios "
              f"{ratio:.2f} (pairs: {', '.join(f'{o.cpu / t.cpu:.2f}' for o, t in zip(ours, theirs))})")
        results[jobs] = (ours, theirs, ratio)
    ours = results[None][0] + results[1][0]
    rss = max(o.rss for o in ours)
    ruff_rss = max(t.rss for t in results[None][1] + results[1][1])
    print(f"  peak RSS: remediate {rss:.0f} MiB, ruff {ruff_rss:.0f} MiB")
    table, index, cpu = timings(args, paths)
    print(f"  index phase (facts, facts-only parses, building the index): {index:.3f} s of "
          f"{cpu:.3f} s CPU ({100 * index / cpu:.0f}%), with --jobs 1")
    if args.verbose:
        print("  " + table.replace("\n", "\n  "))
    if not args.quick:
        bandit = run([args.bandit, "-q", "-f", "json", "-t", BANDIT_TESTS, "-r", *paths])
        print(f"  bandit ({BANDIT_TESTS}), one run: CPU {bandit.cpu:.1f} s, "
              f"{bandit.cpu / statistics.median(o.cpu for o in results[None][0]):.0f}x remediate's")
    goals.check(f"{name}: remediate/ruff CPU ratio", results[None][2], GOAL_RATIO[name], "x")
    goals.check(f"{name}: remediate/ruff CPU ratio, --jobs 1", results[1][2], GOAL_RATIO[name], "x")
    goals.check(f"{name}: peak RSS", rss, GOAL_RSS_MB, " MiB")


def write_cases(root):
    """The inputs that were quadratic or worse: name, files, extra arguments."""
    cases = []

    def case(name, files, extra=()):
        paths = []
        for file_name, text in files.items():
            path = os.path.join(root, name, file_name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
            paths.append(path)
        cases.append((name, [p for p in paths if p.endswith(".py")], list(extra)))

    # 4,000 swallowing handlers in 40,000 lines.
    block = "try:\n    f({i})\nexcept Exception:\n    pass\n" + "".join(f"v{{i}}_{k} = {k}\n" for k in range(6))
    case("4,000 `except Exception: pass` in 40,000 lines",
         {"handlers.py": "".join(block.format(i=i) for i in range(4000))})
    # One line holding 20,000 calls, each a finding with a fix.
    case("20,000 `torch.load(p)` on one line",
         {"loads.py": "import torch\n" + "; ".join(["torch.load(p)"] * 20000) + "\n"})
    # A 10,000-link method chain holding a finding.
    case("10,000-link method chain",
         {"chain.py": "import torch\nb = torch.load(p)" + ".add(p)" * 10000 + "\n"})
    # Revisions files: 185,000 entries (over the 4 MiB cap on configuration
    # files, so refused with an error), and 130,000 (the most that fit).
    for count in (185000, 130000):
        name = f"revisions file with {count:,} entries"
        entries = "".join(f"  a{i}: {{revision: {i:07x}}}\n" for i in range(count))
        case(name, {"model_revisions.yaml": "model_revisions:\n" + entries,
                    "hub.py": "from transformers import AutoModel\nm = AutoModel.from_pretrained(\"a7\")\n"},
             ["--revisions", os.path.join(root, name, "model_revisions.yaml")])
    # 6 MB of dense numeric tables in a module that also holds findings.
    row = lambda i: "    [" + ", ".join(f"{(i * 31 + k) % 997 / 7:.6f}" for k in range(24)) + "],\n"
    rows = "".join(row(i) for i in range(6 * 1024 * 1024 // 300))
    case("6 MB of dense numeric tables",
         {"tables.py": "import torch\nTABLE = [\n" + rows + "]\n\ndef load(p):\n    try:\n        return torch.load(p)\n"
                       "    except Exception:\n        pass\n"})
    return cases


def bench_cases(args, goals):
    print("\n== inputs that were quadratic or worse (check, then diff; each must stay under "
          f"{CASE_SECONDS} s and {CASE_RSS_MB} MiB)")
    with tempfile.TemporaryDirectory() as root:
        for name, paths, extra in write_cases(root):
            size = sum(os.path.getsize(p) for p in paths + extra[1:])
            worst = None
            for command in ("check", "diff"):
                cmd = [args.remediate, command, "--no-cache", "--quiet", *extra, *paths]
                r = run(cmd, ok=(0, 1, 2))
                print(f"  {name} ({size / 1e6:.1f} MB), {command}: CPU {r.cpu:.2f} s, wall {r.wall:.2f} s, "
                      f"peak RSS {r.rss:.0f} MiB")
                worst = r if worst is None else Run(max(worst.cpu, r.cpu), max(worst.wall, r.wall),
                                                    max(worst.rss, r.rss), "")
            goals.check(f"{name}: CPU", worst.cpu, CASE_SECONDS, " s")
            goals.check(f"{name}: peak RSS", worst.rss, CASE_RSS_MB, " MiB")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--remediate", required=True)
    ap.add_argument("--ruff", required=True)
    ap.add_argument("--bandit", required=True)
    ap.add_argument("--dev", nargs="+", required=True, help="the dev corpus's package directories")
    ap.add_argument("--perf", required=True, help="transformers")
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="skip Bandit")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a goal fails")
    ap.add_argument("--verbose", action="store_true", help="print the phase tables")
    args = ap.parse_args()
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}")
    goals = Goals()
    bench_corpus(args, "dev", args.dev, goals)
    bench_corpus(args, "perf", [args.perf], goals)
    bench_cases(args, goals)
    print(f"\n{len(goals.failed)} goal(s) failed" + (": " + "; ".join(goals.failed) if goals.failed else ""))
    if args.strict and goals.failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
