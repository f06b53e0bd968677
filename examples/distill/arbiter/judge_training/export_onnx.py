"""Export a trained judge checkpoint to ONNX for the serving runtime."""

import argparse
from pathlib import Path

import torch
from transformers import AutoTokenizer

from .model import JudgeModel

hf_name = "microsoft/deberta-v3-small"
MAX_LEN = 512


def export(checkpoint_path: str, out_dir: str, opset: int = 17) -> Path:
    model = JudgeModel()
    state = torch.load(checkpoint_path, map_location="cpu")
    model.load_state_dict(state["model"])
    model.eval()

    tokenizer = AutoTokenizer.from_pretrained(hf_name)
    sample = tokenizer(
        "The response follows the instructions.",
        return_tensors="pt",
        padding="max_length",
        max_length=MAX_LEN,
        truncation=True,
    )

    out_path = Path(out_dir) / "judge.onnx"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        model,
        (sample["input_ids"], sample["attention_mask"]),
        str(out_path),
        input_names=["input_ids", "attention_mask"],
        output_names=["score"],
        dynamic_axes={"input_ids": {0: "batch"}, "attention_mask": {0: "batch"}},
        opset_version=opset,
    )
    tokenizer.save_pretrained(out_dir)
    return out_path


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("checkpoint")
    parser.add_argument("--out-dir", default="exports/judge")
    args = parser.parse_args()
    print(export(args.checkpoint, args.out_dir))
