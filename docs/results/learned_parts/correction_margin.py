"""Would a validation margin keep the prior in the folds where the learned correction loses? (issue 32)

A one-off probe kept beside its result (correction_margin.md), not a maintained script. It reads
only finished run folders: per fold, the DSF head's validation SCC of the correction share that
`choose_correction` kept minus that of share 0 (the prior alone), from info.json, and the test
SCC of the graph model minus its prior's baseline, from metrics.csv. A margin rule keeps the
correction only where the validation gain exceeds the margin; elsewhere the fold's DSF is the
prior's (share 0 reproduces the baseline's DSF exactly, so the fold's delta is 0).

    .venv/bin/python docs/results/learned_parts/correction_margin.py \
        cold=runs/cold:knn_offset_combined cold_smiles=runs/cold_smiles:knn_offset \
        scaffold=runs/scaffold:knn_offset_combined
"""

import csv
import json
import sys
from pathlib import Path

import numpy as np
from scipy import stats

MARGINS = (0.0, 0.005, 0.01, 0.02, 0.03)


def fold_gains(run: Path, prior: str) -> tuple[np.ndarray, np.ndarray]:
    rows = {(int(r["fold"]), r["method"]): r for r in csv.DictReader(open(run / "metrics.csv"))}
    folds = sorted({f for f, _ in rows})
    val, test = [], []
    for f in folds:
        c = json.loads((run / "folds" / f"fold_{f}" / "info.json").read_text())["graph"]["correction"]
        kept = c["chosen"]["dsf"]
        v = {(x["scale"], x["centre"]): x["dsf_scc"] for x in c["validation"]}
        val.append(v[(kept["scale"], kept["centre"])] - v[(0.0, False)])
        test.append(float(rows[(f, "graph")]["dsf_scc"]) - float(rows[(f, prior)]["dsf_scc"]))
    return np.array(val), np.array(test)


def main(args: list[str]) -> None:
    head = "| run | folds | validation gain (mean) | test Δ SCC (mean) | Pearson r | Spearman ρ |"
    print(head + " worst fold: test Δ (its validation gain) |")
    print("|---|---|---|---|---|---|---|")
    rules = {}
    for arg in args:
        name, rest = arg.split("=", 1)
        run, prior = rest.rsplit(":", 1)
        v, t = fold_gains(Path(run), prior)
        w = int(t.argmin())
        r, rho = stats.pearsonr(v, t)[0], stats.spearmanr(v, t)[0]
        cells = [name, str(len(t)), f"{v.mean():+.4f}", f"{t.mean():+.4f}", f"{r:+.2f}", f"{rho:+.2f}"]
        print("| " + " | ".join(cells) + f" | {t[w]:+.3f} ({v[w]:+.4f}) |")
        rules[name] = [(m, int((v > m).sum()), np.where(v > m, t, 0.0)) for m in MARGINS]
    print()
    print("| run | margin | folds keeping the correction | test Δ SCC (mean) | worst fold |")
    print("|---|---|---|---|---|")
    for name, rs in rules.items():
        for m, k, d in rs:
            print(f"| {name} | {m:.3f} | {k} | {d.mean():+.4f} | {d.min():+.3f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
