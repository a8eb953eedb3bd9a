"""Typed per-pair features from label propagation: plain feature columns plus named priors."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class PairFeatures:
    """Features of n (drug, side effect) pairs computed from support labels.

    columns: [n, k] feature columns (neighbour share and class, offsets, own-drug terms).
    dshf_prior: [n] prior probability of class >= 4, or None.
    assoc_prior: [n] prior probability that the pair is known (popularity-based), or None.
    dsf_prior: [n] prior class on the centred scale `frequency.centre` (-1..1), or None.

    The decoder reads the priors by name and learns corrections to them; `matrix()` is what its
    MLP sees: the columns, then the priors in the fixed order dshf, assoc, dsf.
    """

    columns: torch.Tensor
    dshf_prior: torch.Tensor | None = None
    assoc_prior: torch.Tensor | None = None
    dsf_prior: torch.Tensor | None = None

    def priors(self) -> list[torch.Tensor]:
        return [p for p in (self.dshf_prior, self.assoc_prior, self.dsf_prior) if p is not None]

    @property
    def dim(self) -> int:
        return self.columns.shape[1] + len(self.priors())

    def matrix(self) -> torch.Tensor:
        """[n, dim] decoder input: columns then priors."""
        return torch.cat([self.columns, torch.stack(self.priors(), dim=1)], dim=1) if self.priors() else self.columns

    def rows(self, sl: slice) -> PairFeatures:
        """The pairs in `sl` (decoding a long list of pairs in chunks)."""
        cut = lambda t: t[sl] if t is not None else None  # noqa: E731
        return PairFeatures(self.columns[sl], cut(self.dshf_prior), cut(self.assoc_prior), cut(self.dsf_prior))

    def __len__(self) -> int:
        return self.columns.shape[0]
