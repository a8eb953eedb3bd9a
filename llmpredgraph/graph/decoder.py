"""One MLP edge decoder with three heads: DSF (class 1..5), DSHF (class >= 4) and association."""

from __future__ import annotations

import torch
from torch import nn


class EdgeDecoder(nn.Module):
    def __init__(self, node_dim: int, pair_dim: int = 0, hidden: int = 128, dropout: float = 0.2):
        super().__init__()
        self.settings = {"node_dim": node_dim, "pair_dim": pair_dim, "hidden": hidden, "dropout": dropout}
        self.pair_dim = pair_dim
        self.mlp = nn.Sequential(
            nn.Linear(3 * node_dim + pair_dim, hidden), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(hidden, hidden), nn.ReLU(), nn.Dropout(dropout),
        )
        self.heads = nn.Linear(hidden, 3)

    def forward(self, h_drug: torch.Tensor, h_se: torch.Tensor, pair: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        parts = [h_drug, h_se, h_drug * h_se]
        if self.pair_dim:
            parts.append(pair)
        z = self.heads(self.mlp(torch.cat(parts, dim=-1)))
        # DSF is bounded to the class range 1..5; the other two heads are logits.
        return {"dsf": 1.0 + 4.0 * torch.sigmoid(z[:, 0]), "dshf": z[:, 1], "assoc": z[:, 2]}
