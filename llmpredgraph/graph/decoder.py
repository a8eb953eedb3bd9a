"""One MLP edge decoder with three heads: DSF (class 1..5), DSHF (class >= 4) and association."""

from __future__ import annotations

import torch
from torch import nn

from ..units import from_unit, to_unit, uncentre
from .pair_features import PairFeatures


class EdgeDecoder(nn.Module):
    """MLP over [h_drug, h_se, h_drug * h_se, pair features] -> three heads.

    prior: the DSF and association heads learn corrections to the pair features' `dsf_prior`
    and `assoc_prior` (logit offsets); high_prior: the DSHF head likewise to `dshf_prior`.
    """

    def __init__(
        self,
        node_dim: int,
        pair_dim: int = 0,
        hidden: int = 128,
        dropout: float = 0.2,
        prior: bool = False,
        high_prior: bool = False,
    ):
        super().__init__()
        self.settings = {
            "node_dim": node_dim,
            "pair_dim": pair_dim,
            "hidden": hidden,
            "dropout": dropout,
            "prior": prior,
            "high_prior": high_prior,
        }
        self.pair_dim = pair_dim
        self.prior = prior and pair_dim > 0
        self.high_prior = self.prior and high_prior
        self.mlp = nn.Sequential(
            nn.Linear(3 * node_dim + pair_dim, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
        )
        self.heads = nn.Linear(hidden, 3)

    def forward(
        self, h_drug: torch.Tensor, h_se: torch.Tensor, pair: PairFeatures | None = None
    ) -> dict[str, torch.Tensor]:
        """h_drug, h_se: [n, node_dim]; pair: n rows of `pair_dim` features (or None when pair_dim = 0).

        Returns [n] tensors: 'dsf' (class in 1..5), 'dshf' and 'assoc' (logits)."""
        parts = [h_drug, h_se, h_drug * h_se]
        if self.pair_dim:
            if pair is None or pair.dim != self.pair_dim:
                raise ValueError(
                    f"decoder expects {self.pair_dim} pair features, got {None if pair is None else pair.dim}"
                )
            parts.append(pair.matrix())
        z = self.heads(self.mlp(torch.cat(parts, dim=-1)))
        dsf_z, dshf_z, assoc_z = z[:, 0], z[:, 1], z[:, 2]
        if self.prior and pair.dsf_prior is not None:
            dsf_z = dsf_z + torch.logit(to_unit(uncentre(pair.dsf_prior)).clamp(0.02, 0.98))
        if self.prior and pair.assoc_prior is not None:
            assoc_z = assoc_z + torch.logit(pair.assoc_prior.clamp(1e-3, 1 - 1e-3))
        if self.high_prior and pair.dshf_prior is not None:
            dshf_z = dshf_z + torch.logit(pair.dshf_prior.clamp(0.02, 0.98))
        # DSF is bounded to the class range 1..5; the other two heads are logits.
        return {"dsf": from_unit(torch.sigmoid(dsf_z)), "dshf": dshf_z, "assoc": assoc_z}
