"""The one fold runner every protocol uses, with nested selection inside the fold."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import torch

from ..config import Config
from ..pipeline.features import Inputs, NodeFeatures, fit_features
from ..pipeline.fitted import HEADS, Pipeline
from ..pipeline.support import SupportData
from .base import Fold, FoldResult, Protocol, Split, Targets
from .selection import baseline_grid, candidate_configs, effective_key, feature_key, tuned_prior

PipelineFactory = Callable[[Config, NodeFeatures, SupportData], Pipeline]


def model_variants(cfg: Config) -> dict[str, Config]:
    """The graph model as configured (protocol.with_graph), plus the plain MLP (same parts, message
    passing off; protocol.with_mlp)."""
    out = {"graph": cfg} if cfg.protocol.with_graph else {}
    if cfg.protocol.with_mlp and (cfg.model.message_passing or cfg.model.label_propagation):
        out["mlp"] = cfg.model_copy(
            update={"model": cfg.model.model_copy(update={"message_passing": False, "label_propagation": False})}
        )
    return out


def fit_on_split(
    protocol: Protocol,
    split: Split,
    inputs: Inputs,
    cfg: Config,
    features: NodeFeatures | None = None,
    factory: PipelineFactory = Pipeline,
    progress: bool = True,
    desc: str = "train",
) -> Pipeline:
    """The one training recipe of experiment folds, `train` and the scripts: split -> features ->
    support -> fit. Features are fitted on split.R_fit (test and validation labels hidden) unless
    given; the support labels are R_fit too, so no validation label reaches the graph, the priors or
    the auxiliary pairs while epochs and corrections are chosen; the protocol's sampler and validator
    train it. Test-time prediction then shows split.R_train (validation drugs become labelled
    support): protocols pass it to predict, and `train` serves it (Pipeline.serve_labels)."""
    seed = split.fold.seed + cfg.train.seed
    bench = protocol.bench
    if features is None:
        features = fit_features(inputs, split.R_fit, split.feature_drugs, cfg, bench.smiles, seed, progress)
    torch.manual_seed(seed)  # a model's initial weights depend on its fold and seed, not on the models fitted before it
    pipe = factory(cfg, features, SupportData.from_benchmark(bench, inputs.fingerprints, split.R_fit))
    pipe.fit(protocol.sampler(split, pipe), protocol.validator(split, pipe), seed, progress, desc, split.R_fit)
    return pipe


def run_fold(
    protocol: Protocol, fold: Fold, inputs: Inputs, factory: PipelineFactory = Pipeline, progress: bool = True
) -> FoldResult:
    """Features, every model variant and every baseline on one fold, scored on the same targets.

    With `selection.candidates`, each variant is trained once per distinct candidate and the one
    with the best validation score predicts the test part; with `selection.baselines`, each
    baseline's knobs are chosen on the validation labels the same way, first, so that the baseline
    named by model.prior.tuned_by sets the graph model's prior. Nothing chosen here sees a test label."""
    cfg, bench = protocol.cfg, protocol.bench
    seed = fold.seed + cfg.train.seed  # training draws; folds and validation drugs keep fold.seed
    torch.manual_seed(seed)  # a fold's result never depends on the folds run before it (resume, executors)
    split = protocol.split(fold)
    info: dict = {}
    knobs = {name: choose_baseline_knobs(protocol, split, inputs, name, info) for name in cfg.baselines}
    candidates = {n: tuned_prior(c, knobs) for n, c in candidate_configs(cfg).items()}
    if cfg.model.prior.tuned_by:
        info["prior"] = next(iter(candidates.values())).model.prior.model_dump()
    cache: dict[str, NodeFeatures] = {}
    t0 = time.perf_counter()

    def features_for(c: Config) -> NodeFeatures:
        key = feature_key(c)
        if key not in cache:
            cache[key] = fit_features(inputs, split.R_fit, split.feature_drugs, c, bench.smiles, seed, progress)
        return cache[key]

    features = features_for(next(iter(candidates.values())))
    info.update({"contrastive": features.info, "features_seconds": time.perf_counter() - t0})
    targets = protocol.targets(split)
    preds, pipes = {}, {}
    for name in model_variants(cfg):
        t1, trained, scores = time.perf_counter(), {}, {}
        for cname, ccfg in candidates.items():
            vcfg = model_variants(ccfg)[name]
            key = effective_key(vcfg, uses_graph=name == "graph")
            if key not in trained:
                desc = f"fold {fold.index} {name}" + (f" [{cname}]" if len(candidates) > 1 else "")
                pipe = fit_on_split(protocol, split, inputs, vcfg, features_for(ccfg), factory, progress, desc)
                trained[key] = (pipe, cname)
            scores[cname] = float(trained[key][0].history["best_val_score"])
        pipe, chosen = max(trained.values(), key=lambda t: scores[t[1]])  # the first of equals wins
        pipes[name], preds[name] = pipe, protocol.predict(split, targets, pipe)
        info[name] = {**pipe.history, "seconds": time.perf_counter() - t1}
        if len(candidates) > 1:
            info[name]["selection"] = {"chosen": chosen, "validation_scores": scores}
    if cfg.fast_path.enabled:  # the same fold's graph model through `screen --fast`'s path
        t2 = time.perf_counter()
        preds["graph_fast"], record = protocol.predict_fast(split, targets, pipes["graph"], inputs, preds["graph"])
        info["fast_path"] = {**record, "seconds": time.perf_counter() - t2}
    features = pipes["graph"].features if "graph" in pipes else features
    for name in cfg.baselines:
        preds[name] = protocol.baseline(name, split, targets, inputs, **knobs[name])
    metrics = {name: protocol.evaluate(targets, p) for name, p in preds.items()}
    return FoldResult(metrics, prediction_table(bench, targets, preds), info, features, pipes, preds, targets.rows)


def choose_baseline_knobs(protocol: Protocol, split: Split, inputs: Inputs, name: str, info: dict) -> dict:
    """The knob setting of baseline `name` that scores best on the fold's validation drugs (the first
    of its grid when there is no choice); the scores go to info['baseline_selection']. Association's
    own kernel (assoc_k, assoc_power), when its grid names them, is chosen next, holding the other
    knobs, on the association criterion alone: those knobs move no other head."""
    grid, assoc_grid = baseline_grid(protocol.cfg, name), baseline_grid(protocol.cfg, name, assoc=True)
    cache: dict = {}  # this fold's fit labels only: bias fits and similarities shared across the grid
    knobs, record = grid[0], {}
    if len(grid) > 1:
        vals = [protocol.validate_baseline(name, split, inputs, cache=cache, **g) for g in grid]
        knobs = grid[int(np.nanargmax(vals))]
        record["validation_scores"] = list(zip(grid, vals))
    if assoc_grid != [{}]:
        vals = [
            protocol.validate_baseline(name, split, inputs, criterion="association", cache=cache, **knobs, **a)
            for a in assoc_grid
        ]
        knobs = {**knobs, **assoc_grid[int(np.nanargmax(vals))]}
        record["association_scores"] = list(zip(assoc_grid, vals))
    if record:
        info.setdefault("baseline_selection", {})[name] = {"chosen": knobs, **record}
    return knobs


def prediction_table(bench, targets: Targets, preds: dict) -> pd.DataFrame:
    """Held-out pairs plus the sampled negatives, with every method's three scores."""
    R_test = targets.R_test
    r, c = np.nonzero(R_test)
    rows, cols = np.concatenate([r, targets.neg_rows]), np.concatenate([c, targets.neg_cols])
    df = pd.DataFrame(
        {
            "drug": np.asarray(bench.drug_names)[targets.rows[rows]],
            "side_effect": np.asarray(bench.se_names)[cols],
            "true_class": R_test[rows, cols],
        }
    )
    for name, p in preds.items():
        for k in HEADS:
            df[f"{name}_{k}"] = np.round(p[k][rows, cols], 5)
    return df
