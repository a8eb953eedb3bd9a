"""The layout of an experiment's run folder, in one place: what `experiment` writes, and what `oof`,
`compare`, `summary` and tracking read.

    RUN/config.yaml           resolved config            RUN/metrics.json, metrics.csv   every fold
    RUN/folds.json            the folds' test drugs      RUN/summary.md, subgroups.csv    the report
    RUN/provenance.json       code version per call      RUN/*.png                        plots
    RUN/folds/fold_K/         one fold: metrics.json (written last: marks it finished),
                              predictions.csv, scores.npz (out-of-fold matrices), info.json,
                              tuned_embeddings.npz
"""

from __future__ import annotations

import json
from pathlib import Path

from .errors import UserError

# what a tracker copies besides the plots
ARTIFACTS = ("config.yaml", "folds.json", "metrics.csv", "summary.md", "subgroups.csv", "ablation.md", "ablation.csv")


class RunFolder:
    """Paths and readers of one run folder (nothing is created here; writers use `atomic`)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    # --- top-level files ---------------------------------------------------------------------------
    @property
    def config(self) -> Path:
        return self.path / "config.yaml"

    @property
    def folds_file(self) -> Path:
        return self.path / "folds.json"

    @property
    def provenance(self) -> Path:
        return self.path / "provenance.json"

    @property
    def metrics_json(self) -> Path:
        return self.path / "metrics.json"

    @property
    def metrics_csv(self) -> Path:
        return self.path / "metrics.csv"

    @property
    def summary(self) -> Path:
        return self.path / "summary.md"

    @property
    def subgroups(self) -> Path:
        return self.path / "subgroups.csv"

    def plot(self, name: str) -> Path:
        return self.path / f"{name}.png"

    # --- folds -------------------------------------------------------------------------------------
    def fold(self, k: int) -> Path:
        return self.path / "folds" / f"fold_{k}"

    def fold_done(self, k: int) -> bool:
        """A fold is finished when its metrics.json exists (the fold folder appears atomically)."""
        return (self.fold(k) / "metrics.json").is_file()

    def fold_metrics(self) -> dict[int, dict]:
        """{fold number: its metrics} of every finished fold, in fold order."""
        found = {int(f.parent.name.split("_")[1]): f for f in (self.path / "folds").glob("fold_*/metrics.json")}
        return {k: json.loads(found[k].read_text()) for k in sorted(found)}

    def scores(self, k: int) -> Path:
        return self.fold(k) / "scores.npz"

    def predictions(self, k: int) -> Path:
        return self.fold(k) / "predictions.csv"

    def folds(self) -> dict:
        """folds.json: protocol, seed, folds, repeats and the test drugs (or pairs) of each fold."""
        return json.loads(self.folds_file.read_text())

    # --- checks ------------------------------------------------------------------------------------
    def require(self, *files: Path, finished: bool = False) -> RunFolder:
        """self, or a one-line UserError naming what is missing from this folder."""
        missing = [f.name for f in files if not f.is_file()]
        if missing:
            state = "finished run folder" if finished else "run folder"
            fix = "run `llmpredgraph experiment` to completion first"
            fix = fix if finished else "pass a folder written by `llmpredgraph experiment`"
            raise UserError(f"{self.path} is not a {state} (no {' / '.join(missing)})", fix)
        return self
