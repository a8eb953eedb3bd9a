"""Metric functions (pure) and the per-fold evaluation of score matrices."""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata, spearmanr
from sklearn.metrics import average_precision_score, f1_score, roc_auc_score

from ..frequency import classes_only, clip_class, is_high
from .registry import PER_DRUG


def dsf_metrics(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Spearman, RMSE and MAE of frequency-class predictions (clipped to 1..5)."""
    p = clip_class(pred)
    scc = spearmanr(y, p)[0] if len(np.unique(y)) > 1 and len(np.unique(p)) > 1 else float("nan")
    return {"scc": float(scc), "rmse": float(np.sqrt(np.mean((y - p) ** 2))), "mae": float(np.mean(np.abs(y - p)))}


def binary_metrics(y: np.ndarray, score: np.ndarray, prob: bool = True) -> dict[str, float]:
    """AUROC and AUPRC; accuracy and F1 at 0.5 when `score` is a probability."""
    y = np.asarray(y).astype(int)
    out = {"auroc": float("nan"), "auprc": float("nan")}
    if len(np.unique(y)) == 2:
        out = {"auroc": float(roc_auc_score(y, score)), "auprc": float(average_precision_score(y, score))}
    if prob:
        hard = (np.asarray(score) >= 0.5).astype(int)
        out["acc"] = float((hard == y).mean())
        out["f1"] = float(f1_score(y, hard, zero_division=0))
    return out


def per_drug_mean(drug: np.ndarray, fn, *cols: np.ndarray) -> float:
    """Mean of fn over drugs (drugs where fn is undefined are skipped)."""
    vals = []
    for d in np.unique(drug):
        m = drug == d
        v = fn(*(c[m] for c in cols))
        if np.isfinite(v):
            vals.append(v)
    return float(np.mean(vals)) if vals else float("nan")


def _scc(y, p):
    return dsf_metrics(y, p)["scc"]


def rank_auroc(y: np.ndarray, s: np.ndarray) -> float:
    """AUROC by the rank-sum (Mann-Whitney) formula, ties counted half: (R+ - n+(n+ + 1)/2) / (n+ n-),
    R+ the sum of the positives' mid-ranks; nan when y has one class. Same as sklearn, faster in loops."""
    y = np.asarray(y, dtype=bool)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    r = rankdata(s)
    return float((r[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def popularity_bins(popularity: np.ndarray, bins: int = 10) -> np.ndarray:
    """[n_se] bin of each side effect: `bins` equal-count groups by training popularity (rank order,
    ties broken by column index, so the bins are fixed by the training labels alone)."""
    order = np.argsort(popularity, kind="stable")
    out = np.empty(len(popularity), dtype=np.int64)
    out[order] = np.arange(len(popularity)) * bins // max(len(popularity), 1)
    return out


def ranking_metrics(
    assoc: np.ndarray,
    R_test: np.ndarray,
    popularity: np.ndarray | None = None,
    ignore: np.ndarray | None = None,
    k: int = 10,
    bins: int = 10,
) -> dict[str, float]:
    """How well each test drug's association scores rank its held-out side effects among *all* its
    unknown pairs (cells in `ignore` are neither: warm training pairs).

    assoc, R_test: [m, n_se]; popularity: [n_se] training share of drugs with each side effect.
    - assoc_auroc_per_drug: AUROC within each drug (held-out vs every unknown), averaged over drugs;
    - assoc_auroc_strat: side effects in `bins` popularity bins; per bin the AUROC pooled over test
      drugs, then averaged over bins. Popularity alone scores about 0.5: this is the drug-specific signal;
    - assoc_precision_at_k / assoc_recall_at_k: per drug, hits among its k top-scored side effects
      over k / over its held-out count, averaged over drugs with a held-out pair."""
    pos = R_test > 0
    valid = np.ones_like(pos) if ignore is None else ~np.asarray(ignore, dtype=bool)
    per_drug, prec, rec = [], [], []
    for i in range(len(pos)):
        y, s = pos[i][valid[i]], assoc[i][valid[i]]
        if not y.any():
            continue
        per_drug.append(rank_auroc(y, s))
        top = np.argsort(-s, kind="stable")[:k]
        hits = float(y[top].sum())
        prec.append(hits / k)
        rec.append(hits / y.sum())
    mean = lambda v: float(np.nanmean(v)) if len(v) else float("nan")  # noqa: E731
    out = {
        "assoc_auroc_per_drug": mean(per_drug),
        f"assoc_precision_at_{k}": mean(prec),
        f"assoc_recall_at_{k}": mean(rec),
        "assoc_auroc_strat": float("nan"),
    }
    if popularity is not None:
        b = np.broadcast_to(popularity_bins(np.asarray(popularity), bins)[None, :], pos.shape)
        aucs = [rank_auroc(pos[valid & (b == j)], assoc[valid & (b == j)]) for j in range(bins)]
        out["assoc_auroc_strat"] = mean(aucs)
    return out


def association_criterion(
    assoc: np.ndarray, R_test: np.ndarray, popularity: np.ndarray, ignore: np.ndarray | None = None
) -> float:
    """Validation criterion of association's own neighbour kernel (knobs assoc_k, assoc_power): the
    mean of per-drug and stratified AUROC (`ranking_metrics`) of the held-out drugs' labelled cells
    (every R_test > 0, listed or with a class: what the association head learns). Both ask what a
    user asks, which side effects are specific to this drug; assoc_auroc_all, pooled over drugs, also
    rewards ranking drugs by their number of side effects. popularity: the fit drugs' share."""
    m = ranking_metrics(assoc, R_test, popularity, ignore)
    return 0.5 * (m["assoc_auroc_per_drug"] + m["assoc_auroc_strat"])


def selection_metrics(pred: dict[str, np.ndarray], R_test: np.ndarray, ignore: np.ndarray | None = None) -> dict:
    """Only the metrics the validation criterion averages (registry role 'selection'), as `evaluate`
    computes them but without the sampled negatives and the costlier extras: validation runs every
    few epochs and for every candidate knob setting. R_test may hold LISTED cells: the frequency
    metrics read its classes, association every labelled cell (what the association head learns)."""
    r, c = np.nonzero(classes_only(R_test))
    y = R_test[r, c].astype(float)
    keep = ~ignore.ravel() if ignore is not None else slice(None)
    return {
        "dsf_scc": dsf_metrics(y, pred["dsf"][r, c])["scc"],
        "dshf_auroc": rank_auroc(is_high(y), pred["dshf"][r, c]),
        "assoc_auroc_all": rank_auroc((R_test > 0).ravel()[keep], pred["assoc"].ravel()[keep]),
    }


def evaluate(
    pred: dict[str, np.ndarray],
    R_test: np.ndarray,
    neg_rows: np.ndarray,
    neg_cols: np.ndarray,
    per_drug: bool = True,
    ignore: np.ndarray | None = None,
    popularity: np.ndarray | None = None,
) -> dict[str, float]:
    """Metrics from score matrices over (test drugs x side effects).

    pred: 'dsf' (class), 'dshf' (probability of class >= 4), 'assoc' (score of being known).
    R_test: classes of the held-out pairs, 0 elsewhere.
    neg_rows/neg_cols: the sampled 1:1 unknown pairs (rows index into R_test).
    ignore: cells that are neither held out nor unknown (warm: the training pairs), left out of
    the all-unknowns AUROC and the rankings.
    popularity: [n_se] training popularity of each side effect (the stratified AUROC's bins).
    """
    r, c = np.nonzero(R_test)
    y = R_test[r, c].astype(float)
    out = {f"dsf_{k}": v for k, v in dsf_metrics(y, pred["dsf"][r, c]).items()}
    out.update({f"dshf_{k}": v for k, v in binary_metrics(is_high(y), pred["dshf"][r, c]).items()})
    rows = np.concatenate([r, neg_rows])
    cols = np.concatenate([c, neg_cols])
    lab = np.concatenate([np.ones(len(r)), np.zeros(len(neg_rows))])
    a = binary_metrics(lab, pred["assoc"][rows, cols], prob=False)
    out["assoc_auroc"], out["assoc_auprc"] = a["auroc"], a["auprc"]
    keep = ~ignore.ravel() if ignore is not None else slice(None)
    out["assoc_auroc_all"] = binary_metrics((R_test > 0).ravel()[keep], pred["assoc"].ravel()[keep], prob=False)[
        "auroc"
    ]
    if per_drug:  # skipped during validation: per-drug loops dominated its cost
        out[PER_DRUG[0]] = per_drug_mean(r, _scc, y, pred["dsf"][r, c])
        out.update(ranking_metrics(pred["assoc"], R_test, popularity, ignore))
    return out


MENTIONS = "_mentions"  # suffix of the association metrics scored against label mentions


def mention_metrics(
    assoc: np.ndarray,
    Y_test: np.ndarray,
    neg_rows: np.ndarray,
    neg_cols: np.ndarray,
    popularity: np.ndarray | None = None,
    ignore: np.ndarray | None = None,
) -> dict[str, float]:
    """The association metrics of `evaluate` against the second truth: a pair is positive when the
    label lists it (any cell of Y_test > 0, LISTED included). neg_rows / neg_cols: 1:1 unlisted
    pairs; popularity: the training share of drugs listing each side effect. Keys end in _mentions."""
    pos = Y_test > 0
    r, c = np.nonzero(pos)
    rows, cols = np.concatenate([r, neg_rows]), np.concatenate([c, neg_cols])
    lab = np.concatenate([np.ones(len(r)), np.zeros(len(neg_rows))])
    out = {"assoc_auroc": binary_metrics(lab, assoc[rows, cols], prob=False)["auroc"]}
    keep = ~ignore.ravel() if ignore is not None else slice(None)
    out["assoc_auroc_all"] = rank_auroc(pos.ravel()[keep], assoc.ravel()[keep])
    out.update(ranking_metrics(assoc, pos.astype(np.uint8), popularity, ignore))
    return {k + MENTIONS: v for k, v in out.items()}
