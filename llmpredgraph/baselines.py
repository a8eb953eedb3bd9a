"""Classic baselines as score matrices over (query drugs x side effects), from training rows only."""

from __future__ import annotations

import numpy as np
import torch

from .decomposition import galeano
from .frequency import classes_only, is_high
from .graph.offsets import offset_residuals, read_offsets, ridge_bias
from .graph.similarity import own_assoc_kernel


def _se_stats(R_train: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per side effect: mean class and high-frequency share over the pairs with a class, and the
    share of rows that have it at all (LISTED pairs count for popularity only)."""
    C = classes_only(R_train)
    known = C > 0
    cnt = known.sum(0)
    global_mean = C[known].mean() if known.any() else 3.0
    mean = np.where(cnt > 0, C.sum(0) / np.maximum(cnt, 1), global_mean)
    high = np.where(cnt > 0, is_high(C).sum(0) / np.maximum(cnt, 1), is_high(C[known]).mean() if known.any() else 0.5)
    pop = (R_train > 0).sum(0) / max(len(R_train), 1)
    return mean, high, pop


def se_mean(R: np.ndarray, train_idx: np.ndarray, query_idx: np.ndarray, **_) -> dict[str, np.ndarray]:
    """Side-effect mean class (DSF), its high-frequency share (DSHF) and popularity (association)."""
    mean, high, pop = _se_stats(R[train_idx])
    n = len(query_idx)
    return {"dsf": np.tile(mean, (n, 1)), "dshf": np.tile(high, (n, 1)), "assoc": np.tile(pop, (n, 1))}


def _neighbours(
    similarity: np.ndarray, train_idx: np.ndarray, query_idx: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Positions (in train_idx) of each query drug's k most similar training drugs (k = 0: all of
    them), never itself, and their similarities (floored at 1e-6 so they can weight)."""
    S = similarity[np.ix_(query_idx, train_idx)]
    S = np.where(np.asarray(query_idx)[:, None] == np.asarray(train_idx)[None, :], -1, S)
    nbr = np.argsort(-S, axis=1)[:, : (k or S.shape[1])]
    return nbr, np.take_along_axis(S, nbr, axis=1).clip(min=1e-6)


def neighbour_weights(
    similarity: np.ndarray, train_idx: np.ndarray, query_idx: np.ndarray, k: int, power: float = 1.0
) -> np.ndarray:
    """[n_query, n_train] row-normalised weights: similarity ** power over each query drug's k most
    similar training drugs (k = 0: every training drug), 0 elsewhere. power > 1 sharpens the kernel
    towards the nearest drugs while the far ones still vote a little."""
    nbr, W = _neighbours(similarity, train_idx, query_idx, k)
    W = np.where(np.asarray(train_idx)[nbr] == np.asarray(query_idx)[:, None], 0.0, W**power)  # never itself
    L = np.zeros((len(query_idx), len(train_idx)))
    np.put_along_axis(L, nbr, W / W.sum(1, keepdims=True), axis=1)
    return L


def knn_fp(
    R: np.ndarray, train_idx: np.ndarray, query_idx: np.ndarray, similarity: np.ndarray, k: int = 10, **_
) -> dict[str, np.ndarray]:
    """k nearest training drugs by `similarity` [n_drug, n_drug] (Tanimoto on Morgan fingerprints),
    similarity-weighted."""
    R_tr = classes_only(R[train_idx]).astype(float)
    mean, high, _ = _se_stats(R[train_idx])
    nbr, W = _neighbours(similarity, train_idx, query_idx, k)
    known = (R_tr > 0)[nbr]  # (n, k, n_se) pairs with a class
    w = W[:, :, None]
    has = (w * known).sum(1)
    cls_sum = (w * R_tr[nbr]).sum(1)
    hi_sum = (w * is_high(R_tr[nbr])).sum(1)
    dsf = np.where(has > 0, cls_sum / np.maximum(has, 1e-12), mean[None, :])
    dshf = np.where(has > 0, hi_sum / np.maximum(has, 1e-12), high[None, :])
    assoc = (w * (R[train_idx] > 0)[nbr]).sum(1) / W.sum(1, keepdims=True)
    return {"dsf": dsf, "dshf": dshf, "assoc": assoc}


def additive_bias(
    Y: np.ndarray, known: np.ndarray, lam: float = 5.0, iters: int = 20
) -> tuple[float, np.ndarray, np.ndarray]:
    """Fit Y ~ mu + b_drug + b_se on the known cells by alternating ridge updates (shrinkage lam)."""
    mu, bd, bs = ridge_bias(_t(Y), _t(known), lam, iters)
    return float(mu), bd.numpy(), bs.numpy()


def _t(x: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(np.asarray(x, dtype=np.float64))


def bias(R: np.ndarray, train_idx: np.ndarray, query_idx: np.ndarray, lam: float = 5.0, **_) -> dict[str, np.ndarray]:
    """Drug + side-effect bias (warm protocol: the query drugs' other pairs are among the training rows).

    DSF: mu + b_drug + b_se fitted on the classes; DSHF: the same on the high-frequency indicator;
    association: product of the drug's and the side effect's share of known pairs.
    """
    R_tr = classes_only(R[train_idx]).astype(float)
    known, listed = R_tr > 0, R[train_idx] > 0
    where = {d: i for i, d in enumerate(np.asarray(train_idx))}
    rows = np.array([where.get(d, -1) for d in np.asarray(query_idx)])
    out = {}
    for key, Y in (("dsf", R_tr), ("dshf", is_high(R_tr).astype(float))):
        mu, bd, bs = additive_bias(Y, known, lam)
        b = np.where(rows >= 0, bd[np.maximum(rows, 0)], 0.0)  # an unseen drug has no bias
        out[key] = mu + b[:, None] + bs[None, :]
    out["dshf"] = out["dshf"].clip(0, 1)
    deg_d = np.where(rows >= 0, listed.sum(1)[np.maximum(rows, 0)], 0) / listed.shape[1]
    out["assoc"] = deg_d[:, None] * (listed.sum(0) / max(len(R_tr), 1))[None, :]
    return out


def _votes(memo: dict, similarity, train_idx, query_idx, k: int, power: float) -> tuple[np.ndarray, np.ndarray]:
    """(neighbour weights [n_query, n_train], their weighted share with each side effect [n_query, n_se])
    of one kernel, kept in `memo` per (similarity, k, power): neither depends on lam or shrink."""
    key = ("share", id(similarity), k, power)
    if key not in memo or memo[key][0] is not similarity:  # the entry holds its matrix: an id is never reused
        L = neighbour_weights(similarity, train_idx, query_idx, k, power)
        memo[key] = (similarity, L, L @ memo["rows"][0])
    return memo[key][1:]


def _frequency_weights(memo: dict, similarity, train_idx, query_idx, k: int, power: float) -> np.ndarray:
    """[n_query, n_with_class] the frequency heads' neighbour weights: the k most similar training
    drugs with a class (every training drug's votes when all have one), kept in `memo` like `_votes`."""
    with_class = memo["rows"][1]
    if with_class.all():
        return _votes(memo, similarity, train_idx, query_idx, k, power)[0]
    key = ("neighbours", id(similarity), k, power)
    if key not in memo or memo[key][0] is not similarity:
        memo[key] = (similarity, neighbour_weights(similarity, train_idx[with_class], query_idx, k, power))
    return memo[key][1]


def knn_offset(
    R: np.ndarray,
    train_idx: np.ndarray,
    query_idx: np.ndarray,
    similarity: np.ndarray,
    k: int = 10,
    lam: float = 20.0,
    shrink: float = 1.0,
    power: float = 1.0,
    assoc_k: int | None = None,
    assoc_power: float | None = None,
    cache: dict | None = None,
    **_,
) -> dict[str, np.ndarray]:
    """mu + b_se + the neighbours' mean drug offset + their shrunk mean residual on the side effect,
    the neighbours being the k most similar training drugs (k = 0: all) weighted by similarity ** power
    (`neighbour_weights`). The bias model is fitted on training rows only; DSHF is the same model on
    the high-frequency indicator; association is the neighbours' weighted share with the side effect,
    over the assoc_k most similar drugs weighted by similarity ** assoc_power (None: k and power, one
    kernel for every head; association then gets its own, chosen on its own criterion).
    Training drugs with label mentions only (no class) vote on association, not on frequency: the
    frequency neighbours are the k most similar drugs with a class.
    cache: a dict shared by calls on the same R, train_idx and query_idx only (one fold's knob grid):
    the bias fits are kept per lam and the neighbour weights and shares per (similarity, k, power),
    the same numbers without recomputing them for every other knob."""
    memo = cache if cache is not None else {}
    train_idx = np.asarray(train_idx)
    if "rows" not in memo:
        R_tr = classes_only(R[train_idx]).astype(float)
        with_class = (R_tr > 0).any(1)
        R_f = R_tr[with_class]
        memo["rows"] = (R[train_idx] > 0, with_class, R_f > 0, {"dsf": R_f, "dshf": is_high(R_f).astype(float)})
    known, Ys = memo["rows"][2:]
    Lf = _frequency_weights(memo, similarity, train_idx, query_idx, k, power)
    kernel = own_assoc_kernel(k, power, assoc_k, assoc_power) or (k, power)  # association's own, if any
    share = _votes(memo, similarity, train_idx, query_idx, *kernel)[1]
    out = {}
    for key, Y in Ys.items():
        if (key, lam) not in memo:
            memo[(key, lam)] = offset_residuals(_t(Y), _t(known), lam)
        mu, _, bs, nb_off, res = read_offsets(memo[(key, lam)], _t(Lf), shrink)
        out[key] = (mu + bs[None, :] + nb_off[:, None] + res).numpy()
    out["dshf"] = out["dshf"].clip(0, 1)
    out["assoc"] = share.copy()
    return out


BASELINES = {
    "se_mean": se_mean,
    "knn_fp": knn_fp,
    "bias": bias,
    "galeano": galeano,  # Galeano et al.'s matrix decomposition (warm only)
    "knn_offset": knn_offset,
    "knn_offset_combined": knn_offset,  # the same model on the combined similarity
}
# Channel weights of each neighbour baseline's similarity; knobs w_atc / w_target override them.
SIMILARITY = {
    "knn_fp": {"structure": 1.0},
    "knn_offset": {"structure": 1.0},
    "knn_offset_combined": {"structure": 1.0, "atc": 1.0, "target": 1.0},
}


def run_baseline(
    name: str, R: np.ndarray, train_idx: np.ndarray, query_idx: np.ndarray, inputs, **knobs
) -> dict[str, np.ndarray]:
    """Score matrices of baseline `name`; neighbour baselines rank by `inputs.similarity(weights)`
    (Tanimoto, or the combined structure/ATC/target similarity for knn_offset_combined). A `cache`
    knob (a dict) shared by the calls of one fold's knob grid keeps work that the knobs do not change."""
    if name in SIMILARITY:
        weights = dict(SIMILARITY[name])
        for channel in ("atc", "target"):
            if f"w_{channel}" in knobs:
                weights[channel] = float(knobs.pop(f"w_{channel}"))
        others = knobs.pop("w_fp", None)  # the structure fingerprints' weight after the first
        memo, key = knobs.get("cache"), ("similarity", others, *sorted(weights.items()))
        if memo is not None and key in memo:
            knobs["similarity"] = memo[key]
        else:
            knobs["similarity"] = inputs.similarity(weights, others)
            if memo is not None:  # a knob grid: each channel weighting is built once
                memo[key] = knobs["similarity"]
    return BASELINES[name](R, train_idx, query_idx, **knobs)
