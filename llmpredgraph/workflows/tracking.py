"""Optional experiment tracking (`--track mlflow`, extra `pip install llmpredgraph[track]`). The run
or model folder stays the primary record; MLflow gets a copy: the resolved config as params, per-fold
metrics (step = fold) and their mean/sd, the summary, plots and tables, or the model folder."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from ..config import Config
from ..errors import UserError
from ..runfolder import ARTIFACTS, RunFolder

TRACKERS = ("none", "mlflow")
DEFAULT_STORE = Path("runs/mlruns")


def tracking_uri() -> str:
    """MLFLOW_TRACKING_URI when set, else a local file store under runs/mlruns."""
    return os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_STORE.resolve().as_uri()


def _mlflow(uri: str):
    try:
        import mlflow
    except ImportError:
        raise UserError(
            "--track mlflow needs MLflow, which is not installed", "pip install 'llmpredgraph[track]'"
        ) from None
    if uri.startswith("file:"):
        # MLflow 3 keeps the file store in maintenance mode behind this switch; it is the simple local default
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    mlflow.set_tracking_uri(uri)
    return mlflow


def flat_params(tree: dict, prefix: str = "") -> dict[str, str]:
    """{'model': {'hidden': 16}} -> {'model.hidden': '16'}; MLflow params are strings."""
    out: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(flat_params(value, name + "."))
        else:
            out[name] = str(value)[:500]
    return out


def track_folder(
    folder: str | Path, cfg: Config, kind: str, tracker: str = "mlflow", experiment: str | None = None
) -> str | None:
    """Log a finished run folder (kind 'experiment') or model folder (kind 'model') as one MLflow run
    in `experiment` (default: the config's name); returns the run id (None for tracker 'none')."""
    if tracker == "none":
        return None
    if tracker not in TRACKERS:
        raise UserError(f"unknown tracker {tracker!r}", f"choose one of {', '.join(TRACKERS)}")
    folder = Path(folder)
    mlflow = _mlflow(tracking_uri())
    from .. import __version__

    mlflow.set_experiment(experiment or cfg.name)
    with mlflow.start_run(run_name=folder.name, tags={"kind": kind, "folder": str(folder.resolve())}) as run:
        mlflow.set_tag("llmpredgraph_version", __version__)
        mlflow.log_params(flat_params(cfg.dump()))
        if kind == "model":
            mlflow.log_artifacts(str(folder), artifact_path="model")
            return run.info.run_id
        metrics = RunFolder(folder).metrics_csv
        if metrics.is_file():
            df = pd.read_csv(metrics)
            values = [c for c in df.columns if c not in ("fold", "repeat", "method")]
            for row in df.itertuples(index=False):
                rec = row._asdict()
                mlflow.log_metrics(
                    {f"{rec['method']}.{m}": float(rec[m]) for m in values if pd.notna(rec[m])}, step=int(rec["fold"])
                )
            g = df.groupby("method")[values]
            summary = {f"{m}.{v}.mean": float(x) for (m, v), x in g.mean().stack().items()}
            summary |= {f"{m}.{v}.sd": float(x) for (m, v), x in g.std(ddof=1).stack().items() if pd.notna(x)}
            mlflow.log_metrics(summary)
        for name in ARTIFACTS:
            if (folder / name).is_file():
                mlflow.log_artifact(str(folder / name))
        for png in sorted(folder.glob("*.png")):
            mlflow.log_artifact(str(png), artifact_path="plots")
        return run.info.run_id


def track_saved(folder: str | Path, kind: str, tracker: str = "mlflow", experiment: str | None = None) -> str | None:
    """track_folder with the config saved in the folder (run and model folders both keep config.yaml)."""
    if tracker == "none":
        return None
    import yaml

    from ..config import from_dict

    path = Path(folder) / "config.yaml"
    return track_folder(folder, from_dict(yaml.safe_load(path.read_text()), str(path)), kind, tracker, experiment)
