"""Seeded folds: cold (over drugs) and warm (over known pairs), validation carved from training, negatives."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import GroupKFold, KFold


def cold_folds(
    n_drugs: int, folds: int, seed: int, groups: np.ndarray | None = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train drugs, test drugs) per fold; every drug is tested exactly once. With `groups`, drugs of
    one group always share a fold (shuffled GroupKFold); without, a plain shuffled KFold."""
    if groups is None:
        kf = KFold(n_splits=folds, shuffle=True, random_state=seed)
        return [(np.sort(tr), np.sort(te)) for tr, te in kf.split(np.arange(n_drugs))]
    gkf = GroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    return [(np.sort(tr), np.sort(te)) for tr, te in gkf.split(np.arange(n_drugs), groups=groups)]


def carve_validation(
    train_idx: np.ndarray, fraction: float, seed: int, groups: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(fit drugs, validation drugs): validation drugs are training drugs held out for model selection.

    With `groups` ([n_drug], the protocol's structure or scaffold groups), whole groups are drawn in a
    seeded random order until about `fraction` of the drugs are reached, so validation is split the
    way the outer folds are and no validation drug shares a group with a fit drug."""
    rng = np.random.default_rng(seed)
    train_idx = np.asarray(train_idx)
    n_val = max(1, int(round(fraction * len(train_idx))))
    if groups is None:
        perm = rng.permutation(train_idx)
        return np.sort(perm[n_val:]), np.sort(perm[:n_val])
    g = np.asarray(groups)[train_idx]
    order = rng.permutation(np.unique(g))
    sizes = np.array([(g == x).sum() for x in order])
    n_groups = min(int(np.searchsorted(np.cumsum(sizes), n_val)) + 1, len(order) - 1)  # a fit group stays
    val = np.isin(g, order[: max(n_groups, 1)])
    return np.sort(train_idx[~val]), np.sort(train_idx[val])


def sample_negatives(
    R: np.ndarray, drugs: np.ndarray, ratio: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Unknown pairs of the same drugs, about `ratio` per known pair of each drug."""
    counts = np.round((R[drugs] > 0).sum(1) * ratio).astype(int)
    r, c = sample_unknown(R[drugs] == 0, np.arange(len(drugs)), counts, rng)
    return np.asarray(drugs)[r], c


def warm_folds(R: np.ndarray, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train pairs, test pairs) per fold over known pairs; each pair is an (n, 2) array of (drug, side effect)."""
    pairs = np.argwhere(R > 0)
    kf = KFold(n_splits=folds, shuffle=True, random_state=seed)
    return [(pairs[np.sort(tr)], pairs[np.sort(te)]) for tr, te in kf.split(pairs)]


def carve_validation_pairs(train_pairs: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(fit pairs, validation pairs): validation pairs are training pairs held out for model selection."""
    rng = np.random.default_rng(seed)
    n_val = max(1, int(round(fraction * len(train_pairs))))
    perm = rng.permutation(len(train_pairs))
    return train_pairs[np.sort(perm[n_val:])], train_pairs[np.sort(perm[:n_val])]


def hide_pairs(R: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """A copy of R with `pairs` set to unknown (0): what the graph and the features may see."""
    out = R.copy()
    out[pairs[:, 0], pairs[:, 1]] = 0
    return out


def only_pairs(R: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """A matrix holding R's classes on `pairs` and 0 elsewhere (the labels to predict)."""
    out = np.zeros_like(R)
    out[pairs[:, 0], pairs[:, 1]] = R[pairs[:, 0], pairs[:, 1]]
    return out


def sample_unknown(
    unknown: np.ndarray, rows: np.ndarray, counts: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """For each row r (of boolean matrix `unknown`), draw counts[r] distinct cells where unknown is True."""
    d_out, s_out = [], []
    for r, n in zip(rows, counts):
        free = np.flatnonzero(unknown[r])
        if n and len(free):
            pick = rng.choice(free, size=min(int(n), len(free)), replace=False)
            d_out.append(np.full(len(pick), r))
            s_out.append(pick)
    if not d_out:
        return np.zeros(0, int), np.zeros(0, int)
    return np.concatenate(d_out), np.concatenate(s_out)


def hide_rows(R: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """A copy of R with the given drugs' rows set to unknown (0): a cold fold's training matrix."""
    out = R.copy()
    out[np.asarray(rows, dtype=np.int64)] = 0
    return out
