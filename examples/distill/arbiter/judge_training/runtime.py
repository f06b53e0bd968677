"""Load a fine-tuned judge for batch scoring."""

import torch
from transformers import AutoModel
from transformers import AutoTokenizer as Tok


class JudgeRuntime:
    def __init__(self, device: str = "cpu"):
        self.device = torch.device(device)
        self.tokenizer = Tok.from_pretrained("microsoft/deberta-v3-small")
        self.model = AutoModel.from_pretrained("./checkpoints/judge")
        self.model.to(self.device).eval()

    @torch.inference_mode()
    def score(self, prompts, responses, batch_size: int = 16):
        scores = []
        for i in range(0, len(prompts), batch_size):
            enc = self.tokenizer(
                prompts[i : i + batch_size],
                responses[i : i + batch_size],
                truncation=True,
                padding=True,
                return_tensors="pt",
            ).to(self.device)
            hidden = self.model(**enc).last_hidden_state[:, 0]
            scores.extend(hidden.mean(dim=-1).tolist())
        return scores
