#!/usr/bin/env python
"""The reading of a finished cold run: every method on the user-facing metrics against both truths
(R > 0 and label mentions), corrected paired tests against a reference baseline, the targets of
issue 31 reached or missed, the worst folds, and what nested selection chose in each fold (the
prior's knobs, how much learned correction validation kept). --previous RUN adds, fold by fold on
the same folds, each method of RUN (say the run trained on R alone) against this run's.

    python scripts/headline_report.py runs/cold --reference knn_offset_combined --out docs/results/cold/results.md \
        --previous docs/results/cold_benchmark_labels
    python scripts/headline_report.py runs/cold_smiles --reference knn_offset --popularity se_mean \
        --out docs/results/cold_smiles/results.md --previous docs/results/cold_smiles_benchmark_labels
    python scripts/headline_report.py runs/warm --reference galeano --out docs/results/warm/results.md

--popularity METHOD replaces the knowledge headline's targets by the SMILES-only one: at or above
METHOD (popularity) on every association metric, against both truths.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from llmpredgraph.atomic import write_text
from llmpredgraph.provenance import describe
from llmpredgraph.reporting.statistics import TEST_NOTE, paired
from llmpredgraph.runfolder import RunFolder

METRICS = [
    ("dsf_scc", "DSF SCC"),
    ("dshf_auroc", "HF-AUROC"),
    ("assoc_auroc", "assoc AUROC 1:1"),
    ("assoc_auroc_per_drug", "assoc AUROC per drug"),
    ("assoc_auroc_strat", "assoc AUROC stratified"),
    ("assoc_precision_at_10", "precision@10"),
    ("assoc_auroc_per_drug_mentions", "per drug (mentions)"),
    ("assoc_auroc_strat_mentions", "stratified (mentions)"),
    ("assoc_precision_at_10_mentions", "precision@10 (mentions)"),
]
# Issue 31's targets for the knowledge headline (3 x 10 grouped cold folds): against R > 0 and mentions
TARGETS = {
    "assoc_auroc_per_drug": 0.915,
    "assoc_auroc_strat": 0.77,
    "assoc_precision_at_10": 0.63,
    "dsf_scc": 0.62,
    "dshf_auroc": 0.85,
    "assoc_auroc_per_drug_mentions": 0.90,
    "assoc_auroc_strat_mentions": 0.77,
    "assoc_precision_at_10_mentions": 0.89,
}
# The SMILES-only target of issue 31: at or above popularity on each of these, against both truths
ASSOC = [
    "assoc_auroc",
    "assoc_auroc_per_drug",
    "assoc_auroc_strat",
    "assoc_precision_at_10",
    "assoc_auroc_mentions",
    "assoc_auroc_per_drug_mentions",
    "assoc_auroc_strat_mentions",
    "assoc_precision_at_10_mentions",
]
AHEAD = ("assoc_auroc_per_drug", "assoc_auroc_strat", "assoc_auroc_per_drug_mentions", "assoc_auroc_strat_mentions")


def _folds(run: Path) -> dict[int, dict]:
    return {int(p.parent.name.split("_")[1]): json.loads(p.read_text()) for p in run.glob("folds/fold_*/info.json")}


def report(
    run: Path, reference: str, method: str = "graph", previous: Path | None = None, popularity: str | None = None
) -> str:
    cfg = yaml.safe_load((run / "config.yaml").read_text())
    df = pd.read_csv(RunFolder(run).metrics_csv)
    metrics = [(c, label) for c, label in METRICS if c in df.columns]
    k = int(cfg["protocol"]["folds"])
    methods = list(dict.fromkeys(df["method"]))
    prov = (
        json.loads((run / "provenance.json").read_text())["invocations"] if (run / "provenance.json").is_file() else []
    )
    code = "; ".join(dict.fromkeys(describe(r) for r in prov if r["folds"])) or "not recorded"
    n = df["fold"].nunique()
    lines = [
        f"# {cfg['name']}: {n} folds ({cfg['protocol']['repeats']} x {k}), the reading",
        "",
        "Config: [`config.yaml`](config.yaml); folds: [`folds.json`](folds.json); "
        "per fold: [`metrics.csv`](metrics.csv);",
        f"generated summary: [`summary.md`](summary.md). Code: {code}.",
        "",
        "## Every method (mean ± sd over folds)",
        "",
        "| method | " + " | ".join(label for _, label in metrics) + " |",
        "|---|" + "---|" * len(metrics),
    ]
    for m in methods:
        sub = df[df["method"] == m]
        lines.append(
            f"| {m} | " + " | ".join(f"{sub[c].mean():.3f} ± {sub[c].std(ddof=1):.3f}" for c, _ in metrics) + " |"
        )
    lines += ["", f"## {method} against every other method, paired by fold", ""]
    lines += ["| vs | " + " | ".join(label for _, label in metrics) + " |", "|---|" + "---|" * len(metrics)]
    for m in [x for x in methods if x != method]:
        lines.append(f"| {m} | " + " | ".join(paired(df, method, m, c, k).cell() for c, _ in metrics) + " |")
    lines += ["", TEST_NOTE, ""]
    if previous is not None:
        lines += previous_section(df, pd.read_csv(RunFolder(previous).metrics_csv), previous, metrics, k)
    if popularity is not None and {method, popularity} <= set(methods):
        lines += popularity_section(df, method, popularity, k)
    if method in methods and reference in methods:
        if popularity is None and cfg["protocol"]["kind"] != "warm":  # issue 31's targets are drug-held-out ones
            lines += targets_section(df, method, reference, k)
        lines += worst_folds(df, method, reference)
        lines += ["![per-fold differences](delta_per_fold.png)", ""]
    lines += choices_section(run, cfg)
    return "\n".join(lines) + "\n"


def previous_section(df: pd.DataFrame, old: pd.DataFrame, where: Path, metrics, k: int) -> list[str]:
    """Each method of this run against the same method of `old` on the same folds (metrics both have)."""
    shared = [(c, label) for c, label in metrics if c in old.columns]
    both = pd.concat([df.assign(method=df["method"] + " (this run)"), old.assign(method=old["method"] + " (before)")])
    lines = [f"## Against the same methods of `{where.name}`, paired by fold", ""]
    lines += ["| method | " + " | ".join(label for _, label in shared) + " |", "|---|" + "---|" * len(shared)]
    for m in sorted(set(df["method"]) & set(old["method"])):
        cells = [paired(both, f"{m} (this run)", f"{m} (before)", c, k).cell() for c, _ in shared]
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return lines + ["", "Cells: this run minus the earlier run's same method, as above.", ""]


def targets_section(df: pd.DataFrame, method: str, reference: str, k: int) -> list[str]:
    g = df[df["method"] == method]
    lines = ["## Targets of issue 31", "", "| target | reached | value |", "|---|---|---|"]
    for c, t in TARGETS.items():
        if c not in g:
            continue
        v = g[c].mean()
        lines.append(f"| {c} ≥ {t} | {'yes' if v >= t else 'no'} | {v:.3f} (short by {max(t - v, 0):.3f}) |")
    d = df.pivot(index="fold", columns="method", values="dsf_scc")
    worst = float((d[method] - d[reference]).min())
    lines.append(
        f"| no fold more than 0.02 SCC below {reference} | {'yes' if worst >= -0.02 else 'no'} | worst {worst:+.3f} |"
    )
    for c in [c for c in AHEAD if c in g]:
        t = paired(df, method, reference, c, k)
        lines.append(f"| {c}: ahead of {reference} | {'yes' if t.delta > 0 else 'no'} | {t.delta:+.3f}, p={t.p:.3g} |")
    return lines + [""]


def popularity_section(df: pd.DataFrame, method: str, popularity: str, k: int) -> list[str]:
    """Issue 31's SMILES-only target: method at or above popularity on every association metric."""
    lines = [f"## Target of issue 31 (SMILES only): at or above {popularity} on every association metric", ""]
    lines += [f"| metric | {method} | {popularity} | difference, p, folds ahead | reached |", "|---|---|---|---|---|"]
    for c in [c for c in ASSOC if c in df.columns]:
        t = paired(df, method, popularity, c, k)
        a, b = (df.loc[df["method"] == m, c].mean() for m in (method, popularity))
        lines.append(f"| {c} | {a:.3f} | {b:.3f} | {t.cell()} | {'yes' if t.delta >= 0 else 'no'} |")
    return lines + [""]


def worst_folds(df: pd.DataFrame, method: str, reference: str, n: int = 5) -> list[str]:
    d = df.pivot(index="fold", columns="method", values="dsf_scc")
    delta = (d[method] - d[reference]).sort_values()
    lines = [f"## Folds where {method} trails {reference} most (DSF SCC)", "", "| fold | Δ SCC | " + reference + " |"]
    lines.append("|---|---|---|")
    lines += [f"| {f} | {v:+.3f} | {d.loc[f, reference]:.3f} |" for f, v in delta.head(n).items()]
    lines += [
        "",
        f"Median Δ {delta.median():+.3f}; folds won {(delta > 0).sum()}/{len(delta)}; "
        f"ties (|Δ| < 1e-4) {(delta.abs() < 1e-4).sum()}.",
        "",
    ]
    return lines


def choices_section(run: Path, cfg: dict) -> list[str]:
    infos = _folds(run)
    lines = ["## What nested selection chose (per fold, on validation drugs)", ""]
    knobs: dict[str, Counter] = {}
    for info in infos.values():
        for name, sel in (info.get("baseline_selection") or {}).items():
            for key, value in sel["chosen"].items():
                knobs.setdefault(f"{name}.{key}", Counter())[value] += 1
    lines += [f"- {key}: {dict(c.most_common())}" for key, c in sorted(knobs.items())]
    corr: dict[str, Counter] = {}
    epochs = Counter()
    for info in infos.values():
        g = info.get("graph") or {}
        epochs["prior kept (epoch 0)" if g.get("best_epoch") == 0 else "trained epoch"] += 1
        for head, ch in ((g.get("correction") or {}).get("chosen") or {}).items():
            corr.setdefault(head, Counter())[f"{ch['scale']:g}{' centred' if ch['centre'] else ''}"] += 1
    if corr:
        lines += ["", "Share of the learned correction kept, per head (folds):", ""]
        lines += [f"- {head}: {dict(c.most_common())}" for head, c in corr.items()]
    if epochs:
        lines += [
            "",
            f"Early stopping: {dict(epochs)}; "
            f"best epochs {sorted(i['graph']['best_epoch'] for i in infos.values() if 'graph' in i)}.",
        ]
    secs = [i["graph"]["seconds"] for i in infos.values() if "graph" in i]
    if secs:
        lines += [f"Graph training per fold: {np.mean(secs):.0f} s on average (one thread)."]
    return lines + [""]


def delta_plot(run: Path, method: str, reference: str, path: Path) -> None:
    """Per fold, method minus reference on DSF SCC and per-drug association AUROC, bars coloured by
    repeat, with the ±0.02 band of issue 22."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    df = pd.read_csv(RunFolder(run).metrics_csv)
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.2), sharex=True)
    for ax, metric in zip(axes, ("dsf_scc", "assoc_auroc_per_drug")):
        wide = df.pivot(index="fold", columns="method", values=metric)
        delta = wide[method] - wide[reference]
        repeat = df.drop_duplicates("fold").set_index("fold")["repeat"].reindex(delta.index)
        ax.bar(delta.index, delta, color=[f"C{int(r)}" for r in repeat])
        ax.axhline(0, c="grey", lw=0.8)
        ax.axhspan(-0.02, 0.02, color="grey", alpha=0.1)
        ax.set(title=f"{method} − {reference}: {metric}", xlabel="fold (colour: repeat)")
    write_with_fig(fig, path)


def write_with_fig(fig, path: Path) -> None:
    from llmpredgraph.atomic import write_with

    write_with(path, lambda p: fig.savefig(p, dpi=110, bbox_inches="tight", format="png"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run", type=Path)
    ap.add_argument("--reference", default="knn_offset_combined")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--previous", type=Path, default=None, help="an earlier run on the same folds to compare with")
    ap.add_argument("--popularity", default=None, help="the SMILES-only target: at or above this method (se_mean)")
    a = ap.parse_args()
    write_text(a.out, report(a.run, a.reference, previous=a.previous, popularity=a.popularity))
    plot = {"graph", a.reference} <= set(pd.read_csv(RunFolder(a.run).metrics_csv)["method"])
    if plot:
        delta_plot(a.run, "graph", a.reference, a.out.parent / "delta_per_fold.png")
    print(f"wrote {a.out}" + (f" and {a.out.parent / 'delta_per_fold.png'}" if plot else ""))


if __name__ == "__main__":
    main()
