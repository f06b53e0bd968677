#!/usr/bin/env python3
"""Benchmark `remediate check` against ruff and Bandit on the same tree, in one run.

The machine is shared and noisy, so the two tools alternate (remediate, ruff,
remediate, ruff, ...) after a warm-up, and the report gives medians and the
median of per-pair ratios: a burst of load hits both tools of a pair alike.
Peak RSS comes from GNU time (`%M`), one fresh process per tool.

usage: bench.py --remediate BIN --ruff BIN --bandit BIN CORPUS_DIR [--pairs N] [--quick]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

RUFF_CODES = "S113,S110,S112,E722"
BANDIT_TESTS = "B614,B615,B113,B110,B112"


def timed(cmd):
    """Wall seconds of one command; its output is discarded."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.decode()[-2000:]}")
    return wall


def measure_rss(cmd):
    """Peak RSS in MiB of one run, read from GNU time (a fresh process each time)."""
    time_bin = shutil.which("time") or "/usr/bin/time"
    if not os.path.exists(time_bin):
        return float("nan")
    proc = subprocess.run([time_bin, "-f", "%M", *cmd], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    last = proc.stderr.decode().strip().splitlines()[-1]
    return int(last) / 1024


def remediate_check(args, paths, jobs=None):
    cmd = [args.remediate, "check", "--format", "json", "--no-cache", *paths]
    if jobs:
        cmd[2:2] = ["--jobs", str(jobs)]
    return cmd


def ruff_check(args, paths):
    return [args.ruff, "check", "--no-cache", "--isolated", "--select", RUFF_CODES,
            "--output-format", "json", *paths]


def alternate(args, paths, pairs, jobs=None):
    """Warm up, then `pairs` alternating runs; returns remediate and ruff times."""
    ours, theirs = [], []
    timed(remediate_check(args, paths, jobs))
    timed(ruff_check(args, paths))
    for _ in range(pairs):
        ours.append(timed(remediate_check(args, paths, jobs)))
        theirs.append(timed(ruff_check(args, paths)))
    return ours, theirs


def subset(corpus, fraction):
    """The first `fraction` of the corpus's .py files, in a stable order."""
    files = sorted(
        os.path.join(d, f) for d, _, fs in os.walk(corpus) for f in fs if f.endswith(".py")
    )
    return files[: max(1, int(len(files) * fraction))]


def corpus_size(corpus):
    files = [os.path.join(d, f) for d, _, fs in os.walk(corpus) for f in fs if f.endswith(".py")]
    lines = 0
    size = 0
    for f in files:
        with open(f, "rb") as fh:
            data = fh.read()
        size += len(data)
        lines += data.count(b"\n")
    return len(files), lines, size


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--remediate", required=True)
    ap.add_argument("--ruff", required=True)
    ap.add_argument("--bandit", required=True)
    ap.add_argument("--pairs", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="skip Bandit and the scaling runs")
    args = ap.parse_args()
    corpus = os.path.abspath(args.corpus)

    files, lines, size = corpus_size(corpus)
    print(f"corpus: {corpus}\n  {files} files, {lines:,} lines, {size / 1e6:.1f} MB; "
          f"{os.cpu_count()} CPUs\n")

    ours, theirs = alternate(args, [corpus], args.pairs)
    ratios = [o / t for o, t in zip(ours, theirs)]
    rss_ours = measure_rss(remediate_check(args, [corpus]))
    rss_ruff = measure_rss(ruff_check(args, [corpus]))
    print(f"check, all rules, no cache ({args.pairs} alternating pairs after a warm-up):")
    print(f"  remediate  median {statistics.median(ours):.3f} s  (min {min(ours):.3f}, max {max(ours):.3f})"
          f"  peak RSS {rss_ours:.0f} MiB")
    print(f"  ruff       median {statistics.median(theirs):.3f} s  (min {min(theirs):.3f}, max {max(theirs):.3f})"
          f"  peak RSS {rss_ruff:.0f} MiB")
    print(f"  remediate / ruff: median of per-pair ratios {statistics.median(ratios):.2f}x "
          f"(pairs: {', '.join(f'{r:.2f}' for r in ratios)})")

    if not args.quick:
        bandit_cmd = [args.bandit, "-q", "-f", "json", "-t", BANDIT_TESTS, "-r", corpus]
        bandit_s = timed(bandit_cmd)
        print(f"  bandit     {bandit_s:.1f} s (one run) -> remediate is "
              f"{bandit_s / statistics.median(ours):.0f}x faster")

    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "copy")
        shutil.copytree(corpus, copy)
        diff_s = timed([args.remediate, "diff", "--quiet", "--no-cache", copy])
        fix_s = timed([args.remediate, "fix", "--quiet", "--no-cache", copy])
        print(f"\ndiff {diff_s:.3f} s, fix {fix_s:.3f} s (on a copy)")

    if args.quick:
        return
    print("\nscaling (median of 3 alternating pairs each):")
    print(f"  {'threads':>7} {'corpus':>6} {'remediate s':>11} {'ruff s':>7} {'ratio':>6}")
    for jobs in (1, 2):
        for fraction in (0.25, 0.5, 1.0):
            paths = [corpus] if fraction == 1.0 else subset(corpus, fraction)
            o, t = alternate(args, paths, 3, jobs)
            r = statistics.median(a / b for a, b in zip(o, t))
            print(f"  {jobs:>7} {int(fraction * 100):>5}% {statistics.median(o):>11.3f} "
                  f"{statistics.median(t):>7.3f} {r:>6.2f}")


if __name__ == "__main__":
    main()
