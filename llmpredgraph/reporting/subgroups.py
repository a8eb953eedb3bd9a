"""Headline metrics on subgroups of test drugs (e.g. with / without DrugBank knowledge), per fold."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..frequency import is_high
from ..metrics.functions import binary_metrics, dsf_metrics


def pair_metrics(true_class: np.ndarray, dsf: np.ndarray, dshf: np.ndarray, assoc: np.ndarray) -> dict[str, float]:
    """DSF SCC and DSHF AUROC on the held-out pairs (class > 0), association AUROC against the
    sampled unknown pairs (class 0) of the same rows. Inputs: [n] columns of a prediction table."""
    pos = true_class > 0
    y = true_class[pos].astype(float)
    return {
        "dsf_scc": dsf_metrics(y, dsf[pos])["scc"] if pos.sum() > 1 else float("nan"),
        "dshf_auroc": binary_metrics(is_high(y), dshf[pos], prob=False)["auroc"],
        "assoc_auroc": binary_metrics(pos.astype(int), assoc, prob=False)["auroc"],
    }


def subgroup_frame(preds: pd.DataFrame, group_of: dict[str, str], methods: list[str]) -> pd.DataFrame:
    """One row per (fold, group, method) with its metrics and number of test drugs.

    preds: prediction tables of all folds with columns fold, drug, true_class, {method}_{dsf,dshf,assoc}."""
    preds = preds.assign(group=preds["drug"].map(group_of).fillna("unknown"))
    rows = []
    for (fold, group), part in preds.groupby(["fold", "group"], sort=True):
        t = part["true_class"].to_numpy()
        for m in methods:
            vals = pair_metrics(t, *(part[f"{m}_{h}"].to_numpy() for h in ("dsf", "dshf", "assoc")))
            rows.append({"fold": fold, "group": group, "method": m, "drugs": part["drug"].nunique(), **vals})
    return pd.DataFrame(rows)


def subgroup_markdown(df: pd.DataFrame, title: str) -> list[str]:
    """Mean ± sd over folds per group and method (folds where a group has too few pairs are skipped)."""
    metrics = ["dsf_scc", "dshf_auroc", "assoc_auroc"]
    lines = [f"## {title}", "", "| group | test drugs per fold | method | " + " | ".join(metrics) + " |"]
    lines.append("|---|---|---|" + "---|" * len(metrics))
    for (group, method), g in df.groupby(["group", "method"], sort=False):
        cells = [f"{g[m].mean():.3f} ± {g[m].std(ddof=1):.3f}" for m in metrics]
        lines.append(f"| {group} | {g['drugs'].mean():.1f} | {method} | " + " | ".join(cells) + " |")
    return lines
