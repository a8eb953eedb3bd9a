"""`train`: fit one pipeline on every learnable drug (validation drugs carved for early stopping) and save it."""

from __future__ import annotations

from pathlib import Path

from ..config import Config
from ..data import load_benchmark
from ..errors import UserError
from ..pipeline.features import fit_features, load_inputs
from ..pipeline.support import SupportData
from ..protocols import ColdProtocol, fit_pipeline
from ..runtime import seed_everything, set_threads


def train_full(cfg: Config, out: str | Path, progress: bool = True) -> dict:
    if cfg.protocol.kind != "cold":
        raise UserError(
            "`train` builds a model for new molecules, which is the cold setting; this config is warm",
            "use configs/cold.yaml (warm models exist only inside `experiment` folds)",
        )
    seed_everything(cfg.seed)
    set_threads(cfg.threads)
    bench = load_benchmark(cfg.data)
    inputs = load_inputs(bench, cfg, progress)
    protocol = ColdProtocol(bench, cfg)
    split = protocol.training_split()
    features = fit_features(inputs, split.R_fit, split.feature_drugs, cfg, bench.smiles, split.fold.seed, progress)
    support = SupportData.from_benchmark(bench, inputs.fingerprints, split.R_train)
    pipe = fit_pipeline(protocol, split, features, support, cfg, progress=progress, desc="train (all drugs)")
    info = {"best_epoch": pipe.history["best_epoch"], "best_val_score": pipe.history["best_val_score"]}
    pipe.save(out, info)
    return {"out": str(out), **info}
