"""Out-of-fold scores of benchmark drugs from a finished cold or scaffold run: each drug scored by
the models of the folds where it was a test drug (averaged over repeats), so no weight saw it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..config import from_dict
from ..data import load_benchmark
from ..errors import UserError
from ..pipeline.portable import HEADS
from ..runfolder import RunFolder
from .tables import benchmark_table


def out_of_fold_scores(run: str | Path, method: str = "graph") -> tuple[dict[str, np.ndarray], np.ndarray, object]:
    """(head -> [n_drugs, n_se] mean out-of-fold scores, repeats per drug, benchmark) of `method`."""
    folder = RunFolder(run)
    run = folder.require(folder.config, folder.folds_file).path
    cfg = from_dict(yaml.safe_load(folder.config.read_text()), str(folder.config))
    if cfg.protocol.holds_out_pairs:
        raise UserError(
            f"{run} is a warm run: it holds out pairs, not drugs",
            "pass a cold or scaffold run, or use a warm model to complete known drugs",
        )
    folds = folder.folds()["test_drugs"]
    bench = load_benchmark(cfg.data, labels=cfg.labels)
    sums = {h: np.zeros(bench.R.shape) for h in HEADS}
    count = np.zeros(bench.n_drugs, dtype=int)
    for k, names in enumerate(folds):
        path = folder.scores(k)
        if not path.is_file():
            raise UserError(
                f"fold {k} of {run} has no out-of-fold scores (unfinished, or made by an older version)",
                "finish the run with `llmpredgraph experiment --resume`, or rerun it",
            )
        z = np.load(path)
        if f"{method}__dsf" not in z:
            have = sorted({f.split("__")[0] for f in z.files if "__" in f})
            raise UserError(f"{run} has no method {method!r}", f"choose one of {', '.join(have)}")
        rows = z["rows"]
        if [bench.drug_names[i] for i in rows] != names:
            raise UserError(
                f"fold {k} of {run} tested other drugs than this benchmark holds",
                "prepare the benchmark the run was made with",
            )
        for h in HEADS:
            sums[h][rows] += z[f"{method}__{h}"]
        count[rows] += 1
    core = ~bench.is_extra  # extra drugs (SIDER labels only) train in every fold and are never tested
    if (count[core] == 0).any():
        raise UserError(
            f"{int((count[core] == 0).sum())} drugs of {run} were never tested",
            "run every fold (protocol.run_folds: null)",
        )
    return {h: v[core] / count[core, None] for h, v in sums.items()}, count[core], bench.benchmark_drugs()


def out_of_fold_table(run: str | Path, method: str = "graph") -> pd.DataFrame:
    """Every benchmark drug x side effect, out of fold, ranked per drug by association probability."""
    scores, count, bench = out_of_fold_scores(run, method)
    df = benchmark_table(bench.drug_names, bench.se_names, bench.R, scores)
    return df.assign(repeats=count[df.index // bench.n_side_effects])
