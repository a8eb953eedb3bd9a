"""Seeded cold-start folds over drugs, and validation drugs carved from each training set."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import KFold


def cold_folds(n_drugs: int, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train drugs, test drugs) per fold; every drug is tested exactly once."""
    kf = KFold(n_splits=folds, shuffle=True, random_state=seed)
    return [(np.sort(tr), np.sort(te)) for tr, te in kf.split(np.arange(n_drugs))]


def carve_validation(train_idx: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(fit drugs, validation drugs): validation drugs are training drugs held out for model selection."""
    rng = np.random.default_rng(seed)
    n_val = max(1, int(round(fraction * len(train_idx))))
    perm = rng.permutation(train_idx)
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])


def sample_negatives(R: np.ndarray, drugs: np.ndarray, ratio: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Unknown pairs of the same drugs, about `ratio` per known pair of each drug (vectorised)."""
    sub = R[drugs] == 0
    counts = np.round((R[drugs] > 0).sum(1) * ratio).astype(int)
    d_out, s_out = [], []
    for row, (drug, n) in enumerate(zip(drugs, counts)):
        free = np.flatnonzero(sub[row])
        if n and len(free):
            pick = rng.choice(free, size=min(n, len(free)), replace=False)
            d_out.append(np.full(len(pick), drug))
            s_out.append(pick)
    if not d_out:
        return np.zeros(0, int), np.zeros(0, int)
    return np.concatenate(d_out), np.concatenate(s_out)
