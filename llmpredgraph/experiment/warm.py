"""Warm protocol: 10-fold over known pairs; held-out pairs are removed from the graph and features.

Every drug is a labelled node. Training hides a random share of the fit pairs from the graph each
epoch and learns them (pseudo-held-out pairs), so training sees what a test pair sees: the drug's
other pairs, never the pair itself. Validation pairs, carved from the training pairs, pick the epoch.
"""

from __future__ import annotations

import time

import numpy as np

from ..config import Config
from ..graph.build import GraphBuilder
from ..graph.edges import hierarchy_edges
from ..graph.model import build_model
from .baselines import BASELINES
from .features import Inputs, fold_features
from .metrics import evaluate
from .splits import carve_validation_pairs, hide_pairs, only_pairs, sample_unknown
from .train import fit_model, predict_matrix, predict_pairs, uses_graph


def _support(graph: bool, n_drugs: int) -> np.ndarray:
    """Warm graphs label every drug; a model without message passing needs no graph edges."""
    return np.arange(n_drugs) if graph else np.zeros(0, dtype=int)


def warm_sampler(builder: GraphBuilder, R_fit: np.ndarray, unknown: np.ndarray, t, graph: bool):
    """Hide `query_fraction` of the fit pairs from the graph; they are the epoch's positives, and
    as many unknown pairs of the same drugs (unknown = not a training pair) are its negatives."""
    pairs = np.argwhere(R_fit > 0)
    support = _support(graph, R_fit.shape[0])

    def draw(rng: np.random.Generator):
        n_q = max(1, int(round(t.query_fraction * len(pairs))))
        pick = pairs[np.sort(rng.choice(len(pairs), size=n_q, replace=False))]
        drugs, counts = np.unique(pick[:, 0], return_counts=True)
        nd, ns = sample_unknown(unknown, drugs, np.round(counts * t.neg_ratio).astype(int), rng)
        data = builder.build(support, [], hide_pairs(R_fit, pick))
        return data, np.concatenate([pick[:, 0], nd]), np.concatenate([pick[:, 1], ns]), R_fit[pick[:, 0], pick[:, 1]]

    return draw


def warm_targets(R_labels: np.ndarray, R_visible: np.ndarray, held: np.ndarray, unknown: np.ndarray, seed: int):
    """(drug rows, held-out classes, 1:1 negatives, cells to ignore) for scoring held-out pairs."""
    rows = np.unique(held[:, 0])
    R_held = only_pairs(R_labels, held)[rows]
    nr, nc = sample_unknown(unknown[rows], np.arange(len(rows)), (R_held > 0).sum(1), np.random.default_rng(seed))
    return rows, R_held, nr, nc, (R_visible > 0)[rows]


def warm_validator(builder: GraphBuilder, R_train: np.ndarray, R_fit: np.ndarray, val_pairs: np.ndarray, seed: int, max_cells: int = 100_000):
    """Scores validation pairs, their 1:1 negatives and a fixed random sample of the other unknown
    cells (scoring every cell of every drug at each check cost more than the training itself)."""
    rows, R_val, nr, nc, ignore = warm_targets(R_train, R_fit, val_pairs, R_train == 0, seed)
    rng = np.random.default_rng(seed + 1)
    cells = np.zeros(R_val.shape, dtype=bool)
    cells[R_val > 0] = True
    cells[nr, nc] = True
    free = np.flatnonzero(~ignore & ~cells)
    cells.flat[rng.choice(free, size=min(max_cells, len(free)), replace=False)] = True
    r, c = np.nonzero(cells)

    def validate(model) -> dict:
        p = predict_pairs(model, builder, _support(uses_graph(model), R_fit.shape[0]), [], rows[r], c, R=R_fit)
        pred = {k: np.zeros(R_val.shape, dtype=np.float32) for k in p}
        for k, v in p.items():
            pred[k][r, c] = v
        return evaluate(pred, R_val, nr, nc, per_drug=False, ignore=~cells)

    return validate


def run_warm_fold(bench, inputs: Inputs, train_pairs: np.ndarray, test_pairs: np.ndarray, cfg: Config, fold: int, progress: bool = True) -> dict:
    """Same result layout as the cold `run_fold`: metrics, predictions, info, features."""
    from .fold import model_variants, prediction_table

    seed = cfg.seed + fold
    R_train = hide_pairs(bench.R, test_pairs)  # everything below sees only this (and R_fit)
    fit_pairs, val_pairs = carve_validation_pairs(train_pairs, cfg.protocol.val_fraction, seed)
    R_fit = hide_pairs(R_train, val_pairs)
    everyone = np.arange(bench.n_drugs)
    t0 = time.perf_counter()
    feats = fold_features(inputs, R_fit, everyone, cfg, bench.smiles, seed, progress)
    info = {"contrastive": feats.contrastive.info if feats.contrastive else None, "features_seconds": time.perf_counter() - t0}
    builder = GraphBuilder(feats.x_drug, feats.x_se, R_fit, feats.S_drug, hierarchy_edges(bench.side_effects, bench.hierarchy), cfg.graph)
    rows, R_test, nr, nc, ignore = warm_targets(bench.R, R_train, test_pairs, bench.R == 0, seed)
    preds = {}
    for name, vcfg in model_variants(cfg).items():
        t1 = time.perf_counter()
        model = build_model(vcfg, feats.x_drug.shape[1], feats.x_se.shape[1], bench.n_side_effects, n_drug=bench.n_drugs)
        sampler = warm_sampler(builder, R_fit, R_train == 0, vcfg.train, uses_graph(model))
        model, hist = fit_model(model, sampler, warm_validator(builder, R_train, R_fit, val_pairs, seed), vcfg, seed, progress, desc=f"fold {fold} {name}")
        # Test time: all training pairs (fit + validation) are edges; held-out pairs are not.
        preds[name] = predict_matrix(model, builder, _support(uses_graph(model), bench.n_drugs), [], rows=rows, R=R_train)
        info[name] = {**hist, "seconds": time.perf_counter() - t1}
    for name in cfg.baselines:
        preds[name] = BASELINES[name](R_train, everyone, rows, tanimoto=inputs.tanimoto)
    metrics = {name: evaluate(p, R_test, nr, nc, ignore=ignore) for name, p in preds.items()}
    return {"metrics": metrics, "predictions": prediction_table(bench, rows, R_test, preds, nr, nc), "info": info, "features": feats}
