"""Galeano et al.'s matrix decomposition (Nat. Commun. 2020, "Predicting the frequencies of drug
side effects"): the benchmark's own warm method, ported to numpy as a warm baseline.

The paper fits non-negative drug signatures W [n_drug, k] and side-effect signatures H [k, n_se]:

    min_{W, H >= 0}  1/2 || O * (R - W H) ||^2  +  alpha/2 || U * (W H) ||^2

O marks the pairs with a frequency class (R in 1..5), U the unobserved pairs (R = 0), alpha the
confidence that an unobserved pair is not a side effect. Multiplicative updates keep W and H
non-negative; each H row is scaled to unit norm after its update; the fit stops when no entry of W
or H moves by more than `tol` of its factor's largest entry, or after `max_iter` updates. Their
published settings are k = 10, alpha = 0.05. The score W H is on the class scale: the DSF
prediction, and for association the score of being a side effect at all.
"""

from __future__ import annotations

import numpy as np

from .frequency import LISTED, classes_only

HIGH_BOUNDARY = 3.25  # the paper's score boundary between classes 3 and 4 (predicted class >= 4 above it)


def decompose(
    R: np.ndarray, k: int = 10, alpha: float = 0.05, seed: int = 0, tol: float = 1e-3, max_iter: int = 2000
) -> tuple[np.ndarray, np.ndarray, int]:
    """(W [n_drug, k], H [k, n_se], updates run) fitted on R [n_drug, n_se] (classes 1..5, 0
    unobserved). LISTED cells (a label mention without a class) are left out of the objective: they
    are neither a class nor an unobserved pair. Initial factors: uniform on [0, 0.1), H rows at unit norm."""
    R = np.asarray(R)
    C = classes_only(R).astype(np.float64)
    weight = np.where(C > 0, 1.0, np.where(R == LISTED, 0.0, alpha))  # O + alpha U
    rng = np.random.default_rng(seed)
    W = rng.random((R.shape[0], k)) * 0.1
    H = _unit_rows(rng.random((k, R.shape[1])) * 0.1)
    target = weight * C  # O * R (C is 0 off O)
    eps = np.sqrt(np.finfo(float).eps)
    for it in range(1, max_iter + 1):
        num = target @ H.T
        W_new = np.maximum(0.0, W * num / ((weight * (W @ H)) @ H.T + np.spacing(num)))
        num = W_new.T @ target
        H_new = np.maximum(0.0, H * num / (W_new.T @ (weight * (W_new @ H)) + np.spacing(num)))
        delta = max(
            np.abs(W_new - W).max() / (eps + np.abs(W).max()), np.abs(H_new - H).max() / (eps + np.abs(H).max())
        )
        if it > 1 and delta <= tol:
            break
        W, H = W_new, _unit_rows(H_new)
    return W_new, H_new, it  # the last update's pair (H as updated, before scaling), as the paper returns it


def _unit_rows(H: np.ndarray) -> np.ndarray:
    return H / np.maximum(np.linalg.norm(H, axis=1, keepdims=True), 1e-300)


def galeano(
    R: np.ndarray,
    train_idx: np.ndarray,
    query_idx: np.ndarray,
    k: int = 10,
    alpha: float = 0.05,
    seed: int = 0,
    **_,
) -> dict[str, np.ndarray]:
    """Warm baseline: the decomposition of the training rows (held-out pairs are 0 there, i.e.
    unobserved), read at the query drugs' rows. DSF and association: the score W H; DSHF: the score
    through a logistic step at the paper's class 3 / 4 boundary, so its 0.5 threshold is their
    predicted class >= 4 (a monotone map: its AUROC is the score's)."""
    train_idx, query_idx = np.asarray(train_idx), np.asarray(query_idx)
    W, H, _ = decompose(R[train_idx], k, alpha, seed)
    where = {d: i for i, d in enumerate(train_idx)}
    rows = np.array([where.get(int(d), -1) for d in query_idx])
    if (rows < 0).any():
        raise ValueError("the decomposition scores training drugs only (warm protocol); a query drug has no row")
    score = W[rows] @ H
    return {"dsf": score, "dshf": 1.0 / (1.0 + np.exp(-(score - HIGH_BOUNDARY) / 0.25)), "assoc": score}
