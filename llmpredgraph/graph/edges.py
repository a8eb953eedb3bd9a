"""Edge families of the graph. Each takes only the rows it is allowed to see."""

from __future__ import annotations

import numpy as np
import torch

from ..frequency import to_fraction


def cosine_matrix(X: np.ndarray) -> np.ndarray:
    """X: [n, d] -> [n, n] cosine similarity (float32)."""
    U = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
    return (U @ U.T).astype(np.float32)


def tanimoto_matrix(F: np.ndarray) -> np.ndarray:
    """F: [n, bits] fingerprints (non-zero = set) -> [n, n] Tanimoto similarity (float32)."""
    return tanimoto_between(F, F)


def tanimoto_between(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """A: [m, bits], B: [n, bits] fingerprints (non-zero = set) -> [m, n] Tanimoto similarity (float32).
    Bit counts are exact integers in float32, so the result does not depend on the product's order."""
    A, B = (A > 0).astype(np.float32), (B > 0).astype(np.float32)
    inter = A @ B.T
    ca, cb = A.sum(1), B.sum(1)
    return (inter / np.maximum(ca[:, None] + cb[None, :] - inter, 1e-12)).astype(np.float32)


def drug_similarity(kind: str, x: np.ndarray, tanimoto: np.ndarray) -> np.ndarray:
    """[n, n] similarity that drug-drug kNN edges rank by (graph.knn_similarity): cosine of x [n, d],
    Tanimoto [n, n], or their mean."""
    if kind == "embedding":
        return cosine_matrix(x)
    if kind == "fingerprint":
        return tanimoto
    return (cosine_matrix(x) + tanimoto) / 2


def knn_edges(S: np.ndarray, query: np.ndarray, support: np.ndarray, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Each query drug's k most similar *support* drugs (never itself): edges support -> query.

    S: [n_drug, n_drug]; query: [q]; support: [s]. Returns (edge_index [2, q * k] as (src, dst),
    similarity [q * k]).
    """
    query, support = np.asarray(query), np.asarray(support)
    sub = S[np.ix_(query, support)].copy()
    sub[query[:, None] == support[None, :]] = -np.inf  # no self loops
    k = min(k, len(support) - 1) if np.isin(query, support).any() else min(k, len(support))
    nbr = np.argpartition(-sub, kth=k - 1, axis=1)[:, :k]
    src = support[nbr].ravel()
    dst = np.repeat(query, k)
    sim = np.take_along_axis(sub, nbr, axis=1).ravel()
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
