"""The `finetune` command: one fold's contrastive stage, saved with a before/after map."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import yaml

from ..atomic import atomic_path
from ..config import Config
from ..data import load_benchmark
from ..experiment.features import load_inputs
from ..experiment.plots import embedding_map
from ..experiment.runner import atc_labels
from ..experiment.splits import carve_validation, cold_folds
from .stage import run_contrastive


def finetune_command(cfg: Config, fold: int, out: str | Path | None) -> list[str]:
    bench = load_benchmark(cfg.data)
    folds = cold_folds(bench.n_drugs, cfg.protocol.folds, cfg.seed)
    train_idx, test_idx = folds[fold]
    fit_idx, _ = carve_validation(train_idx, cfg.protocol.val_fraction, cfg.seed + fold)
    inputs = load_inputs(bench, cfg)
    res = run_contrastive(bench.R, fit_idx, inputs.X_drug, inputs.X_se, cfg.contrastive, cfg.seed + fold, bench.smiles, cfg.encoders.drug)
    out = Path(out or f"runs/finetune-{cfg.contrastive.mode}-fold{fold}")
    with atomic_path(out, is_dir=True) as tmp:
        (tmp / "config.yaml").write_text(yaml.safe_dump(cfg.dump(), sort_keys=False))
        np.savez_compressed(tmp / "tuned_embeddings.npz", drug=res.drug, side_effect=res.se, fit_drugs=fit_idx, test_drugs=test_idx)
        torch.save({"drug_head": res.drug_head.state_dict(), "se_head": res.se_head.state_dict(), "lm_state": res.lm_state, "info": res.info}, tmp / "towers.pt")
        embedding_map(inputs.X_drug, res.drug, atc_labels(bench), tmp / "embeddings_before_after.png", cfg.seed)
    info = res.info
    return [
        f"mode {info['mode']}: {info['steps']} steps in {info['seconds']:.1f}s; pairs {info['pairs']}",
        f"loss {info['loss_first']:.3f} -> {info['loss_last']:.3f}",
        f"tuned drugs {res.drug.shape}, side effects {res.se.shape} -> {out}",
    ]
