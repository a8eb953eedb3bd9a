"""Ablation tables: deltas against the base variant with paired tests, markdown and a forest plot."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..atomic import write_with
from ..metrics.registry import lower_is_better, names
from .statistics import paired
from .summary import present


def ablation_table(df: pd.DataFrame, folds_per_repeat: int) -> pd.DataFrame:
    """One row per variant: mean, sd, paired delta vs 'base' (and its sd), the corrected resampled
    t-test p and the per-repeat deltas, per ablation metric. df: long frame with fold, repeat, method."""
    rows = []
    for name in dict.fromkeys(df["method"]):
        row = {"variant": name}
        for m in present(df, names("ablation")):
            vals = df[df["method"] == name].set_index("fold")[m]
            base = df[df["method"] == "base"].set_index("fold")[m]
            common = vals.index.intersection(base.index)
            row[f"{m}_mean"], row[f"{m}_sd"] = vals.mean(), vals.std(ddof=1) if len(vals) > 1 else 0.0
            diff = vals[common] - base[common]
            row[f"{m}_delta"] = float(diff.mean())
            row[f"{m}_delta_sd"] = float(diff.std(ddof=1)) if len(diff) > 1 else 0.0
            test = paired(df[df["method"].isin([name, "base"])], name, "base", m, folds_per_repeat)
            row[f"{m}_p"] = test.p if name != "base" else np.nan
            row[f"{m}_by_repeat"] = " ".join(f"{v:+.3f}" for v in test.per_repeat) if name != "base" else ""
        rows.append(row)
    return pd.DataFrame(rows)


def ablation_markdown(table: pd.DataFrame, variants: dict, base_name: str) -> str:
    metrics = [m for m in names("ablation") if f"{m}_mean" in table]
    lines = [
        f"# Ablation of `{base_name}`",
        "",
        "Each cell: mean ± sd over folds; Δ = variant minus base (paired by fold); p = two-sided corrected",
        "resampled t-test (Nadeau & Bengio 2003), valid for repeated folds; ablation.csv has per-repeat Δ.",
        "",
    ]
    lines.append("| variant | overrides | " + " | ".join(metrics) + " |")
    lines.append("|---|---|" + "---|" * len(metrics))
    for r in table.itertuples(index=False):
        r = r._asdict()
        cells = []
        for m in metrics:
            cell = f"{r[m + '_mean']:.3f} ± {r[m + '_sd']:.3f}"
            if r["variant"] != "base":
                p = r[m + "_p"]
                cell += f" (Δ {r[m + '_delta']:+.3f}, p={p:.2g})" if np.isfinite(p) else f" (Δ {r[m + '_delta']:+.3f})"
            cells.append(cell)
        ov = ", ".join(f"{k}={v}" for k, v in variants.get(r["variant"], {}).items()) or "—"
        lines.append(f"| {r['variant']} | {ov} | " + " | ".join(cells) + " |")
    lines += ["", f"Lower is better for: {', '.join(sorted(lower_is_better() & set(metrics)))}."]
    return "\n".join(lines) + "\n"


def forest_plot(table: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [m for m in names("headline") if f"{m}_delta" in table]
    t = table[table["variant"] != "base"]
    fig, axes = plt.subplots(1, len(keys), figsize=(4.2 * len(keys), 0.45 * len(t) + 1.5), sharey=True, squeeze=False)
    y = np.arange(len(t))
    for ax, m in zip(axes[0], keys):
        ax.errorbar(t[f"{m}_delta"], y, xerr=t[f"{m}_delta_sd"], fmt="o", capsize=3)  # sd of paired deltas
        ax.axvline(0, c="grey", ls=":")
        ax.set(title=f"Δ {m} vs base", yticks=y, yticklabels=t["variant"])
    axes[0, 0].invert_yaxis()
    write_with(path, lambda p: (fig.savefig(p, dpi=110, bbox_inches="tight", format="png"), plt.close(fig)))
