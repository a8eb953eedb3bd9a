"""One cold-start fold: features, graph model, plain MLP and baselines on the same test drugs (warm: warm.py)."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import torch

from ..config import Config
from ..graph.build import GraphBuilder
from ..graph.edges import hierarchy_edges
from ..graph.model import build_model
from .baselines import BASELINES
from .features import Inputs, fold_features
from .metrics import evaluate
from .splits import carve_validation, sample_negatives
from .train import predict_matrix, train_link_model


def model_variants(cfg: Config) -> dict[str, Config]:
    """The graph model as configured, plus the plain MLP (same parts, message passing off)."""
    out = {"graph": cfg}
    if cfg.protocol.with_mlp and (cfg.model.message_passing or cfg.model.label_propagation):
        out["mlp"] = cfg.model_copy(update={"model": cfg.model.model_copy(update={"message_passing": False, "label_propagation": False})})
    return out


def run_fold(bench, inputs: Inputs, train_idx: np.ndarray, test_idx: np.ndarray, cfg: Config, fold: int, progress: bool = True) -> dict:
    """Returns {'metrics': {method: {...}}, 'predictions': DataFrame, 'info': {...}}."""
    seed = cfg.seed + fold
    R = bench.R
    fit_idx, val_idx = carve_validation(train_idx, cfg.protocol.val_fraction, seed)
    t0 = time.perf_counter()
    feats = fold_features(inputs, R, fit_idx, cfg, bench.smiles, seed, progress)
    t_feat = time.perf_counter() - t0
    builder = GraphBuilder(feats.x_drug, feats.x_se, R, feats.S_drug, hierarchy_edges(bench.side_effects, bench.hierarchy), cfg.graph)
    preds, info = {}, {"contrastive": feats.contrastive.info if feats.contrastive else None, "features_seconds": t_feat}
    for name, vcfg in model_variants(cfg).items():
        t1 = time.perf_counter()
        model = build_model(vcfg, feats.x_drug.shape[1], feats.x_se.shape[1], R.shape[1], n_drug=R.shape[0])
        model, hist = train_link_model(model, builder, R, fit_idx, val_idx, vcfg, seed, progress, desc=f"fold {fold} {name}")
        # Test time: every training drug (fit + validation) is labelled support; test drugs are queries.
        preds[name] = predict_matrix(model, builder, train_idx, test_idx)
        info[name] = {**hist, "seconds": time.perf_counter() - t1}
    for name in cfg.baselines:
        preds[name] = BASELINES[name](R, train_idx, test_idx, tanimoto=inputs.tanimoto)
    R_test = R[test_idx]
    nr, nc = sample_negatives(R_test, np.arange(len(test_idx)), 1.0, np.random.default_rng(seed))
    metrics = {name: evaluate(p, R_test, nr, nc) for name, p in preds.items()}
    return {"metrics": metrics, "predictions": prediction_table(bench, test_idx, R_test, preds, nr, nc), "info": info, "features": feats}


def prediction_table(bench, test_idx: np.ndarray, R_test: np.ndarray, preds: dict, nr: np.ndarray, nc: np.ndarray) -> pd.DataFrame:
    """Held-out pairs plus the sampled negatives, with every method's three scores."""
    r, c = np.nonzero(R_test)
    rows, cols = np.concatenate([r, nr]), np.concatenate([c, nc])
    df = pd.DataFrame({
        "drug": np.asarray(bench.drug_names)[test_idx[rows]],
        "side_effect": np.asarray(bench.se_names)[cols],
        "true_class": R_test[rows, cols],
    })
    for name, p in preds.items():
        for k in ("dsf", "dshf", "assoc"):
            df[f"{name}_{k}"] = np.round(p[k][rows, cols], 5)
    return df


def set_threads(cfg: Config) -> None:
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
