"""Contrastive losses of the encoder stage. Each loss is a small module around a pure tensor function
(as in sentence-transformers); the modules share the signature (x, y, scores, positive) so that
`CombinedLoss` can weight them: x, y [n, d] the two sides of n pairs, scores [n] their target
similarity (higher = more alike), positive [n] bool the pairs that count as positives (default
scores > 0)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def cosent_loss(sim: torch.Tensor, scores: torch.Tensor, scale: float = 20.0) -> torch.Tensor:
    """CoSENT ranking loss: every pair ranked above another by the target must be more similar.

        L = log(1 + sum_{(i, j): scores_i > scores_j} exp(scale * (sim_j - sim_i)))

    Reference: Su, J. (2022), "CoSENT: a more effective sentence vector scheme than Sentence-BERT",
    https://kexue.fm/archives/8847; sentence-transformers' CoSENTLoss.

    sim: [n] predicted similarity of n pairs (cosine for CoSENTLoss); scores: [n] target scores
    (only their order matters); scale: inverse temperature. Returns a scalar; 0 when no pair outranks another."""
    diff = scale * (sim[None, :] - sim[:, None])  # [i, j] = scale * (sim_j - sim_i)
    ranked = scores[:, None] > scores[None, :]
    terms = diff[ranked]
    return torch.logsumexp(torch.cat([sim.new_zeros(1), terms]), dim=0)


def mnrl_loss(anchors: torch.Tensor, positives: torch.Tensor, scale: float = 20.0) -> torch.Tensor:
    """Multiple-negatives ranking (in-batch negatives): each anchor must pick its own positive among
    the n positives of the batch.

        L = -1/n sum_i log softmax_j(scale * cos(a_i, p_j))[i]

    Reference: Henderson, M. et al. (2017), "Efficient natural language response suggestion for
    Smart Reply", arXiv:1705.00652; sentence-transformers' MultipleNegativesRankingLoss.

    anchors, positives: [n, d] (row i of each is a positive pair); scale: inverse temperature.
    Returns a scalar."""
    logits = scale * F.normalize(anchors, dim=-1) @ F.normalize(positives, dim=-1).T
    return F.cross_entropy(logits, torch.arange(len(anchors), device=anchors.device))


def pairwise_angle_sim(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """AnglE's angle similarity. Each vector's halves are the real and imaginary parts of a complex
    vector, z = a + ib and w = c + id; the similarity is |sum_k (z / w)_k| after scaling by
    |w| / |z|, i.e. the summed angle difference in complex space, which keeps a gradient where the
    cosine saturates.

    Reference: Li, X. and Li, J. (2023), "AnglE-optimized text embeddings", arXiv:2309.12871.

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
    """AnglE loss: the CoSENT ranking (`cosent_loss`) of the angle similarity (`pairwise_angle_sim`).

        L = log(1 + sum_{(i, j): scores_i > scores_j} exp(scale * (angle_j - angle_i)))

    Reference: Li and Li (2023), arXiv:2309.12871. x, y: [n, d] with d even; scores: [n] -> scalar."""
    return cosent_loss(pairwise_angle_sim(x, y), scores, scale)


class CoSENTLoss(nn.Module):
    """`cosent_loss` of the cosine similarity of x and y [n, d] under target scores [n] -> scalar."""

    def __init__(self, scale: float = 20.0):
        super().__init__()
        self.scale = scale

    def forward(
        self, x: torch.Tensor, y: torch.Tensor, scores: torch.Tensor, positive: torch.Tensor | None = None
    ) -> torch.Tensor:
        return cosent_loss(F.cosine_similarity(x, y, dim=-1), scores, self.scale)


class MNRLoss(nn.Module):
    """`mnrl_loss` over the positive rows of x, y [n, d] (positive [n], default scores > 0); the other
    positives of the batch are each anchor's negatives. 0 with fewer than two positives."""

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
    """`angle_loss` of x, y [n, d] (d even) under target scores [n] -> scalar."""

    def __init__(self, scale: float = 20.0):
        super().__init__()
        self.scale = scale

    def forward(
        self, x: torch.Tensor, y: torch.Tensor, scores: torch.Tensor, positive: torch.Tensor | None = None
    ) -> torch.Tensor:
        return angle_loss(x, y, scores, self.scale)


class CombinedLoss(nn.Module):
    """L = w_cosent * CoSENT + w_mnrl * in-batch negatives + w_angle * AnglE over the same pairs;
    a zero weight switches a term off (the recipe of Li and Li 2023, with in-batch negatives added)."""

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
