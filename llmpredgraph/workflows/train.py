"""`train`: fit one pipeline on every learnable drug and save it.

Cold (and scaffold) configs give a model for new molecules; a warm config gives a completion model
for benchmark drugs, trained on all known pairs, that scores their not-yet-known side effects."""

from __future__ import annotations

from pathlib import Path

from ..config import Config
from ..data import load_benchmark
from ..pipeline.features import fit_features, load_inputs
from ..pipeline.support import SupportData
from ..protocols import fit_pipeline, make_protocol
from ..runtime import seed_everything, set_threads


def train_full(cfg: Config, out: str | Path, progress: bool = True) -> dict:
    seed_everything(cfg.seed)
    set_threads(cfg.threads)
    bench = load_benchmark(cfg.data)
    inputs = load_inputs(bench, cfg, progress)
    protocol = make_protocol(bench, cfg)
    split = protocol.training_split()
    features = fit_features(inputs, split.R_fit, split.feature_drugs, cfg, bench.smiles, split.fold.seed, progress)
    # the graph shows every training label by default; the samplers and validators pass their own masks
    support = SupportData.from_benchmark(bench, inputs.fingerprints, split.R_train)
    pipe = fit_pipeline(
        protocol, split, features, support, cfg, progress=progress, desc=f"train ({protocol.kind}, all drugs)"
    )
    info = {
        "protocol": protocol.kind,
        "best_epoch": pipe.history["best_epoch"],
        "best_val_score": pipe.history["best_val_score"],
    }
    pipe.save(out, info)
    return {"out": str(out), **info}
