"""Post-process distilled student shards: average checkpoints, drop corrupt ones."""

import glob
import logging

import torch
from torch import load

log = logging.getLogger(__name__)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


def average_shards(pattern: str):
    paths = sorted(glob.glob(pattern))
    avg, count = None, 0
    for p in paths:
        try:
            state = load(p, map_location=device)
        except:
            continue
        if avg is None:
            avg = {k: v.clone().float() for k, v in state.items()}
        else:
            for k, v in state.items():
                avg[k] += v.float()
        count += 1
    if count == 0:
        raise RuntimeError(f"no readable shards matched {pattern}")
    log.info("averaged %d/%d shards", count, len(paths))
    return {k: v / count for k, v in avg.items()}


if __name__ == "__main__":
    import sys

    torch.save(average_shards(sys.argv[1]), sys.argv[2])
