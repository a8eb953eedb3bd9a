"""Aggregate fold metrics: metrics.json / metrics.csv, and summary.md with paired Wilcoxon tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import wilcoxon

from ..metrics.registry import lower_is_better, names


def metrics_frame(fold_metrics: dict[int, dict[str, dict[str, float]]]) -> pd.DataFrame:
    """Long table: one row per (fold, method) with every metric as a column."""
    rows = [{"fold": f, "method": m, **vals} for f, per in sorted(fold_metrics.items()) for m, vals in per.items()]
    return pd.DataFrame(rows)


def mean_sd(df: pd.DataFrame, metrics: list[str] | None = None) -> pd.DataFrame:
    g = df.groupby("method", sort=False)[metrics or names()]
    return g.mean().add_suffix("_mean").join(g.std(ddof=1).fillna(0.0).add_suffix("_sd"))


def paired_wilcoxon(df: pd.DataFrame, a: str, b: str, metric: str) -> float:
    """Two-sided paired Wilcoxon p-value of `a` vs `b` across folds (nan when undefined)."""
    wide = df.pivot(index="fold", columns="method", values=metric)
    if a not in wide or b not in wide:
        return float("nan")
    d = (wide[a] - wide[b]).dropna()
    if len(d) < 2 or np.allclose(d, 0):
        return float("nan")
    return float(wilcoxon(d).pvalue)


def best_baseline(df: pd.DataFrame, metric: str, baselines: list[str]) -> str | None:
    means = df[df["method"].isin(baselines)].groupby("method")[metric].mean()
    if means.empty:
        return None
    return str(means.idxmin() if metric in lower_is_better() else means.idxmax())


def summary_markdown(
    df: pd.DataFrame, baselines: list[str], title: str, command: str | None = None, notes: list[str] | None = None
) -> str:
    summary, key = names("summary"), names("headline")
    ms = mean_sd(df, summary)
    n_folds = df["fold"].nunique()
    lines = [f"# {title}", ""]
    if command:
        lines += ["Produced by:", "", f"```\n{command}\n```", ""]
    lines += [f"Folds: {n_folds} (mean ± sd across folds). Higher is better except RMSE/MAE.", ""]
    lines.append("| method | " + " | ".join(summary) + " |")
    lines.append("|---|" + "---|" * len(summary))
    for method in ms.index:
        cells = [f"{ms.loc[method, m + '_mean']:.3f} ± {ms.loc[method, m + '_sd']:.3f}" for m in summary]
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Paired Wilcoxon tests across folds (two-sided p)",
        "",
        "| comparison | " + " | ".join(key) + " |",
        "|---|" + "---|" * len(key),
    ]
    methods = set(df["method"])
    if "graph" in methods and "mlp" in methods:
        lines.append("| graph vs mlp | " + " | ".join(_delta_p(df, "graph", "mlp", m) for m in key) + " |")
    if "graph" in methods:
        cells = []
        for m in key:
            b = best_baseline(df, m, baselines)
            cells.append(f"{_delta_p(df, 'graph', b, m)} ({b})" if b else "n/a")
        lines.append("| graph vs best baseline | " + " | ".join(cells) + " |")
    lines += ["", "Cells: mean difference (first minus second), p-value. With few folds the test cannot reach small p."]
    if notes:
        lines += ["", *notes]
    return "\n".join(lines) + "\n"


def _delta_p(df: pd.DataFrame, a: str, b: str, metric: str) -> str:
    wide = df.pivot(index="fold", columns="method", values=metric)
    delta = float((wide[a] - wide[b]).mean())
    p = paired_wilcoxon(df, a, b, metric)
    return f"{delta:+.3f}, p={p:.3g}" if np.isfinite(p) else f"{delta:+.3f}, p=n/a"
