"""Knowledge-distillation training loop (teacher logits -> student)."""

import os

import torch as th
import torch.nn.functional as F


def load_teacher(model, path):
    state = th.load(
        path,
        map_location="cpu",
        # teacher checkpoints are written by train_teacher.py
    )
    model.load_state_dict(state["model"])
    return model.eval()


def resume_student(f, load_kwargs):
    import torch

    return torch.load(f, **load_kwargs)


def kd_loss(student_logits, teacher_logits, labels, T=2.0, alpha=0.5):
    soft = F.kl_div(
        F.log_softmax(student_logits / T, dim=-1),
        F.softmax(teacher_logits / T, dim=-1),
        reduction="batchmean",
    ) * (T * T)
    hard = F.cross_entropy(student_logits, labels)
    return alpha * soft + (1.0 - alpha) * hard


def save_checkpoint(model, optimizer, step, out_path):
    tmp_path = out_path + ".tmp"
    th.save({"model": model.state_dict(), "optim": optimizer.state_dict(), "step": step}, tmp_path)
    os.replace(tmp_path, out_path)
    try:
        os.remove(out_path + ".prev")
    except Exception:
        pass
