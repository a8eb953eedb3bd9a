"""Training pairs built from the labels of training drugs only.

Every builder takes the full matrix and the training drug indices, and slices the training rows
first: nothing else of the matrix is read.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..frequency import on_class_scale, to_fraction


@dataclass
class PairSet:
    """Pairs (a[i], b[i]) with a target score in [0, 1] and a flag for in-batch-negative anchors."""

    kind: str  # "drug_drug", "se_se" or "drug_se"
    a: np.ndarray
    b: np.ndarray
    score: np.ndarray
    positive: np.ndarray

    def __len__(self) -> int:
        return len(self.a)


def _cosine(M: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(M, axis=1, keepdims=True)
    U = M / np.maximum(norm, 1e-12)
    return U @ U.T


def _top_and_random(
    sim: np.ndarray, per_anchor: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each row: its per_anchor//2 most similar other rows and as many random others."""
    n = len(sim)
    s = sim.copy()
    np.fill_diagonal(s, -np.inf)
    k_top = max(1, min(per_anchor // 2, n - 1))
    top = np.argsort(-s, axis=1)[:, :k_top]
    rand = rng.integers(0, n - 1, size=(n, max(1, per_anchor - k_top)))
    rand = rand + (rand >= np.arange(n)[:, None])  # skip self
    a = np.repeat(np.arange(n), k_top + rand.shape[1])
    b = np.concatenate([top, rand], axis=1).ravel()
    first = np.zeros((n, k_top + rand.shape[1]), dtype=bool)
    first[:, 0] = True  # the nearest neighbour is the in-batch-negatives positive
    return a, b, first.ravel()


def drug_drug_pairs(R: np.ndarray, train_idx: np.ndarray, per_anchor: int, rng: np.random.Generator) -> PairSet:
    """Drug pairs scored by the cosine of their training side-effect frequency profiles (a pair on
    the label without a class counts as the middle class)."""
    R_tr = on_class_scale(R[train_idx]).astype(np.float32)
    sim = np.clip(_cosine(R_tr), 0.0, 1.0)
    a, b, pos = _top_and_random(sim, per_anchor, rng)
    return PairSet("drug_drug", train_idx[a], train_idx[b], sim[a, b].astype(np.float32), pos)


def se_se_pairs(R: np.ndarray, train_idx: np.ndarray, per_anchor: int, rng: np.random.Generator) -> PairSet:
    """Side-effect pairs scored by Jaccard co-occurrence across training drugs."""
    K = (R[train_idx] > 0).astype(np.float32)
    inter = K.T @ K
    count = K.sum(0)
    union = count[:, None] + count[None, :] - inter
    jac = np.where(union > 0, inter / np.maximum(union, 1), 0.0)
    seen = np.flatnonzero(count > 0)
    sub = jac[np.ix_(seen, seen)]
    a, b, pos = _top_and_random(sub, per_anchor, rng)
    # Normalise so the strongest co-occurrences reach 1: Jaccard values are small.
    score = sub[a, b] / max(sub.max(), 1e-12)
    return PairSet("se_se", seen[a], seen[b], score.astype(np.float32), pos & (sub[a, b] > 0))


def drug_se_pairs(R: np.ndarray, train_idx: np.ndarray, per_anchor: int, rng: np.random.Generator) -> PairSet:
    """Cross-modal pairs: known pairs scored class/5 (the middle class without one), unknown pairs
    (negatives) scored 0."""
    R_tr = on_class_scale(R[train_idx])
    a_list, b_list, s_list, p_list = [], [], [], []
    n_se = R_tr.shape[1]
    for row, drug in zip(R_tr, train_idx):
        known = np.flatnonzero(row)
        if len(known) == 0:
            continue
        k = min(len(known), max(1, per_anchor // 2))
        pos = rng.choice(known, size=k, replace=False)
        neg = rng.integers(0, n_se, size=per_anchor - k)
        neg = neg[row[neg] == 0]
        b = np.concatenate([pos, neg])
        a_list.append(np.full(len(b), drug))
        b_list.append(b)
        s_list.append(to_fraction(row[b]))
        p_list.append(np.arange(len(b)) == 0)
    return PairSet(
        "drug_se",
        np.concatenate(a_list),
        np.concatenate(b_list),
        np.concatenate(s_list).astype(np.float32),
        np.concatenate(p_list),
    )


BUILDERS = {"drug_drug": drug_drug_pairs, "se_se": se_se_pairs, "drug_se": drug_se_pairs}


def build_pairs(R: np.ndarray, train_idx: np.ndarray, kinds: list[str], per_anchor: int, seed: int) -> list[PairSet]:
    rng = np.random.default_rng(seed)
    train_idx = np.asarray(train_idx)
    return [BUILDERS[k](R, train_idx, per_anchor, rng) for k in kinds]
