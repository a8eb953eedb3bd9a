#!/usr/bin/env python
"""The ONNX runtime's effect on quality (issue 24): the graph model's per-fold metrics with the SMILES
LM run by ONNX Runtime against the committed torch run, on the same folds (folds.json compared).

    python scripts/runtime_quality.py --torch docs/results/cold --onnx runs/onnx_quick \
        --out docs/results/onnx_runtime/README.md
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

from llmpredgraph.atomic import write_text
from llmpredgraph.metrics.registry import names
from llmpredgraph.reporting.statistics import corrected_ttest


def same_folds(a: Path, b: Path) -> int:
    """How many of b's folds a holds with identical test drugs (b may hold fewer repeats)."""
    fa, fb = (json.loads((r / "folds.json").read_text())["test_drugs"] for r in (a, b))
    if any(sorted(x) != sorted(y) for x, y in zip(fa, fb)) or len(fb) > len(fa):
        raise SystemExit(f"the folds of {b} are not the first folds of {a}")
    return len(fb)


def table(torch_run: Path, onnx_run: Path, methods: list[str], k: int) -> tuple[str, pd.DataFrame]:
    t, o = (pd.read_csv(r / "metrics.csv") for r in (torch_run, onnx_run))
    keys = ["repeat", "fold", "method"]
    m = o.merge(t, on=keys, suffixes=("_onnx", "_torch"))
    m = m[m["method"].isin(methods)]
    lines = [
        "| method | metric | torch (mean ± sd) | ONNX (mean ± sd) | Δ mean | Δ range | folds equal | p (corrected t) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for method in methods:
        g = m[m["method"] == method]
        for metric in names("headline"):
            a, b = g[f"{metric}_torch"].to_numpy(), g[f"{metric}_onnx"].to_numpy()
            d = b - a
            p = corrected_ttest(d, 1 / (k - 1))[1]
            lines.append(
                f"| {method} | {metric} | {a.mean():.4f} ± {a.std(ddof=1):.4f} | {b.mean():.4f} ± {b.std(ddof=1):.4f} "
                f"| {d.mean():+.4f} | {d.min():+.4f} … {d.max():+.4f} | {int((d == 0).sum())}/{len(d)} "
                f"| {'—' if np.isnan(p) else f'{p:.2f}'} |"
            )
    return "\n".join(lines), m


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--torch", type=Path, required=True, help="run folder with the torch runtime (committed)")
    ap.add_argument("--onnx", type=Path, required=True, help="run folder with encoders.drug.runtime=onnx")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--methods", default="graph,knn_offset_combined")
    a = ap.parse_args()
    n = same_folds(a.torch, a.onnx)
    k = int(json.loads((a.onnx / "folds.json").read_text())["folds"])
    text, merged = table(a.torch, a.onnx, a.methods.split(","), k)
    body = [
        "# The SMILES LM under ONNX Runtime: quality on the cold folds",
        "",
        f"`{a.onnx}` (encoders.drug.runtime: onnx) against `{a.torch}` (torch), on the same {n} folds",
        "(test drugs compared fold by fold). Δ = ONNX minus torch; p: corrected resampled t-test",
        f"(Nadeau & Bengio, n_test / n_train = 1/{k - 1}). The baseline does not read the LM's vectors: its",
        "rows must be equal, and show that everything else stayed the same.",
        "",
        text,
        "",
        f"Produced by `python scripts/runtime_quality.py --torch {a.torch} --onnx {a.onnx} --out {a.out}`.",
        "",
    ]
    write_text(a.out, "\n".join(body))
    merged.to_csv(a.out.with_name(f"per_fold_{a.onnx.name}.csv"), index=False)
    print("\n".join(body))


if __name__ == "__main__":
    main()
