"""Loads checkpoints with the real torch, as tests/checkpoints.rs's judge.

    python judge_checkpoints.py REQUEST.json

REQUEST is {"files": [{"path": ..., "attempts": {NAME: PYTHON or null}}], "unsafe_control": [paths]}.
Each attempt loads the file with `torch.load(path, weights_only=True)`: bare when
its PYTHON is null, else inside the printed Python (its imports, then its `with`
line), whose imports run with warnings turned into errors. Then each path in
"unsafe_control" is loaded with `weights_only=False`: the control that proves a
malicious payload is live. Prints JSON on stdout:
{"numpy": version, "results": [{"path", "attempts": {NAME: outcome}}], "control": [{"path", "outcome"}]},
an outcome being "ok" or the error's type and message.
"""

import json
import sys
import warnings


def outcome(load):
    try:
        load()
        return "ok"
    except BaseException as e:  # the judge reports every failure, whatever its type
        return f"{type(e).__name__}: {e}"


def load_with(path, python):
    """Runs the printed Python, then `torch.load` in the `with` block it opens."""
    import torch

    if python is None:
        return torch.load(path, weights_only=True)
    *imports, with_line = python.splitlines()
    namespace = {"path": path}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exec("\n".join(imports), namespace)
    exec(f"{with_line}\n    result = torch.load(path, weights_only=True)\n", namespace)


def main():
    import numpy
    import torch

    warnings.simplefilter("ignore")
    with open(sys.argv[1]) as f:
        request = json.load(f)
    results = []
    for item in request["files"]:
        path = item["path"]
        attempts = {name: outcome(lambda: load_with(path, python)) for name, python in item["attempts"].items()}
        results.append({"path": path, "attempts": attempts})
    control = []
    for path in request.get("unsafe_control", []):
        control.append({"path": path, "outcome": outcome(lambda: torch.load(path, weights_only=False))})
    json.dump({"numpy": numpy.__version__, "results": results, "control": control}, sys.stdout)


if __name__ == "__main__":
    main()
