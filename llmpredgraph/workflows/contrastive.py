"""The `contrastive` command: one cold fold's contrastive encoder stage (projection heads, or LoRA /
all LM weights), saved with a before/after map. End-to-end fine-tuning with the link model is
`pipeline/joint.py`, run inside `experiment` and `train`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import yaml

from ..atomic import atomic_path
from ..config import Config
from ..data import load_benchmark
from ..data.atc import atc_level1_labels
from ..errors import UserError
from ..pipeline.features import contrastive_stage, load_inputs
from ..protocols import ColdProtocol
from ..reporting.plots import embedding_map


def contrastive_command(cfg: Config, fold: int, out: str | Path | None) -> list[str]:
    bench = load_benchmark(cfg.data, labels=cfg.labels)
    protocol = ColdProtocol(bench, cfg)
    folds = protocol.folds()
    if not 0 <= fold < len(folds):
        raise UserError(f"fold {fold} is outside 0..{len(folds) - 1}", "pass --fold with an existing fold number")
    split = protocol.split(folds[fold])
    inputs = load_inputs(bench, cfg)
    res = contrastive_stage(inputs, split.R_fit, split.fit, cfg, bench.smiles, split.fold.seed)
    out = Path(out or f"runs/contrastive-{cfg.contrastive.mode}-fold{fold}")
    with atomic_path(out, is_dir=True) as tmp:
        (tmp / "config.yaml").write_text(yaml.safe_dump(cfg.dump(), sort_keys=False))
        np.savez_compressed(
            tmp / "tuned_embeddings.npz",
            drug=res.drug,
            side_effect=res.se,
            fit_drugs=split.fit,
            test_drugs=split.fold.test,
        )
        torch.save(
            {
                "drug_head": res.drug_head.state_dict(),
                "se_head": res.se_head.state_dict(),
                "lm_state": res.lm_state,
                "info": res.info,
            },
            tmp / "towers.pt",
        )
        embedding_map(inputs.X_drug, res.drug, atc_level1_labels(bench), tmp / "embeddings_before_after.png", cfg.seed)
    info = res.info
    return [
        f"mode {info['mode']}: {info['steps']} steps in {info['seconds']:.1f}s; pairs {info['pairs']}",
        f"loss {info['loss_first']:.3f} -> {info['loss_last']:.3f}",
        f"tuned drugs {res.drug.shape}, side effects {res.se.shape} -> {out}",
    ]
