"""Each loss is a small module around a pure tensor function (as in sentence-transformers)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def cosent_loss(sim: torch.Tensor, scores: torch.Tensor, scale: float = 20.0) -> torch.Tensor:
    """CoSENT: log(1 + sum over pairs (i, j) with scores[i] > scores[j] of exp(scale * (sim[j] - sim[i]))).

    sim, scores: [n] predicted similarity and target score of n pairs -> scalar."""
    diff = scale * (sim[None, :] - sim[:, None])  # [i, j] = scale * (sim_j - sim_i)
    ranked = scores[:, None] > scores[None, :]
    terms = diff[ranked]
    return torch.logsumexp(torch.cat([sim.new_zeros(1), terms]), dim=0)


def mnrl_loss(anchors: torch.Tensor, positives: torch.Tensor, scale: float = 20.0) -> torch.Tensor:
    """Multiple-negatives ranking: each anchor's positive against the other positives in the batch.

    anchors, positives: [n, d] -> scalar."""
    logits = scale * F.normalize(anchors, dim=-1) @ F.normalize(positives, dim=-1).T
    return F.cross_entropy(logits, torch.arange(len(anchors), device=anchors.device))


def pairwise_angle_sim(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """AnglE's similarity: |sum of the normalised complex quotient x / y| with halves as (re, im).

    x, y: [n, d] with d even -> [n]."""
    a, b = torch.chunk(x, 2, dim=1)
    c, d = torch.chunk(y, 2, dim=1)
    z = (c**2 + d**2).sum(dim=1, keepdim=True)
    re = (a * c + b * d) / z
    im = (b * c - a * d) / z
    dz = (a**2 + b**2).sum(dim=1, keepdim=True).sqrt()
    dw = z.sqrt()
    re, im = re / (dz / dw), im / (dz / dw)
    return torch.cat([re, im], dim=1).sum(dim=1).abs()


def angle_loss(x: torch.Tensor, y: torch.Tensor, scores: torch.Tensor, scale: float = 20.0) -> torch.Tensor:
    """AnglE: CoSENT ranking applied to the angle similarity. x, y: [n, d]; scores: [n] -> scalar."""
    return cosent_loss(pairwise_angle_sim(x, y), scores, scale)


class CoSENTLoss(nn.Module):
    def __init__(self, scale: float = 20.0):
        super().__init__()
        self.scale = scale

    def forward(
        self, x: torch.Tensor, y: torch.Tensor, scores: torch.Tensor, positive: torch.Tensor | None = None
    ) -> torch.Tensor:
        return cosent_loss(F.cosine_similarity(x, y, dim=-1), scores, self.scale)


class MNRLoss(nn.Module):
    def __init__(self, scale: float = 20.0):
        super().__init__()
        self.scale = scale

    def forward(
        self, x: torch.Tensor, y: torch.Tensor, scores: torch.Tensor, positive: torch.Tensor | None = None
    ) -> torch.Tensor:
        # Only rows marked positive act as (anchor, positive); the other rows' positives are the negatives.
        pos = positive if positive is not None else scores > 0
        if pos.sum() < 2:
            return x.new_zeros(())
        return mnrl_loss(x[pos], y[pos], self.scale)


class AnglELoss(nn.Module):
    def __init__(self, scale: float = 20.0):
        super().__init__()
        self.scale = scale

    def forward(
        self, x: torch.Tensor, y: torch.Tensor, scores: torch.Tensor, positive: torch.Tensor | None = None
    ) -> torch.Tensor:
        return angle_loss(x, y, scores, self.scale)


class CombinedLoss(nn.Module):
    """w1 * CoSENT + w2 * in-batch negatives + w3 * AnglE; a zero weight switches a term off."""

    def __init__(self, cosent: float = 1.0, mnrl: float = 1.0, angle: float = 1.0, scale: float = 20.0):
        super().__init__()
        self.weights = {"cosent": cosent, "mnrl": mnrl, "angle": angle}
        self.terms = nn.ModuleDict({"cosent": CoSENTLoss(scale), "mnrl": MNRLoss(scale), "angle": AnglELoss(scale)})
        if not any(w > 0 for w in self.weights.values()):
            raise ValueError("at least one contrastive loss weight must be positive")

    def forward(
        self, x: torch.Tensor, y: torch.Tensor, scores: torch.Tensor, positive: torch.Tensor | None = None
    ) -> torch.Tensor:
        return sum(w * self.terms[k](x, y, scores, positive) for k, w in self.weights.items() if w > 0)
