"""`train`: fit on every learnable drug (validation drugs carved for early stopping), save a model folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import yaml

from .. import __version__
from ..atomic import atomic_path
from ..config import Config
from ..data import load_benchmark
from ..errors import UserError
from ..experiment.features import fold_features, load_inputs
from ..experiment.runner import seed_everything
from ..experiment.splits import carve_validation
from ..experiment.train import train_link_model
from ..graph.build import GraphBuilder
from ..graph.edges import hierarchy_edges
from ..graph.model import build_model


def train_full(cfg: Config, out: str | Path, progress: bool = True) -> dict:
    if cfg.protocol.kind != "cold":
        raise UserError("`train` builds a model for new molecules, which is the cold setting; this config is warm", "use configs/cold.yaml (warm models exist only inside `experiment` folds)")
    seed_everything(cfg.seed)
    bench = load_benchmark(cfg.data)
    inputs = load_inputs(bench, cfg, progress)
    all_idx = np.arange(bench.n_drugs)
    fit_idx, val_idx = carve_validation(all_idx, cfg.protocol.val_fraction, cfg.seed)
    feats = fold_features(inputs, bench.R, fit_idx, cfg, bench.smiles, cfg.seed, progress)
    builder = GraphBuilder(feats.x_drug, feats.x_se, bench.R, feats.S_drug, hierarchy_edges(bench.side_effects, bench.hierarchy), cfg.graph)
    model = build_model(cfg, feats.x_drug.shape[1], feats.x_se.shape[1], bench.n_side_effects)
    model, hist = train_link_model(model, builder, bench.R, fit_idx, val_idx, cfg, cfg.seed, progress, desc="train (all drugs)")
    res = feats.contrastive
    meta = {
        "version": __version__,
        "encoders": inputs.identities,
        "benchmark_R_sha256": _r_digest(bench.R),
        "n_drugs": int(bench.n_drugs),
        "best_epoch": hist["best_epoch"],
        "best_val_score": hist["best_val_score"],
    }
    out = Path(out)
    with atomic_path(out, is_dir=True) as tmp:
        (tmp / "config.yaml").write_text(yaml.safe_dump(cfg.dump(), sort_keys=False))
        (tmp / "meta.yaml").write_text(yaml.safe_dump(meta, sort_keys=False))
        model.save(tmp / "model.pt")
        towers = {"drug_head": res.drug_head.state_dict() if res else None, "drug_head_settings": res.drug_head.settings if res else None,
                  "lm_state": res.lm_state if res else None,
                  "raw_mean": inputs.X_drug[fit_idx].mean(0), "raw_std": inputs.X_drug[fit_idx].std(0)}
        torch.save(towers, tmp / "towers.pt")
        np.savez_compressed(tmp / "features.npz", x_drug=feats.x_drug, x_se=feats.x_se, fingerprints=inputs.fingerprints)
    return {"out": str(out), **meta}


def _r_digest(R: np.ndarray) -> str:
    import hashlib

    return hashlib.sha256(np.ascontiguousarray(R.astype(np.uint8)).tobytes()).hexdigest()


