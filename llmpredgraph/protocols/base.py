"""The protocol interface (relbench's Task is the model): what a fold is and what a protocol owns.

A protocol owns fold assignment, label masking, the validation split, training draws (negative
sampling), validation, test-time prediction and evaluation; `fold.run_fold` runs any protocol.
Adding a protocol means one new module with one `Protocol` subclass.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..config import Config
from ..frequency import classes_only
from ..metrics.functions import evaluate, mention_metrics
from ..pipeline.features import Inputs, NodeFeatures
from ..pipeline.fitted import Pipeline
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
class MentionTargets:
    """The mentions truth of a fold (labels hold LISTED cells): 1:1 unlisted negatives and the
    training popularity of listed pairs (its stratified AUROC's bins)."""

    neg_rows: np.ndarray
    neg_cols: np.ndarray
    popularity: np.ndarray


@dataclass
class Targets:
    """What a fold is scored on. rows: benchmark drug index of each row [m]; R_test [m, n_se]:
    classes of the held-out pairs, 0 elsewhere; neg_rows / neg_cols: the 1:1 sampled unknown
    pairs (rows index R_test); ignore [m, n_se]: cells left out of the all-unknowns AUROC, or None;
    popularity [n_se]: share of training drugs with each side effect (the stratified AUROC's bins)."""

    rows: np.ndarray
    R_test: np.ndarray
    neg_rows: np.ndarray
    neg_cols: np.ndarray
    ignore: np.ndarray | None = None
    popularity: np.ndarray | None = None
    mentions: MentionTargets | None = None  # scored a second time against mentions (metrics *_mentions)


@dataclass
class FoldResult:
    metrics: dict[str, dict[str, float]]
    predictions: pd.DataFrame
    info: dict
    features: NodeFeatures
    pipelines: dict[str, Pipeline] = field(default_factory=dict)
    scores: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)  # method -> head -> [rows, n_se]
    rows: np.ndarray | None = None  # benchmark drug index of each score row


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
    def training_split(self) -> Split:
        """Everything trains (validation carved for early stopping): the model `train` serves."""

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

    def predict_fast(
        self, split: Split, targets: Targets, pipe: Pipeline, inputs: Inputs, reference: dict[str, np.ndarray]
    ) -> tuple[dict[str, np.ndarray], dict]:
        """The test rows scored through `screen --fast`'s path (fast_path.enabled), and its record;
        reference: the same pipeline's test-time scores. Only protocols that hold out drugs have one."""
        raise NotImplementedError(f"the {self.kind} protocol scores no new molecules")

    @abstractmethod
    def baseline(self, name: str, split: Split, targets: Targets, inputs: Inputs, **knobs) -> dict[str, np.ndarray]:
        """A baseline's score matrices over the same rows, from training labels only."""

    @abstractmethod
    def validate_baseline(
        self, name: str, split: Split, inputs: Inputs, criterion: str = "selection", **knobs
    ) -> float:
        """The selection criterion of a baseline setting, fitted on fit labels, scored on validation
        labels: 'selection' (`selection_score`) or 'association' (association's own kernel)."""

    def evaluate(self, targets: Targets, pred: dict[str, np.ndarray]) -> dict[str, float]:
        """Every metric against R's classes; with label mentions, the association metrics again
        against mentions (suffix _mentions)."""
        out = evaluate(
            pred,
            classes_only(targets.R_test),
            targets.neg_rows,
            targets.neg_cols,
            ignore=targets.ignore,
            popularity=targets.popularity,
        )
        m = targets.mentions
        if m is not None:
            out.update(
                mention_metrics(pred["assoc"], targets.R_test, m.neg_rows, m.neg_cols, m.popularity, targets.ignore)
            )
        return out
