"""Datasets for judge training: public sentiment pretraining + local preference pairs."""

from datasets import load_dataset
from torch.utils.data import Dataset


class PreferencePairs(Dataset):
    def __init__(self, csv_path: str, tokenizer, max_len: int = 512):
        self.rows = load_dataset("csv", data_files={"train": csv_path})["train"]
        self.tokenizer = tokenizer
        self.max_len = max_len

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, idx):
        row = self.rows[idx]
        enc = self.tokenizer(
            row["prompt"],
            row["response"],
            truncation=True,
            max_length=self.max_len,
            padding="max_length",
            return_tensors="pt",
        )
        item = {k: v.squeeze(0) for k, v in enc.items()}
        item["label"] = float(row["preferred"])
        return item


def warmup_corpus(limit: int = 5000):
    """Sentiment data used to warm up the scoring head before preference tuning."""
    imdb = load_dataset("imdb", split="train")
    return imdb.shuffle(seed=13).select(range(limit))
