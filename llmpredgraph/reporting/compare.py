"""`compare`: side-by-side table of finished runs (refused when their folds differ)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..errors import UserError
from ..metrics.registry import names
from .summary import mean_sd


def compare_runs(folders: list[str]) -> str:
    if len(folders) < 2:
        raise UserError("compare needs at least two run folders", "pass two or more finished runs")
    ref, frames = None, []
    for f in folders:
        p = Path(f)
        if not (p / "metrics.csv").is_file() or not (p / "folds.json").is_file():
            raise UserError(
                f"{p} is not a finished run folder (no metrics.csv / folds.json)",
                "run `llmpredgraph experiment` to completion first",
            )
        folds = json.loads((p / "folds.json").read_text())
        df = pd.read_csv(p / "metrics.csv")
        key = (
            folds.get("protocol"),
            folds.get("test_drugs") or folds.get("test_pairs"),
            sorted(df["fold"].unique().tolist()),
        )
        if ref is None:
            ref = (p, key)
        elif key != ref[1]:
            raise UserError(
                f"runs {ref[0]} and {p} were evaluated on different folds",
                "compare runs made with the same seed, fold count and run_folds",
            )
        frames.append(df.assign(method=p.name + ":" + df["method"]))
    summary = names("summary")
    ms = mean_sd(pd.concat(frames, ignore_index=True), summary)
    lines = ["| run:method | " + " | ".join(summary) + " |", "|---|" + "---|" * len(summary)]
    for method in ms.index:
        lines.append(
            f"| {method} | "
            + " | ".join(f"{ms.loc[method, m + '_mean']:.3f} ± {ms.loc[method, m + '_sd']:.3f}" for m in summary)
            + " |"
        )
    return "\n".join(lines)
