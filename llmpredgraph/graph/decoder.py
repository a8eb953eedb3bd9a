"""One MLP edge decoder with three heads: DSF (class 1..5), DSHF (class >= 4) and association."""

from __future__ import annotations

import torch
from torch import nn


class EdgeDecoder(nn.Module):
    def __init__(self, node_dim: int, pair_dim: int = 0, hidden: int = 128, dropout: float = 0.2, prior: bool = False, high_prior: bool = False):
        super().__init__()
        self.settings = {"node_dim": node_dim, "pair_dim": pair_dim, "hidden": hidden, "dropout": dropout, "prior": prior, "high_prior": high_prior}
        self.pair_dim = pair_dim
        # prior: the pair features end with (popularity, scaled mean class) of the side effect;
        # the heads then learn a correction to these support-label statistics.
        # high_prior: the column before those is a prior probability of class >= 4 for the DSHF head.
        self.prior = prior and pair_dim >= 2
        self.high_prior = self.prior and high_prior and pair_dim >= 3
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
        dsf_z, dshf_z, assoc_z = z[:, 0], z[:, 1], z[:, 2]
        if self.prior:
            pop, mean = pair[:, -2], pair[:, -1] * 2.0 + 3.0
            dsf_z = dsf_z + torch.logit(((mean - 1.0) / 4.0).clamp(0.02, 0.98))
            assoc_z = assoc_z + torch.logit(pop.clamp(1e-3, 1 - 1e-3))
        if self.high_prior:
            dshf_z = dshf_z + torch.logit(pair[:, -3].clamp(0.02, 0.98))
        # DSF is bounded to the class range 1..5; the other two heads are logits.
        return {"dsf": 1.0 + 4.0 * torch.sigmoid(dsf_z), "dshf": dshf_z, "assoc": assoc_z}
