"""The numpy pieces of torch-free inference (`portable`): eval-mode layers, the query graph of new
molecules, and one explanation from the numbers the forward produced."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .explanation import Explanation, explanation_of


def layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def gelu(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf

    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def logit(p: np.ndarray) -> np.ndarray:
    return np.log(p) - np.log1p(-p)


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0)


@dataclass
class QueryGraph:
    """New molecules linked to the n support drugs: what scoring and explaining read.
    x: [m, d] their drug vectors (after the tower); S_rows: [m, n] each molecule's similarity to
    the support drugs (the one the model links by); nbr / nbr_sim: [m, k] its kNN support drugs
    and their similarity (None without kNN edges); fingerprints: [m, bits] or None; atc /
    proteins: per molecule its knowledge ([] = none)."""

    smiles: list[str]
    x: np.ndarray
    S_rows: np.ndarray
    nbr: np.ndarray | None
    nbr_sim: np.ndarray | None
    fingerprints: np.ndarray | None
    atc: list[list[str]]
    proteins: list[list[str]]
    n_support: int


def explanation(
    sup, qg: QueryGraph, out: dict, pair: dict, i: int, s: int, w: np.ndarray, know: dict, share
) -> Explanation:
    """Molecule i's `Explanation` of side effect s from the decoder outputs `out` and pair features
    `pair` (each [m, n_se]): `explanation.explanation_of`, as the torch path builds it."""
    named = {k: float(v[i, s]) for k, v in pair.items()}
    scores = (float(out[h][i, s]) for h in ("assoc", "dshf", "dsf"))
    return explanation_of(sup, s, named, *scores, w, qg.S_rows[i], know, share)
