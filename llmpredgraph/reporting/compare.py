"""`compare`: side-by-side table of finished runs (refused when their folds differ), with corrected
resampled t-tests of every run:method against a reference run:method on the identical folds."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import UserError
from ..metrics.registry import names
from ..runfolder import RunFolder
from .statistics import TEST_NOTE, paired
from .summary import mean_sd, present


def _load(folders: list[str]) -> tuple[list[tuple[Path, pd.DataFrame]], int]:
    """The runs' metric frames (with a 'repeat' column) and their folds per repeat."""
    if len(folders) < 2:
        raise UserError("compare needs at least two run folders", "pass two or more finished runs")
    ref, frames = None, []
    for f in folders:
        run = RunFolder(f)
        p = run.require(run.metrics_csv, run.folds_file, finished=True).path
        folds = run.folds()
        df = pd.read_csv(run.metrics_csv)
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
                "compare runs made with the same seed, fold count, repeats and run_folds",
            )
        k = int(folds.get("folds") or df["fold"].nunique())
        if "repeat" not in df:
            df.insert(1, "repeat", df["fold"] // k)
        frames.append((p, df))
    return frames, k


def _labels(paths: list[Path]) -> list[str]:
    """Folder names, or parent/name where two runs share a name."""
    short = [p.name for p in paths]
    return [f"{p.parent.name}/{p.name}" if short.count(p.name) > 1 else p.name for p in paths]


def compare_runs(folders: list[str], reference: str | None = None) -> str:
    """Markdown: mean ± sd per run:method, then (with a reference 'run:method', default the first
    run's graph model) the paired difference, corrected t-test p, folds won and per-repeat differences
    for every other run:method."""
    loaded, k = _load(folders)
    labels = _labels([p for p, _ in loaded])
    long = pd.concat([df.assign(method=lab + ":" + df["method"]) for lab, (_, df) in zip(labels, loaded)])
    long = long.reset_index(drop=True)
    summary, key = present(long, names("summary")), present(long, names("headline"))
    ms = mean_sd(long, summary)
    lines = ["| run:method | " + " | ".join(summary) + " |", "|---|" + "---|" * len(summary)]
    for method in ms.index:
        lines.append(
            f"| {method} | "
            + " | ".join(f"{ms.loc[method, m + '_mean']:.3f} ± {ms.loc[method, m + '_sd']:.3f}" for m in summary)
            + " |"
        )
    methods = list(dict.fromkeys(long["method"]))
    ref = reference or f"{labels[0]}:graph"
    if ref not in methods:
        if reference is not None:
            raise UserError(f"--reference {ref!r} is not a run:method of these runs", f"pick one of {methods}")
        return "\n".join(lines)
    n = long["fold"].nunique()
    lines += ["", f"Paired against {ref} on the same {n} folds (corrected resampled t-test):", ""]
    lines += ["| comparison | " + " | ".join(key) + " |", "|---|" + "---|" * len(key)]
    for other in [m for m in methods if m != ref]:
        lines.append(f"| {ref} vs {other} | " + " | ".join(paired(long, ref, other, m, k).cell() for m in key) + " |")
    lines += ["", TEST_NOTE]
    return "\n".join(lines)
