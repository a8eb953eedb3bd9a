"""The numpy pieces of torch-free inference (`portable`): eval-mode layers, the query graph of new
molecules, and one explanation from the numbers the forward produced."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..frequency import uncentre, unscale_offset
from .explanation import Evidence, Explanation, evidence


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
    `pair` (each [m, n_se]), the prior votes w [n], the similarity channels `know` and the ATC-class
    `share`: the same numbers as `pipeline.explain._explain_row`."""
    nan = float("nan")
    p_assoc = float(pair["assoc_prior"][i, s]) if "assoc_prior" in pair else nan
    logit_p = float(logit(np.clip(p_assoc, 1e-3, 1 - 1e-3))) if p_assoc == p_assoc else 0.0
    dsf_prior = float(uncentre(pair["dsf_prior"][i, s])) if "dsf_prior" in pair else nan
    off = float(unscale_offset(pair["neighbour_offset"][i, s])) if "neighbour_offset" in pair else 0.0
    res = float(unscale_offset(pair["neighbour_residual"][i, s])) if "neighbour_residual" in pair else 0.0
    dsf = float(out["dsf"][i, s])
    voters = np.flatnonzero((w > 0) & (sup.R[:, s] > 0))
    voters = voters[np.argsort(-w[voters], kind="stable")]
    ev: list[Evidence] = [evidence(sup, qg.S_rows[i], j, s, w[j], know) for j in voters]
    return Explanation(
        sup.se_names[s],
        p_assoc,
        float(out["assoc"][i, s]) - logit_p,
        float(sigmoid(out["assoc"][i, s])),
        dsf_prior - off - res,
        off,
        res,
        dsf_prior,
        dsf - dsf_prior,
        dsf,
        float(pair["dshf_prior"][i, s]) if "dshf_prior" in pair else nan,
        float(sigmoid(out["dshf"][i, s])),
        ev,
        None if share is None else (share[0], float(share[1][s]), share[2]),
    )
