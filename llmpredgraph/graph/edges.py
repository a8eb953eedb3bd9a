"""Edge families of the graph. Each takes only the rows it is allowed to see."""

from __future__ import annotations

import numpy as np
import torch

from ..frequency import to_fraction
from .similarity import nearest_support


def knn_edges(S: np.ndarray, query: np.ndarray, support: np.ndarray, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Each query drug's k most similar *support* drugs (never itself): edges support -> query.

    S: [n_drug, n_drug]; query: [q]; support: [s]. Returns (edge_index [2, q * k] as (src, dst),
    similarity [q * k]).
    """
    src, dst, sim = nearest_support(S, query, support, k)
    return torch.as_tensor(np.stack([src, dst]), dtype=torch.long), torch.as_tensor(sim, dtype=torch.float32)


def drug_se_edges(R: np.ndarray, support: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """Known pairs of support drugs: edge_index [2, E] (drug, side effect) and weight [E] = class / 5.

    R: [n_drug, n_se] classes (0 = unknown); only the rows in `support` are read."""
    sub = R[support]
    r, c = np.nonzero(sub)
    return torch.as_tensor(np.stack([np.asarray(support)[r], c]), dtype=torch.long), torch.as_tensor(
        to_fraction(sub[r, c]), dtype=torch.float32
    )


def hierarchy_edges(side_effects, hierarchy) -> torch.Tensor:
    """edge_index [2, E] between side effects that share a MedDRA HLT, both directions (no labels)."""
    by_hlt: dict[str, list[int]] = {}
    for j, code in enumerate(side_effects["pt_code"].astype(str)):
        node = f"pt:{code}"
        if code and node in hierarchy:
            for parent in hierarchy.predecessors(node):
                by_hlt.setdefault(parent, []).append(j)
    pairs = {(a, b) for members in by_hlt.values() for a in members for b in members if a != b}
    if not pairs:
        return torch.zeros((2, 0), dtype=torch.long)
    return torch.as_tensor(np.array(sorted(pairs)).T, dtype=torch.long)


def cooc_edges(R: np.ndarray, support: np.ndarray, k: int) -> torch.Tensor:
    """edge_index [2, E]: each side effect's k strongest Jaccard co-occurrences over the support
    drugs' rows of R [n_drug, n_se], as edges neighbour -> it."""
    K = torch.as_tensor(R[support] > 0, dtype=torch.float32)
    inter = K.T @ K
    cnt = K.sum(0)
    jac = inter / (cnt[:, None] + cnt[None, :] - inter).clamp(min=1)
    jac.fill_diagonal_(-1)
    val, nbr = jac.topk(min(k, jac.shape[0] - 1), dim=1)
    dst = torch.arange(jac.shape[0]).repeat_interleave(nbr.shape[1])
    keep = val.ravel() > 0
    return torch.stack([nbr.ravel()[keep], dst[keep]])
