"""Classic baselines as score matrices over (query drugs x side effects), from training rows only."""

from __future__ import annotations

import numpy as np

from .metrics import HIGH  # noqa: E402


def _se_stats(R_train: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    known = R_train > 0
    cnt = known.sum(0)
    global_mean = R_train[known].mean() if known.any() else 3.0
    mean = np.where(cnt > 0, R_train.sum(0) / np.maximum(cnt, 1), global_mean)
    high = np.where(cnt > 0, (R_train >= HIGH).sum(0) / np.maximum(cnt, 1), (R_train[known] >= HIGH).mean() if known.any() else 0.5)
    pop = cnt / max(len(R_train), 1)
    return mean, high, pop


def se_mean(R: np.ndarray, train_idx: np.ndarray, query_idx: np.ndarray, **_) -> dict[str, np.ndarray]:
    """Side-effect mean class (DSF), its high-frequency share (DSHF) and popularity (association)."""
    mean, high, pop = _se_stats(R[train_idx])
    n = len(query_idx)
    return {"dsf": np.tile(mean, (n, 1)), "dshf": np.tile(high, (n, 1)), "assoc": np.tile(pop, (n, 1))}


def knn_fp(R: np.ndarray, train_idx: np.ndarray, query_idx: np.ndarray, tanimoto: np.ndarray, k: int = 10, **_) -> dict[str, np.ndarray]:
    """k nearest training drugs by Tanimoto on Morgan fingerprints, similarity-weighted."""
    R_tr = R[train_idx].astype(float)
    mean, high, _ = _se_stats(R[train_idx])
    S = tanimoto[np.ix_(query_idx, train_idx)]
    S = np.where(np.asarray(query_idx)[:, None] == np.asarray(train_idx)[None, :], -1, S)
    nbr = np.argsort(-S, axis=1)[:, :k]
    W = np.take_along_axis(S, nbr, axis=1).clip(min=1e-6)
    known = (R_tr > 0)[nbr]  # (n, k, n_se)
    w = W[:, :, None]
    has = (w * known).sum(1)
    cls_sum = (w * R_tr[nbr]).sum(1)
    hi_sum = (w * (R_tr[nbr] >= HIGH)).sum(1)
    dsf = np.where(has > 0, cls_sum / np.maximum(has, 1e-12), mean[None, :])
    dshf = np.where(has > 0, hi_sum / np.maximum(has, 1e-12), high[None, :])
    assoc = has / W.sum(1, keepdims=True)
    return {"dsf": dsf, "dshf": dshf, "assoc": assoc}


BASELINES = {"se_mean": se_mean, "knn_fp": knn_fp}
