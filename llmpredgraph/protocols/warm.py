"""Warm start: folds over known pairs; held-out pairs are removed from the graph and features.

Every drug is a labelled node. Training hides a random share of the fit pairs from the graph each
epoch and learns them (pseudo-held-out pairs), so training sees what a test pair sees: the drug's
other pairs, never the pair itself. Validation pairs, carved from the training pairs, pick the epoch.
"""

from __future__ import annotations

import numpy as np

from ..baselines import run_baseline
from ..frequency import LISTED, classes_only
from ..metrics.functions import association_criterion, selection_metrics
from ..metrics.registry import selection_score
from ..pipeline.fitted import Pipeline
from .base import Fold, MentionTargets, Protocol, Split, Targets
from .splits import carve_validation_pairs, hide_pairs, only_pairs, sample_unknown, warm_folds


class WarmProtocol(Protocol):
    kind = "warm"
    title = "Warm-start experiment (held-out known pairs)"

    def assign(self, n_folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """Folds over the benchmark drugs' known pairs (R > 0: classes, and label mentions when the
        config learns them); the extra SIDER drugs' pairs (never tested) train in every fold."""
        extra = self.bench.is_extra
        core = int((~extra).sum())
        folds = warm_folds(self.bench.R[:core], n_folds, seed)
        if not extra.any():
            return folds
        known = np.argwhere(self.bench.R > 0)
        extra_pairs = known[extra[known[:, 0]]]
        return [(np.concatenate([tr, extra_pairs]), te) for tr, te in folds]

    def record(self, folds: list[Fold]) -> dict:
        drugs, ses, p = np.asarray(self.bench.drug_names), np.asarray(self.bench.se_names), self.cfg.protocol
        return {
            "protocol": self.kind,
            "seed": self.cfg.seed,
            "folds": p.folds,
            "repeats": p.repeats,
            "test_pairs": [[f"{drugs[d]}|{ses[s]}" for d, s in f.test] for f in folds],
        }

    def split(self, fold: Fold) -> Split:
        R_train = hide_pairs(self.bench.R, fold.test)  # everything below sees only this (and R_fit)
        # validation pairs come from the benchmark drugs, scored like test pairs; extra drugs' pairs always fit
        core = ~self.bench.is_extra[fold.train[:, 0]]
        fit_pairs, val_pairs = carve_validation_pairs(fold.train[core], self.cfg.protocol.val_fraction, fold.seed)
        fit_pairs = np.concatenate([fit_pairs, fold.train[~core]])
        return Split(fold, R_train, hide_pairs(R_train, val_pairs), np.arange(self.bench.n_drugs), fit_pairs, val_pairs)

    def training_split(self) -> Split:
        """Every known pair trains (validation pairs carved): a completion model for benchmark drugs."""
        pairs = np.argwhere(self.bench.R > 0)
        return self.split(Fold(0, self.cfg.seed, pairs, np.zeros((0, 2), dtype=np.int64)))

    def _support(self, pipe: Pipeline) -> np.ndarray:
        """Warm graphs label every drug; a model without message passing needs no graph edges."""
        return np.arange(self.bench.n_drugs) if pipe.uses_graph else np.zeros(0, dtype=int)

    def sampler(self, split: Split, pipe: Pipeline):
        return warm_sampler(pipe.builder, split.R_fit, split.R_train == 0, pipe.cfg.train, self._support(pipe))

    def validator(self, split: Split, pipe: Pipeline):
        return warm_validator(pipe, self._support(pipe), split.R_train, split.R_fit, split.val, split.fold.seed)

    def targets(self, split: Split) -> Targets:
        return warm_targets(self.bench.R, split.R_train, split.fold.test, split.fold.seed)

    def predict(self, split: Split, targets: Targets, pipe: Pipeline) -> dict[str, np.ndarray]:
        # Test time: all training pairs (fit + validation) are edges; held-out pairs are not.
        return pipe.predict_matrix(self._support(pipe), [], rows=targets.rows, R=split.R_train)

    def baseline(self, name: str, split: Split, targets: Targets, inputs, **knobs) -> dict[str, np.ndarray]:
        return run_baseline(name, split.R_train, np.arange(self.bench.n_drugs), targets.rows, inputs, **knobs)

    def validate_baseline(self, name: str, split: Split, inputs, criterion: str = "selection", **knobs) -> float:
        """Fit pairs predict the validation pairs, scored like the warm validator (all other unknowns;
        criterion 'association': `association_criterion`, popularity from the fit pairs)."""
        t = warm_targets(split.R_train, split.R_fit, split.val, split.fold.seed)
        pred = run_baseline(name, split.R_fit, np.arange(self.bench.n_drugs), t.rows, inputs, **knobs)
        if criterion == "association":
            return association_criterion(pred["assoc"], t.R_test, (split.R_fit > 0).mean(0), t.ignore)
        return selection_score(selection_metrics(pred, t.R_test, ignore=t.ignore))


def warm_sampler(builder, R_fit: np.ndarray, unknown: np.ndarray, t, support: np.ndarray):
    """Hide `query_fraction` of the fit pairs from the graph; they are the epoch's positives, and
    as many unknown pairs of the same drugs (unknown = not a training pair) are its negatives."""
    pairs = np.argwhere(R_fit > 0)

    def draw(rng: np.random.Generator):
        n_q = max(1, int(round(t.query_fraction * len(pairs))))
        pick = pairs[np.sort(rng.choice(len(pairs), size=n_q, replace=False))]
        drugs, counts = np.unique(pick[:, 0], return_counts=True)
        nd, ns = sample_unknown(unknown, drugs, np.round(counts * t.neg_ratio).astype(int), rng)
        data = builder.build(support, [], hide_pairs(R_fit, pick))
        return data, np.concatenate([pick[:, 0], nd]), np.concatenate([pick[:, 1], ns]), R_fit[pick[:, 0], pick[:, 1]]

    return draw


def warm_targets(R_labels: np.ndarray, R_visible: np.ndarray, held: np.ndarray, seed: int) -> Targets:
    """Held-out pairs of the drugs in `held` under both truths, and the visible cells to ignore.

    R truth (the literature's): positives are the held-out pairs with a class, 1:1 negatives are drawn
    among the cells with no class that fitting does not see (with R alone: every R = 0 cell, the same
    draws as before mentions existed). Mentions truth, when the labels hold mentions: every held-out
    pair, negatives among the unlisted cells (R_labels = 0) from a stream of their own."""
    rows = np.unique(held[:, 0])
    R_held = only_pairs(R_labels, held)[rows]
    visible = R_visible[rows] > 0
    no_class = (classes_only(R_labels[rows]) == 0) & ~visible
    counts = (classes_only(R_held) > 0).sum(1)
    nr, nc = sample_unknown(no_class, np.arange(len(rows)), counts, np.random.default_rng(seed))
    out = Targets(rows, R_held, nr, nc, visible, (classes_only(R_visible) > 0).mean(0))
    if (R_labels == LISTED).any():
        mr, mc = sample_unknown(
            R_labels[rows] == 0, np.arange(len(rows)), (R_held > 0).sum(1), np.random.default_rng([seed, 1])
        )
        out.mentions = MentionTargets(mr, mc, (R_visible > 0).mean(0))
    return out


def warm_validator(
    pipe: Pipeline,
    support: np.ndarray,
    R_train: np.ndarray,
    R_fit: np.ndarray,
    val_pairs: np.ndarray,
    seed: int,
    max_cells: int = 100_000,
):
    """Scores validation pairs, their 1:1 negatives and a fixed random sample of the other unknown
    cells (scoring every cell of every drug at each check cost more than the training itself)."""
    t = warm_targets(R_train, R_fit, val_pairs, seed)
    rng = np.random.default_rng(seed + 1)
    cells = np.zeros(t.R_test.shape, dtype=bool)
    cells[t.R_test > 0] = True
    cells[t.neg_rows, t.neg_cols] = True
    free = np.flatnonzero(~t.ignore & ~cells)
    cells.flat[rng.choice(free, size=min(max_cells, len(free)), replace=False)] = True
    r, c = np.nonzero(cells)

    def validate(model) -> dict:
        p = pipe.predict_pairs(support, [], t.rows[r], c, R=R_fit, model=model)
        pred = {k: np.zeros(t.R_test.shape, dtype=np.float32) for k in p}
        for k, v in p.items():
            pred[k][r, c] = v
        return selection_metrics(pred, t.R_test, ignore=~cells)

    return validate
