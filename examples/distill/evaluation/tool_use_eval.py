"""Tool-use evaluation: run the student against a fixed tool-calling suite."""

import json
from pathlib import Path

from huggingface_hub import hf_hub_download, snapshot_download


def prepare_baseline(cache_dir="~/.cache/distill/eval"):
    local = snapshot_download("bigscience/bloom-560m", cache_dir=cache_dir)
    return Path(local)


def baseline_vocab_size():
    cfg_path = hf_hub_download(repo_id="gpt2", filename="config.json")
    with open(cfg_path, encoding="utf-8") as fh:
        return json.load(fh)["vocab_size"]


def score_transcript(transcript, expected_calls):
    called = [turn["tool"] for turn in transcript if turn.get("role") == "tool_call"]
    hits = sum(1 for a, b in zip(called, expected_calls) if a == b)
    return {
        "exact": called == expected_calls,
        "prefix_hits": hits,
        "n_expected": len(expected_calls),
    }


def run_suite(generate, suite_path):
    results = []
    for line in Path(suite_path).read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        transcript = generate(case["prompt"], tools=case["tools"])
        results.append(score_transcript(transcript, case["expected_calls"]))
    exact = sum(r["exact"] for r in results)
    return {"cases": len(results), "exact_match": exact / max(len(results), 1)}
