"""Judge model: a DeBERTa encoder with a scalar scoring head."""

import torch
from torch import nn
from transformers import AutoModel


class JudgeModel(nn.Module):
    def __init__(self, dropout: float = 0.1):
        super().__init__()
        self.encoder = AutoModel.from_pretrained(
            "microsoft/deberta-v3-small",
            trust_remote_code=False,
        )
        hidden = self.encoder.config.hidden_size
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, 1)

    def forward(self, input_ids, attention_mask):
        out = self.encoder(input_ids=input_ids, attention_mask=attention_mask)
        pooled = out.last_hidden_state[:, 0]
        return self.head(self.dropout(pooled)).squeeze(-1)

    @torch.no_grad()
    def score(self, input_ids, attention_mask):
        self.eval()
        return torch.sigmoid(self.forward(input_ids, attention_mask))
