"""Extracts a benign and a malicious tar with each given unpacker module.

    python judge_tar.py WORKDIR [--old-release] MODULE.py...

The malicious archive holds `ok.txt` and `../escape.txt`. With --old-release
the interpreter first pretends to be a patch release from before PEP 706:
`tarfile.data_filter` is removed and `extract`/`extractall` raise `TypeError`
on a `filter` argument, as they did there. Prints JSON on stdout:
{"data_filter": bool, "results": {module: {archive: {"outcome", "escaped", "extracted"}}}},
an outcome being "ok" or the exception's type.
"""

import functools
import importlib.util
import io
import json
import os
import shutil
import sys
import tarfile


def make_tar(path, members):
    with tarfile.open(path, "w") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def pretend_old_release():
    del tarfile.data_filter
    for name in ("extract", "extractall"):
        method = getattr(tarfile.TarFile, name)

        @functools.wraps(method)
        def without_filter(self, *args, _method=method, **kwargs):
            if "filter" in kwargs:
                raise TypeError(f"{_method.__name__}() got an unexpected keyword argument 'filter'")
            return _method(self, *args, **kwargs)

        setattr(tarfile.TarFile, name, without_filter)


def load(path):
    spec = importlib.util.spec_from_file_location(os.path.basename(path)[:-3], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def judge(unpack, archive, workdir):
    root = os.path.join(workdir, "run")
    shutil.rmtree(root, ignore_errors=True)
    dest = os.path.join(root, "dest")
    os.makedirs(dest)
    try:
        unpack(archive, dest)
        outcome = "ok"
    except Exception as e:  # the outcome to compare, whatever it is
        outcome = type(e).__name__
    return {
        "outcome": outcome,
        "escaped": os.path.exists(os.path.join(root, "escape.txt")),
        "extracted": sorted(os.listdir(dest)),
    }


def main():
    args = sys.argv[1:]
    workdir = args.pop(0)
    if args and args[0] == "--old-release":
        args.pop(0)
        pretend_old_release()
    archives = {"benign": os.path.join(workdir, "benign.tar"), "malicious": os.path.join(workdir, "malicious.tar")}
    make_tar(archives["benign"], [("ok.txt", b"weights\n"), ("sub/more.txt", b"more\n")])
    make_tar(archives["malicious"], [("ok.txt", b"weights\n"), ("../escape.txt", b"owned\n")])
    results = {}
    for path in args:
        unpack = load(path).unpack
        results[os.path.basename(path)] = {name: judge(unpack, archive, workdir) for name, archive in archives.items()}
    json.dump({"data_filter": hasattr(tarfile, "data_filter"), "results": results}, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
