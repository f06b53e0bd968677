"""Saves and loads the checkpoints training code writes; `remediate fix` rewrites the loads."""
import argparse
import random

import numpy as np
import torch

from config import TrainConfig


def save_weights(model, out):
    torch.save(model.state_dict(), out + "/weights.pt")


def load_weights(out):
    return torch.load(out + "/weights.pt")


def save_checkpoint(model, optimizer, path, epoch: int):
    ckpt = {"model_state_dict": model.state_dict(), "optimizer_state_dict": optimizer.state_dict(), "epoch": epoch}
    ckpt["meta"] = {"rng_states": {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}}
    torch.save(ckpt, path)


def load_checkpoint(path):
    ckpt = torch.load(path, map_location="cpu")
    return ckpt["epoch"]


def save_run(out):
    torch.save({"args": argparse.Namespace(lr=0.1, name="run"), "config": TrainConfig(lr=0.5), "weights": {}}, out + "/run.pt")


def load_run(out):
    run = torch.load(out + "/run.pt")
    return run["config"].lr


def save_scalars(model, out):
    torch.save({"state_dict": model.state_dict(), "best_loss": np.float64(0.25), "step": np.int64(7)}, out + "/scalars.pt")


def load_scalars(out):
    return float(torch.load(out + "/scalars.pt")["best_loss"])


def save_lightning(model, optimizer, out):
    torch.save({"epoch": 1, "global_step": 10, "pytorch-lightning_version": "2.4.0", "state_dict": model.state_dict(), "optimizer_states": [optimizer.state_dict()], "lr_schedulers": [], "callbacks": {}, "hyper_parameters": {"lr": 0.1}}, out + "/lightning.ckpt")


def load_lightning(out):
    return torch.load(out + "/lightning.ckpt", map_location="cpu")["global_step"]
