"""One MLP edge decoder with three heads: DSF (class 1..5), DSHF (class >= 4) and association."""

from __future__ import annotations

import torch
from torch import nn

from ..frequency import from_unit, to_unit, uncentre
from .pair_features import PairFeatures


class EdgeDecoder(nn.Module):
    """MLP over [h_drug, h_se, h_drug * h_se, pair features] -> three heads.

    prior: the DSF and association heads learn corrections to the pair features' `dsf_prior`
    and `assoc_prior` (logit offsets); high_prior: the DSHF head likewise to `dshf_prior`;
    start_at_prior: the corrections start at zero (see `_zero_corrections`).
    Each head's logit is  z_h = correction[h] * (mlp_h(x) - centre[h] * shift_h) + logit(prior_h),
    shift_h being the drug's mean mlp_h over all side effects (passed in by the caller that scores
    whole rows). Buffers, set after training on validation drugs (`pipeline.training.choose_correction`):
    `correction` (dsf, dshf, assoc; ones) scales the learned part towards the prior; `centre` (zeros)
    removes its drug-level mean, so the drug's overall level comes from the prior alone.
    """

    def __init__(
        self,
        node_dim: int,
        pair_dim: int = 0,
        hidden: int = 128,
        dropout: float = 0.2,
        prior: bool = False,
        high_prior: bool = False,
        start_at_prior: bool = False,
    ):
        super().__init__()
        self.settings = {
            "node_dim": node_dim,
            "pair_dim": pair_dim,
            "hidden": hidden,
            "dropout": dropout,
            "prior": prior,
            "high_prior": high_prior,
            "start_at_prior": start_at_prior,
        }
        self.start_at_prior = start_at_prior
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
        self.register_buffer("correction", torch.ones(3))
        self.register_buffer("centre", torch.zeros(3))
        self._zero_corrections()

    def _zero_corrections(self) -> None:
        """start_at_prior: the heads start at zero, so an untrained model predicts its priors exactly
        and training moves away from them only as far as the data pulls (a zero-initialised residual)."""
        if self.prior and self.start_at_prior:
            nn.init.zeros_(self.heads.weight)
            nn.init.zeros_(self.heads.bias)

    def has_prior(self, head: str) -> bool:
        """Whether `head` ('dsf', 'dshf', 'assoc') adds its learned correction to a prior."""
        return self.high_prior if head == "dshf" else self.prior

    def reset_parameters(self) -> None:
        for layer in (*self.mlp, self.heads):
            if isinstance(layer, nn.Linear):
                layer.reset_parameters()
        self._zero_corrections()
        self.correction.fill_(1.0)
        self.centre.fill_(0.0)

    def learned(self, h_drug: torch.Tensor, h_se: torch.Tensor, pair: PairFeatures | None = None) -> torch.Tensor:
        """h_drug, h_se: [n, node_dim]; pair: n rows of `pair_dim` features (or None when pair_dim = 0).
        Returns [n, 3] the MLP's outputs (dsf, dshf, assoc) before priors: with priors, the corrections."""
        parts = [h_drug, h_se, h_drug * h_se]
        if self.pair_dim:
            if pair is None or pair.dim != self.pair_dim:
                raise ValueError(
                    f"decoder expects {self.pair_dim} pair features, got {None if pair is None else pair.dim}"
                )
            parts.append(pair.matrix())
        return self.heads(self.mlp(torch.cat(parts, dim=-1)))

    def learned_rows(self, h_drug: torch.Tensor, h_se: torch.Tensor, pair: PairFeatures | None = None) -> torch.Tensor:
        """`learned` for whole rows: every side effect of each drug, without building the pair inputs.

        h_drug: [m, node_dim]; h_se: [s, node_dim]; pair: m * s rows, drug-major (row i * s + j is
        drug i with side effect j). Returns [m * s, 3], equal to `learned` on the repeated pairs to
        float tolerance. The first layer splits as
            W [h_d, h_s, h_d * h_s, p] + b = (W_d h_d + b) + W_s h_s + W_x (h_d * h_s) + W_p p,
        so the drug part is computed once per drug and the side-effect part once per call."""
        m, s, nd = h_drug.shape[0], h_se.shape[0], h_drug.shape[1]
        first = self.mlp[0]
        W = first.weight
        pre = torch.matmul(h_se, (W[None, :, 2 * nd : 3 * nd] * h_drug[:, None, :]).transpose(1, 2))  # [m, s, hidden]
        pre += (h_drug @ W[:, :nd].T + first.bias)[:, None, :]
        pre += (h_se @ W[:, nd : 2 * nd].T)[None, :, :]
        if self.pair_dim:
            if pair is None or pair.dim != self.pair_dim or len(pair) != m * s:
                raise ValueError(f"decoder expects {m * s} rows of {self.pair_dim} pair features")
            pre += (pair.matrix() @ W[:, 3 * nd :].T).view(m, s, -1)
        return self.heads(self.mlp[1:](pre.view(m * s, -1)))

    def forward(
        self,
        h_drug: torch.Tensor,
        h_se: torch.Tensor,
        pair: PairFeatures | None = None,
        shift: torch.Tensor | None = None,
    ) -> dict[str, torch.Tensor]:
        """h_drug, h_se: [n, node_dim]; pair: n rows of `pair_dim` features (or None when pair_dim = 0);
        shift: [n, 3] each pair's drug mean of `learned` over all side effects (needed when `centre` is set).

        Returns [n] tensors: 'dsf' (class in 1..5), 'dshf' and 'assoc' (logits)."""
        return self.combine(self.learned(h_drug, h_se, pair), pair, shift)

    def combine(
        self, z: torch.Tensor, pair: PairFeatures | None, shift: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        """Heads from `learned` outputs z [n, 3] and the pairs' priors (see the class docstring)."""
        if self.centre.any():
            if shift is None:
                raise ValueError("this decoder centres its corrections per drug: pass shift (score whole rows)")
            z = z - self.centre * shift
        dsf_z, dshf_z, assoc_z = z[:, 0], z[:, 1], z[:, 2]
        c = self.correction
        if self.prior and pair.dsf_prior is not None:
            dsf_z = c[0] * dsf_z + torch.logit(to_unit(uncentre(pair.dsf_prior)).clamp(0.02, 0.98))
        if self.high_prior and pair.dshf_prior is not None:
            dshf_z = c[1] * dshf_z + torch.logit(pair.dshf_prior.clamp(0.02, 0.98))
        if self.prior and pair.assoc_prior is not None:
            assoc_z = c[2] * assoc_z + torch.logit(pair.assoc_prior.clamp(1e-3, 1 - 1e-3))
        # DSF is bounded to the class range 1..5; the other two heads are logits.
        return {"dsf": from_unit(torch.sigmoid(dsf_z)), "dshf": dshf_z, "assoc": assoc_z}


def drug_means(z: torch.Tensor, d: torch.Tensor, n_se: int) -> torch.Tensor:
    """[n, k] each pair's drug mean of z [n, k] over the pairs of that drug, which must be whole rows
    (n_se pairs per drug in d [n]): the per-drug shift of a centring decoder."""
    uniq, inv, counts = torch.unique(d, return_inverse=True, return_counts=True)
    if bool((counts != n_se).any()):
        raise ValueError("a decoder that centres per drug scores whole rows: every side effect of each drug")
    sums = torch.zeros(len(uniq), z.shape[1], dtype=z.dtype, device=z.device).index_add_(0, inv, z)
    return (sums / n_se)[inv]
