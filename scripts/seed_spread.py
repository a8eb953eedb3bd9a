#!/usr/bin/env python
"""Spread of each fold's result over training seeds: the same folds run with train.seed 0, 1, 2
(the headline run holds seed 0; `experiment --config configs/cold_quick.yaml --set train.seed=1` gives
its first 10 folds with seed 1). Writes a Markdown table per headline metric: per fold the method's
value under each seed, its sd over seeds, and its difference to a reference baseline.

    python scripts/seed_spread.py runs/cold runs/cold_seed1 runs/cold_seed2 \
        --reference knn_offset_combined --out docs/results/cold/seeds.md
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from llmpredgraph.atomic import write_text
from llmpredgraph.metrics.registry import names
from llmpredgraph.runfolder import RunFolder


def load(run: Path) -> tuple[int, dict[int, dict]]:
    cfg_seed = 0
    cfg = run / "config.yaml"
    if cfg.is_file():
        import yaml

        cfg_seed = int((yaml.safe_load(cfg.read_text()).get("train") or {}).get("seed", 0))
    folds = {int(p.parent.name.split("_")[1]): json.loads(p.read_text()) for p in run.glob("folds/fold_*/metrics.json")}
    return cfg_seed, folds


def spread_markdown(runs: list[Path], method: str, reference: str) -> str:
    loaded = [load(r) for r in runs]
    seeds = [s for s, _ in loaded]
    common = sorted(set.intersection(*(set(f) for _, f in loaded)))
    lines = [
        f"# Spread over training seeds: {method} on {len(common)} folds",
        "",
        f"Runs: {', '.join(f'`{r}` (train.seed {s})' for r, s in zip(runs, seeds))}. Folds, validation drugs",
        f"and baselines do not depend on the training seed; Δ = {method} minus {reference} (same fold).",
        "",
    ]
    for metric in names("headline"):
        vals = np.array([[f[k][method][metric] for _, f in loaded] for k in common])  # [folds, seeds]
        ref = np.array([loaded[0][1][k][reference][metric] for k in common])
        lines += [f"## {metric}", "", "| fold | " + " | ".join(f"seed {s}" for s in seeds) + " | sd | Δ per seed |"]
        lines.append("|---|" + "---|" * (len(seeds) + 2))
        for i, k in enumerate(common):
            deltas = " ".join(f"{v - ref[i]:+.3f}" for v in vals[i])
            cells = " | ".join(f"{v:.3f}" for v in vals[i])
            lines.append(f"| {k} | {cells} | {vals[i].std(ddof=1):.3f} | {deltas} |")
        mean_sd, delta = vals.std(axis=1, ddof=1).mean(), vals - ref[:, None]
        lines += [
            "",
            f"Mean over folds: {' / '.join(f'{v:.3f}' for v in vals.mean(0))} (by seed); mean within-fold sd "
            f"{mean_sd:.3f}; mean Δ {delta.mean():+.3f}, worst fold Δ {delta.min():+.3f}.",
            "",
        ]
    return "\n".join(lines)


def ensemble_markdown(runs: list[Path], method: str, reference: str) -> str:
    """Per fold, the mean of the seeds' score matrices (an ensemble over training seeds) against the
    reference, on DSF SCC and HF-AUROC: what averaging the seeds would give (from scores.npz)."""
    from scipy.stats import spearmanr

    from llmpredgraph.data import load_benchmark
    from llmpredgraph.metrics.functions import rank_auroc

    bench = load_benchmark()
    common = sorted(set.intersection(*(set(load(r)[1]) for r in runs)))
    lines = [
        f"## Ensemble over the seeds: mean of {len(runs)} {method} score matrices minus {reference}",
        "",
        "| fold | Δ SCC, ensemble | Δ SCC, mean of single seeds | Δ HF-AUROC, ensemble |",
        "|---|---|---|---|",
    ]
    ens_d, single_d = [], []
    for k in common:
        z = [np.load(RunFolder(r).scores(k)) for r in runs]
        R = bench.R[z[0]["rows"]]
        r, c = np.nonzero(R)
        y = R[r, c]

        def scc(m, y=y, r=r, c=c):
            return spearmanr(y, m[r, c])[0]

        ref = scc(z[0][f"{reference}__dsf"])
        ens = scc(np.mean([x[f"{method}__dsf"] for x in z], 0)) - ref
        single = float(np.mean([scc(x[f"{method}__dsf"]) for x in z])) - ref
        hi = y >= 4
        hf = rank_auroc(hi, np.mean([x[f"{method}__dshf"] for x in z], 0)[r, c]) - rank_auroc(
            hi, z[0][f"{reference}__dshf"][r, c]
        )
        ens_d.append(ens)
        single_d.append(single)
        lines.append(f"| {k} | {ens:+.4f} | {single:+.4f} | {hf:+.4f} |")
    lines += [
        "",
        f"Mean Δ SCC: ensemble {np.mean(ens_d):+.4f} (worst fold {min(ens_d):+.4f}), single seeds "
        f"{np.mean(single_d):+.4f}. Indicative only: the ensemble is not the shipped model.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", type=Path, help="run folders of the same folds, one per training seed")
    ap.add_argument("--method", default="graph")
    ap.add_argument("--reference", default="knn_offset_combined")
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args()
    write_text(
        a.out, spread_markdown(a.runs, a.method, a.reference) + "\n" + ensemble_markdown(a.runs, a.method, a.reference)
    )
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
