"""Runs the loaders of tests/runtime/yaml_loaders.py, original and fixed, on
documents with and without Python tags, with the real PyYAML.

    python judge_yaml.py ORIGINAL.py FIXED.py WORKDIR

Prints JSON on stdout: {"pyyaml": version, "results": {"original"|"fixed":
{function: {document: outcome}}}}. An outcome is {"value": repr} or
{"error": exception type}, plus "ran": whether the document's payload (a
`!!python/object/apply:builtins.open` call that creates a marker file) ran.
"""

import importlib.util
import json
import os
import sys

import yaml

FUNCTIONS = ["no_loader", "full_loader", "unsafe_loader", "plain_loader", "full_shortcut", "unsafe_shortcut"]


def documents(marker):
    return {
        "plain": "name: bert\nlayers: 12\ndropout: 0.1\ntags: [nlp, base]\nextra: {lr: 1.0e-4, warmup: true}\n",
        "python_tuple": "shape: !!python/tuple [3, 224, 224]\n",
        "python_apply": f"payload: !!python/object/apply:builtins.open [{json.dumps(marker)}, w]\n",
    }


def load_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(function, text, marker):
    if os.path.exists(marker):
        os.remove(marker)
    try:
        result = {"value": repr(function(text))}
    except Exception as e:  # every failure is an outcome to compare
        result = {"error": type(e).__name__}
    result["ran"] = os.path.exists(marker)
    return result


def main():
    original, fixed, workdir = sys.argv[1:4]
    marker = os.path.join(workdir, "payload-ran")
    docs = documents(marker)
    results = {}
    for label, path in (("original", original), ("fixed", fixed)):
        module = load_module(f"loaders_{label}", path)
        results[label] = {
            name: {doc: run(getattr(module, name), text, marker) for doc, text in docs.items()}
            for name in FUNCTIONS
        }
    json.dump({"pyyaml": yaml.__version__, "results": results}, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
