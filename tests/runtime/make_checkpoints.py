"""Writes checkpoints of realistic payloads with the real torch, for tests/checkpoints.rs.

    python make_checkpoints.py OUT_DIR TAG

TAG (e.g. np1, np2) ends every file name, so that runs under numpy 1.x and 2.x
write side by side. train_config.py (next to this file) must be importable: the
test puts this directory on PYTHONPATH. Prints a JSON manifest on stdout:
{"files": [{"path": ..., "case": ..., "marker": path or null}]}, where marker is
the file a malicious payload creates when it runs.
"""

import argparse
import collections
import datetime
import decimal
import fractions
import functools
import io
import json
import os
import pathlib
import pickle
import random
import shlex
import sys
import tarfile
import types
import uuid
import warnings

import numpy as np
import torch
from torch import nn

from train_config import AttributeDict, Precision, TrainConfig

torch.manual_seed(0)
np.random.seed(0)
random.seed(0)


def model_and_optimizer():
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model(torch.randn(2, 8)).sum().backward()
    optimizer.step()
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.5)
    return model, optimizer, scheduler


def rng_states():
    return {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}


class Payload:
    """Runs `command` through os.system when unpickled: the classic attack."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def touch_command(marker):
    return f"touch {shlex.quote(str(marker))}"


def legacy_tar(path, obj):
    """The pre-1.0 tar format: `pickle`, `storages` and `tensors` members, no tensors."""
    members = {
        "sys_info": pickle.dumps({"protocol_version": 1001, "little_endian": True}, protocol=2),
        "pickle": pickle.dumps(obj, protocol=2),
        "storages": pickle.dumps(0, protocol=2) + pickle.dumps([], protocol=2),
        "tensors": pickle.dumps(0, protocol=2),
    }
    with tarfile.open(path, "w:", format=tarfile.PAX_FORMAT) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def write_safetensors(path, arrays):
    """The safetensors layout, written by hand: a JSON header, then the raw little-endian data."""
    header, data = {"__metadata__": {"format": "pt"}}, b""
    for name, array in arrays.items():
        raw = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header).encode()
    path.write_bytes(len(text).to_bytes(8, "little") + text + data)


def main():
    warnings.simplefilter("ignore", FutureWarning)  # torch.jit.script's deprecation notice
    out, tag = pathlib.Path(sys.argv[1]), sys.argv[2]
    out.mkdir(parents=True, exist_ok=True)
    files = []

    def save(case, obj, suffix=".pt", marker=None, **kwargs):
        path = out / f"{case}-{tag}{suffix}"
        torch.save(obj, path, **kwargs)
        files.append({"path": str(path), "case": case, "marker": marker})

    model, optimizer, scheduler = model_and_optimizer()
    state = model.state_dict()

    save("state_dict", state)
    save("parameters", {"params": list(model.parameters()), "buffers": {"step": torch.tensor(3)}})
    save(
        "training",
        {
            "model_state_dict": state,
            "optimizer_state_dict": optimizer.state_dict(),
            "scheduler_state_dict": scheduler.state_dict(),
            "config": {"lr": 1e-3, "batch_size": 32, "betas": (0.9, 0.999), "dtype": torch.bfloat16},
            "meta": {"rng_states": rng_states()},
            "epoch": 3,
        },
    )
    save("training_no_numpy", {"model": state, "rng": {"python": random.getstate(), "torch": torch.get_rng_state()}})
    save("namespace", {"args": argparse.Namespace(lr=0.1, epochs=10, name="run-1"), "model": state})
    save("dataclass", {"config": TrainConfig(), "model": state})
    save(
        "numpy_scalars",
        {"model": state, "best_acc": np.float64(0.93), "step": np.int64(1200), "mask": np.ones(3, dtype=bool)},
    )
    save("numpy_array", {"embedding": np.arange(12, dtype=np.float32).reshape(3, 4)})
    save("path", {"model": state, "output_dir": pathlib.Path("/runs/exp-1"), "saved_at": datetime.datetime(2024, 5, 1)})
    save(
        "builtins",
        {"tags": {"a", "b"}, "frozen": frozenset({1, 2}), "empty": b"", "blob": b"\x00\xff", "z": 1 + 2j, "r": range(3)},
    )
    save(
        "stdlib_types",
        {
            "ns": types.SimpleNamespace(lr=0.1),
            "budget": decimal.Decimal("1.50"),
            "run_id": uuid.UUID(int=7),
            "ratio": fractions.Fraction(1, 3),
            "elapsed": datetime.timedelta(hours=2),
            "pick": functools.partial(max, 0),
        },
    )
    save("defaultdict", {"counts": collections.defaultdict(int, {"a": 1}), "model": state})
    save("deque", {"recent_losses": collections.deque([0.5, 0.4], maxlen=10)})
    save("numpy_generator", {"rng": np.random.default_rng(0)})
    save("counter", {"counts": collections.Counter("abca"), "order": collections.OrderedDict(a=1)})
    lightning = {
        "epoch": 4,
        "global_step": 1000,
        "pytorch-lightning_version": "2.4.0",
        "state_dict": {f"model.{k}": v for k, v in state.items()},
        "loops": {"fit_loop": {"state_dict": {}, "epoch_progress": {"total": {"ready": 5, "completed": 4}}}},
        "callbacks": {
            "ModelCheckpoint{'monitor': 'val_loss', 'mode': 'min'}": {
                "monitor": "val_loss",
                "best_model_score": torch.tensor(0.25),
                "best_model_path": "/ckpts/epoch=3.ckpt",
                "best_k_models": {"/ckpts/epoch=3.ckpt": torch.tensor(0.25)},
                "kth_value": torch.tensor(0.25),
            },
            "EarlyStopping{'monitor': 'val_loss', 'mode': 'min'}": {"wait_count": 0, "best_score": torch.tensor(0.25)},
        },
        "optimizer_states": [optimizer.state_dict()],
        "lr_schedulers": [scheduler.state_dict()],
        "hparams_name": "kwargs",
        "hyper_parameters": {"lr": 1e-3, "hidden": 16},
    }
    save("lightning", lightning, suffix=".ckpt")
    save("lightning_attributedict", {**lightning, "hyper_parameters": AttributeDict(lr=1e-3)}, suffix=".ckpt")
    save("lightning_precision", {**lightning, "hyper_parameters": {"precision": Precision.BF16}}, suffix=".ckpt")
    save("whole_model", model)
    save("legacy", state, _use_new_zipfile_serialization=False)
    save("legacy_numpy", {"model": state, "rng": np.random.get_state()}, _use_new_zipfile_serialization=False)
    save("protocol4", state, pickle_protocol=4)

    scripted = torch.jit.script(model)
    path = out / f"torchscript-{tag}.pt"
    torch.jit.save(scripted, path)
    files.append({"path": str(path), "case": "torchscript", "marker": None})

    whole = (out / f"state_dict-{tag}.pt").read_bytes()
    path = out / f"truncated-{tag}.pt"
    path.write_bytes(whole[: len(whole) // 2])
    files.append({"path": str(path), "case": "truncated", "marker": None})

    path = out / f"weights-{tag}.safetensors"
    write_safetensors(path, {k: v.detach().numpy() for k, v in state.items()})
    files.append({"path": str(path), "case": "safetensors", "marker": None})

    path = out / f"legacy_tar-{tag}.tar"
    legacy_tar(path, {"epoch": 1, "lr": 0.1})
    files.append({"path": str(path), "case": "legacy_tar", "marker": None})

    path = out / f"plain-{tag}.pkl"
    path.write_bytes(pickle.dumps({"vocab": ["a", "b"], "sizes": (1, 2)}))
    files.append({"path": str(path), "case": "plain_pickle", "marker": None})

    for case, suffix in [("malicious", ".pkl"), ("malicious_protocol0", ".pkl")]:
        marker = out / f"RAN-{case}-{tag}"
        path = out / f"{case}-{tag}{suffix}"
        protocol = 0 if case.endswith("protocol0") else pickle.DEFAULT_PROTOCOL
        path.write_bytes(pickle.dumps({"model": {"w": [1.0]}, "x": Payload(touch_command(marker))}, protocol=protocol))
        files.append({"path": str(path), "case": case, "marker": str(marker)})
    for case, kwargs in [("malicious_torch", {}), ("malicious_legacy", {"_use_new_zipfile_serialization": False})]:
        marker = out / f"RAN-{case}-{tag}"
        obj = {"model": state, "rng": np.random.get_state(), "hook": Payload(touch_command(marker))}
        save(case, obj, marker=str(marker), **kwargs)

    json.dump({"files": files}, sys.stdout)


if __name__ == "__main__":
    main()
