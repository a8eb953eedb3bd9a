"""Metric functions (pure) and the per-fold evaluation of score matrices."""

from __future__ import annotations

import numpy as np
from scipy.stats import spearmanr
from sklearn.metrics import average_precision_score, f1_score, roc_auc_score

from ..units import clip_class, is_high
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


def _auc(y, s):
    return roc_auc_score(y, s) if len(np.unique(y)) == 2 else float("nan")


def evaluate(
    pred: dict[str, np.ndarray],
    R_test: np.ndarray,
    neg_rows: np.ndarray,
    neg_cols: np.ndarray,
    per_drug: bool = True,
    ignore: np.ndarray | None = None,
) -> dict[str, float]:
    """Metrics from score matrices over (test drugs x side effects).

    pred: 'dsf' (class), 'dshf' (probability of class >= 4), 'assoc' (score of being known).
    R_test: classes of the held-out pairs, 0 elsewhere.
    neg_rows/neg_cols: the sampled 1:1 unknown pairs (rows index into R_test).
    ignore: cells that are neither held out nor unknown (warm: the training pairs), left out of
    the all-unknowns AUROC.
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
    if per_drug:  # skipped during validation: one sklearn call per drug dominated its cost
        scc_name, auc_name = PER_DRUG
        out[scc_name] = per_drug_mean(r, _scc, y, pred["dsf"][r, c])
        out[auc_name] = per_drug_mean(rows, _auc, lab, pred["assoc"][rows, cols])
    return out
