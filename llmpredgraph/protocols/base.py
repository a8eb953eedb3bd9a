"""The protocol interface (relbench's Task is the model) and the one fold runner every protocol uses.

A protocol owns fold assignment, label masking, the validation split, training draws (negative
sampling), validation, test-time prediction and evaluation. `run_fold` fits the features once,
then each model variant through one `Pipeline`, then the baselines, and scores them all on the
same targets. Adding a protocol means one new module with one `Protocol` subclass.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from ..config import Config
from ..metrics.functions import evaluate
from ..pipeline.features import Inputs, NodeFeatures, fit_features
from ..pipeline.pipeline import HEADS, Pipeline
from ..pipeline.support import SupportData
from ..pipeline.training import Sampler, Validator


@dataclass
class Fold:
    """train / test: drug indices [n] (cold) or (drug, side effect) pairs [n, 2] (warm). index
    numbers folds across repeats (repeat r, fold k -> r * folds + k); seed = config seed + index."""

    index: int
    seed: int
    train: np.ndarray
    test: np.ndarray
    repeat: int = 0


@dataclass
class Split:
    """What fitting may see. R_train: every label outside the test set; R_fit: R_train less the
    validation labels (what features, graph edges and training draws read); feature_drugs: the
    drugs whose rows the features may read; fit / val: drugs (cold) or pairs (warm)."""

    fold: Fold
    R_train: np.ndarray
    R_fit: np.ndarray
    feature_drugs: np.ndarray
    fit: np.ndarray
    val: np.ndarray


@dataclass
class Targets:
    """What a fold is scored on. rows: benchmark drug index of each row [m]; R_test [m, n_se]:
    classes of the held-out pairs, 0 elsewhere; neg_rows / neg_cols: the 1:1 sampled unknown
    pairs (rows index R_test); ignore [m, n_se]: cells left out of the all-unknowns AUROC, or None."""

    rows: np.ndarray
    R_test: np.ndarray
    neg_rows: np.ndarray
    neg_cols: np.ndarray
    ignore: np.ndarray | None = None


@dataclass
class FoldResult:
    metrics: dict[str, dict[str, float]]
    predictions: pd.DataFrame
    info: dict
    features: NodeFeatures
    pipelines: dict[str, Pipeline] = field(default_factory=dict)


class Protocol(ABC):
    kind: str = ""
    title: str = ""

    def __init__(self, bench, cfg: Config):
        self.bench, self.cfg = bench, cfg

    def folds(self) -> list[Fold]:
        """Every fold of every repeat, in order; identical for every method and variant of a config."""
        p, out = self.cfg.protocol, []
        for r in range(p.repeats):
            for k, (tr, te) in enumerate(self.assign(p.folds, self.cfg.seed + r)):
                index = r * p.folds + k
                out.append(Fold(index, self.cfg.seed + index, tr, te, r))
        return out

    @abstractmethod
    def assign(self, n_folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """One repeat's (train, test) split per fold, drawn with `seed`."""

    @abstractmethod
    def record(self, folds: list[Fold]) -> dict:
        """What each fold tests, by name (folds.json), so runs can be checked for identical folds."""

    @abstractmethod
    def split(self, fold: Fold) -> Split:
        """Mask the test labels and carve validation from the training part of `fold`."""

    @abstractmethod
    def sampler(self, split: Split, pipe: Pipeline) -> Sampler:
        """Training draws: which labels leave the graph each epoch and which pairs are learnt."""

    @abstractmethod
    def validator(self, split: Split, pipe: Pipeline) -> Validator:
        """Scores validation labels exactly as test labels will be scored."""

    @abstractmethod
    def targets(self, split: Split) -> Targets:
        """The held-out labels and the sampled negatives of the fold."""

    @abstractmethod
    def predict(self, split: Split, targets: Targets, pipe: Pipeline) -> dict[str, np.ndarray]:
        """Test-time score matrices [len(targets.rows), n_se] of a fitted pipeline."""

    @abstractmethod
    def baseline(self, name: str, split: Split, targets: Targets, inputs: Inputs) -> dict[str, np.ndarray]:
        """A baseline's score matrices over the same rows, from training labels only."""

    def evaluate(self, targets: Targets, pred: dict[str, np.ndarray]) -> dict[str, float]:
        return evaluate(pred, targets.R_test, targets.neg_rows, targets.neg_cols, ignore=targets.ignore)


def model_variants(cfg: Config) -> dict[str, Config]:
    """The graph model as configured, plus the plain MLP (same parts, message passing off)."""
    out = {"graph": cfg}
    if cfg.protocol.with_mlp and (cfg.model.message_passing or cfg.model.label_propagation):
        out["mlp"] = cfg.model_copy(
            update={"model": cfg.model.model_copy(update={"message_passing": False, "label_propagation": False})}
        )
    return out


PipelineFactory = Callable[[Config, NodeFeatures, SupportData], Pipeline]


def fit_pipeline(
    protocol: Protocol,
    split: Split,
    features: NodeFeatures,
    support: SupportData,
    cfg: Config,
    factory: PipelineFactory = Pipeline,
    progress: bool = True,
    desc: str = "train",
) -> Pipeline:
    """Build one pipeline and train it with the protocol's sampler and validator."""
    pipe = factory(cfg, features, support)
    pipe.fit(protocol.sampler(split, pipe), protocol.validator(split, pipe), split.fold.seed, progress, desc)
    return pipe


def run_fold(
    protocol: Protocol, fold: Fold, inputs: Inputs, factory: PipelineFactory = Pipeline, progress: bool = True
) -> FoldResult:
    """Features, every model variant and every baseline on one fold, scored on the same targets."""
    cfg, bench = protocol.cfg, protocol.bench
    torch.manual_seed(fold.seed)  # a fold's result never depends on the folds run before it (resume, executors)
    split = protocol.split(fold)
    t0 = time.perf_counter()
    features = fit_features(inputs, split.R_fit, split.feature_drugs, cfg, bench.smiles, fold.seed, progress)
    info = {"contrastive": features.info, "features_seconds": time.perf_counter() - t0}
    support = SupportData.from_benchmark(bench, inputs.fingerprints, split.R_fit)
    targets = protocol.targets(split)
    preds, pipes = {}, {}
    for name, vcfg in model_variants(cfg).items():
        t1 = time.perf_counter()
        pipes[name] = fit_pipeline(
            protocol, split, features, support, vcfg, factory, progress, desc=f"fold {fold.index} {name}"
        )
        preds[name] = protocol.predict(split, targets, pipes[name])
        info[name] = {**pipes[name].history, "seconds": time.perf_counter() - t1}
    for name in cfg.baselines:
        preds[name] = protocol.baseline(name, split, targets, inputs)
    metrics = {name: protocol.evaluate(targets, p) for name, p in preds.items()}
    return FoldResult(metrics, prediction_table(bench, targets, preds), info, features, pipes)


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
