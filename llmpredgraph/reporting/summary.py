"""Aggregate fold metrics: metrics.json / metrics.csv, and summary.md with corrected paired tests."""

from __future__ import annotations

import pandas as pd

from ..metrics.registry import lower_is_better, names
from .statistics import TEST_NOTE, paired


def metrics_frame(fold_metrics: dict[int, dict[str, dict[str, float]]]) -> pd.DataFrame:
    """Long table: one row per (fold, method) with every metric as a column."""
    rows = [{"fold": f, "method": m, **vals} for f, per in sorted(fold_metrics.items()) for m, vals in per.items()]
    return pd.DataFrame(rows)


def present(df: pd.DataFrame, metrics: list[str]) -> list[str]:
    """The metrics that df has (runs made before a metric existed lack its column)."""
    return [m for m in metrics if m in df.columns]


def mean_sd(df: pd.DataFrame, metrics: list[str] | None = None) -> pd.DataFrame:
    g = df.groupby("method", sort=False)[present(df, metrics or names())]
    return g.mean().add_suffix("_mean").join(g.std(ddof=1).fillna(0.0).add_suffix("_sd"))


def best_baseline(df: pd.DataFrame, metric: str, baselines: list[str]) -> str | None:
    means = df[df["method"].isin(baselines)].groupby("method")[metric].mean()
    if means.empty:
        return None
    return str(means.idxmin() if metric in lower_is_better() else means.idxmax())


def summary_markdown(
    df: pd.DataFrame,
    baselines: list[str],
    title: str,
    command: str | None = None,
    notes: list[str] | None = None,
    folds_per_repeat: int | None = None,
) -> str:
    """Mean ± sd over all folds (every repeat), the spread of repeat means, and corrected resampled
    t-tests of the graph model (else the first method) against every other method on identical folds.
    df may carry a 'repeat' column; folds_per_repeat (k) defaults to the folds seen per repeat."""
    summary, key = present(df, names("summary")), present(df, names("headline"))
    ms = mean_sd(df, summary)
    n_folds = df["fold"].nunique()
    repeats = df["repeat"].nunique() if "repeat" in df else 1
    k = folds_per_repeat or max(n_folds // repeats, 2)
    lines = [f"# {title}", ""]
    if command:
        lines += ["Produced by:", "", f"```\n{command}\n```", ""]
    how = f"{repeats} repeats x {n_folds // repeats} folds" if repeats > 1 else f"{n_folds}"
    lines += [f"Folds: {how} (mean ± sd across all folds). Higher is better except RMSE/MAE.", ""]
    lines.append("| method | " + " | ".join(summary) + " |")
    lines.append("|---|" + "---|" * len(summary))
    for method in ms.index:
        cells = [f"{ms.loc[method, m + '_mean']:.3f} ± {ms.loc[method, m + '_sd']:.3f}" for m in summary]
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    if repeats > 1:
        lines += ["", "## Spread across repeats", "", "Mean of each repeat's fold mean, ± sd across the repeats.", ""]
        lines += ["| method | " + " | ".join(key) + " |", "|---|" + "---|" * len(key)]
        per = df.groupby(["method", "repeat"], sort=False)[key].mean()
        for method in ms.index:
            r = per.loc[method]
            lines.append(
                f"| {method} | " + " | ".join(f"{r[m].mean():.3f} ± {r[m].std(ddof=1):.3f}" for m in key) + " |"
            )
    lines += ["", f"## Paired comparisons on the {n_folds} folds (corrected resampled t-test)", ""]
    lines += ["| comparison | " + " | ".join(key) + " |", "|---|" + "---|" * len(key)]
    methods = list(dict.fromkeys(df["method"]))
    ref = "graph" if "graph" in methods else methods[0]  # a baselines-only run compares with its first
    for other in [m for m in methods if m != ref]:
        lines.append(f"| {ref} vs {other} | " + " | ".join(paired(df, ref, other, m, k).cell() for m in key) + " |")
    if ref == "graph":
        cells = []
        for m in key:
            b = best_baseline(df, m, baselines)
            cells.append(f"{paired(df, 'graph', b, m, k).cell()} ({b})" if b else "n/a")
        lines.append("| graph vs best baseline | " + " | ".join(cells) + " |")
    lines += ["", TEST_NOTE]
    if notes:
        lines += ["", *notes]
    return "\n".join(lines) + "\n"
