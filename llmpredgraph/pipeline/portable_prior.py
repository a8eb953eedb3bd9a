"""The neighbour priors of torch-free inference, as plain numpy (`PortableModel`'s votes and offsets).

They mirror `LabelPropagation._prior_weights` and `_offset_prior` for rows without labels (a new
molecule only receives votes), so `PortableModel` and the torch `Pipeline` give the same priors.
"""

from __future__ import annotations

import numpy as np

from ..graph.similarity import stable_top
from .portable_layers import QueryGraph


def prior_votes(
    P: dict, qg: QueryGraph, voters: np.ndarray | None = None, kernel: tuple[int | None, float] | None = None
) -> np.ndarray | None:
    """[m, n] row-normalised prior votes of the support drugs (`LabelPropagation._prior_weights`,
    ties among equal similarities to the lower support index). P: the export's propagation spec;
    voters [m, n] bool: who may vote; kernel: (k, power) instead of P's (the association share's own)."""
    n, m = qg.n_support, len(qg.smiles)
    k, power = kernel if kernel is not None else (P["k"], P["power"])
    if k is None:
        if qg.nbr is None:
            return None
        W = np.zeros((m, n), dtype=np.float32)
        np.put_along_axis(W, qg.nbr, np.maximum(qg.nbr_sim, 1e-6) ** power, axis=1)
        W = W if voters is None else W * voters
    else:
        S = qg.S_rows if voters is None else np.where(voters, qg.S_rows, -np.inf)
        ok = np.isfinite(S)
        W = np.where(ok, np.maximum(S, 1e-6), 0.0).astype(np.float32) ** power * ok
        if k and k < n:
            idx = stable_top(S, k)
            kept = np.zeros_like(W)
            np.put_along_axis(kept, idx, np.take_along_axis(W, idx, 1), 1)
            W = kept
    return W / np.maximum(W.sum(1, keepdims=True), 1e-12)


def offset_prior(a: dict, fit: str, L: np.ndarray | None, m: int, kc: np.ndarray, resid_shrink: float):
    """(prior [m, n_se], neighbours' drug offset [m], their shrunk residual [m, n_se]) from the
    support's ridge fit `fit` in the arrays a ('fit': the classes; 'high': class >= 4), with the
    votes L [m, n] (None: no neighbours) and the support's has-a-class mask kc [n, n_se]:

        prior = mu + b_se + L b_drug + (L E) / (L kc + resid_shrink)
    """
    mu, bd, bs, E = a[f"{fit}_mu"], a[f"{fit}_bd"], a[f"{fit}_bs"], a[f"{fit}_E"]
    if L is None:
        nb_off, res = np.zeros(m, dtype=np.float32), np.zeros((m, len(bs)), dtype=np.float32)
    else:
        nb_off, res = L @ bd, (L @ E) / (L @ kc + resid_shrink)
    return mu + bs[None, :] + nb_off[:, None] + res, nb_off, res
