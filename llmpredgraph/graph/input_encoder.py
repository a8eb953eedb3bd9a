"""Per-node-type input projection to the hidden size (plus optional learnable per-node vectors)."""

from __future__ import annotations

import torch
from torch import nn


class InputEncoder(nn.Module):
    """x_drug [n_drug, drug_dim], x_se [n_se, se_dim] -> {'drug': [n_drug, hidden], 'side_effect':
    [n_se, hidden]}, plus {type: [n_type, hidden]} learned vectors of each `extra` node type."""

    def __init__(
        self,
        drug_dim: int,
        se_dim: int,
        hidden: int,
        n_se: int = 0,
        se_embedding: bool = False,
        dropout: float = 0.0,
        n_drug: int = 0,
        drug_embedding: bool = False,
        extra: dict[str, int] | None = None,
    ):
        super().__init__()
        self.settings = {
            "drug_dim": drug_dim,
            "se_dim": se_dim,
            "hidden": hidden,
            "n_se": n_se,
            "se_embedding": se_embedding,
            "dropout": dropout,
            "n_drug": n_drug,
            "drug_embedding": drug_embedding,
            "extra": dict(extra or {}),
        }
        self.drug = nn.Sequential(nn.Linear(drug_dim, hidden), nn.LayerNorm(hidden))
        self.se = nn.Sequential(nn.Linear(se_dim, hidden), nn.LayerNorm(hidden))
        self.se_emb = nn.Embedding(n_se, hidden) if se_embedding and n_se else None
        # Per-drug vectors only make sense when every drug has training pairs (warm protocol).
        self.drug_emb = nn.Embedding(n_drug, hidden) if drug_embedding and n_drug else None
        # knowledge node types (ATC classes, proteins): a learned vector per node
        self.extra = nn.ModuleDict({t: nn.Embedding(n, hidden) for t, n in (extra or {}).items() if n})
        self.dropout = nn.Dropout(dropout)
        self._init_embeddings()

    def _init_embeddings(self) -> None:
        for emb in (self.se_emb, self.drug_emb, *self.extra.values()):
            if emb is not None:
                nn.init.normal_(emb.weight, std=0.1)

    def reset_parameters(self) -> None:
        for block in (self.drug, self.se):
            for layer in block:
                layer.reset_parameters()
        self._init_embeddings()

    def forward(self, x_drug: torch.Tensor, x_se: torch.Tensor) -> dict[str, torch.Tensor]:
        h_se = self.se(x_se)
        if self.se_emb is not None:
            h_se = h_se + self.se_emb.weight
        h_drug = self.drug(x_drug)
        if self.drug_emb is not None:
            h_drug = h_drug + self.drug_emb.weight
        out = {"drug": self.dropout(h_drug), "side_effect": self.dropout(h_se)}
        return out | {t: self.dropout(emb.weight) for t, emb in self.extra.items()}
