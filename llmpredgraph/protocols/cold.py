"""Cold start: folds over drugs. A test drug's labels are invisible to everything but the metrics."""

from __future__ import annotations

import numpy as np

from ..baselines import run_baseline
from ..errors import UserError
from ..frequency import LISTED, classes_only
from ..metrics.functions import association_criterion, selection_metrics
from ..metrics.registry import selection_score
from ..pipeline.fitted import Pipeline
from .base import Fold, MentionTargets, Protocol, Split, Targets
from .splits import carve_validation, cold_folds, hide_rows, sample_negatives


class ColdProtocol(Protocol):
    """protocol.folds-fold KFold over drugs; validation drugs are carved from each fold's training
    drugs; every epoch a share of the fit drugs become pseudo-cold queries."""

    kind = "cold"
    title = "Cold-start experiment (unseen drugs)"

    def groups(self) -> np.ndarray | None:
        """Drugs that must share a fold: one standardised structure (grouping: structure), or none."""
        if self.cfg.protocol.grouping == "none":
            return None
        return _column(self.bench, "structure_group")

    def assign(self, n_folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """Folds over the benchmark drugs (the first rows: the same folds with or without extra
        drugs); every extra drug (SIDER labels only, never tested) trains in every fold, unless it
        shares a structure group with one of the fold's test drugs."""
        extra = self.bench.is_extra
        core = int((~extra).sum())
        groups = self.groups()
        folds = cold_folds(core, n_folds, seed, groups[:core] if groups is not None else None)
        if not extra.any():
            return folds
        extra_idx = np.flatnonzero(extra)
        out = []
        for tr, te in folds:
            ok = extra_idx if groups is None else extra_idx[~np.isin(groups[extra_idx], groups[te])]
            out.append((np.concatenate([tr, ok]), te))
        return out

    def record(self, folds: list[Fold]) -> dict:
        drugs, p = np.asarray(self.bench.drug_names), self.cfg.protocol
        return {
            "protocol": self.kind,
            "seed": self.cfg.seed,
            "folds": p.folds,
            "repeats": p.repeats,
            "grouping": p.grouping,
            "test_drugs": [drugs[f.test].tolist() for f in folds],
        }

    def split(self, fold: Fold) -> Split:
        R_train = hide_rows(self.bench.R, fold.test)  # test drugs' rows are zero in everything fitting reads
        extra = self.bench.is_extra[fold.train]
        # validation drugs come from the benchmark drugs, scored like test drugs; extra drugs always fit
        fit, val = carve_validation(fold.train[~extra], self.cfg.protocol.val_fraction, fold.seed, self.groups())
        fit = np.sort(np.concatenate([fit, fold.train[extra]]))
        # validation drugs' rows are zero in what fitting reads, too (features, graph, auxiliary pairs)
        return Split(fold, R_train, hide_rows(R_train, val), fit, fit, val)

    def training_split(self) -> Split:
        """Every drug trains (validation drugs carved for early stopping): the served model of `train`."""
        return self.split(Fold(0, self.cfg.seed, np.arange(self.bench.n_drugs), np.zeros(0, dtype=np.int64)))

    def sampler(self, split: Split, pipe: Pipeline):
        return cold_sampler(pipe.builder, split.R_fit, split.fit, pipe.cfg.train, pipe.uses_graph)

    def validator(self, split: Split, pipe: Pipeline):
        return cold_validator(pipe, split.R_train, split.fit, split.val)

    def targets(self, split: Split) -> Targets:
        test = split.fold.test
        R_test = self.bench.R[test]
        return cold_targets(test, R_test, split.R_train[split.fold.train], split.fold.seed)

    def predict(self, split: Split, targets: Targets, pipe: Pipeline) -> dict[str, np.ndarray]:
        # Test time: every training drug (fit + validation) is labelled support; test drugs are queries.
        return pipe.predict_matrix(split.fold.train, split.fold.test, R=split.R_train)

    def predict_fast(self, split: Split, targets: Targets, pipe: Pipeline, inputs, reference):
        """Test drugs as `predict` would score them as new molecules from a model folder of the fold's
        training drugs (every training label shown), through the fast path; with their ATC classes and
        targets, as `predict` passes a known drug's. The student learnt from corpus molecules only.
        reference: the fold's scores, whose prior voters tied in similarity are topk's pick; a model
        folder breaks those ties by support order, so the plumbing check compares with the same
        torch pass under that rule, and the record says how much the rule alone moves the scores."""
        from ..pipeline.fast_path import fold_fast_scores

        pipe.builder.stable_ties = True
        try:
            stable = self.predict(split, targets, pipe)
        finally:
            pipe.builder.stable_ties = False
        test, kn = split.fold.test, inputs.knowledge
        knowledge = ([kn.atc[i] for i in test], [kn.proteins[i] for i in test]) if kn is not None else None
        smiles = [self.bench.smiles[i] for i in test]
        scores, record = fold_fast_scores(
            pipe,
            split.fold.train,
            split.R_train,
            smiles,
            knowledge,
            inputs.student,
            inputs.X_drug[test],
            stable,
            self.cfg.threads or 1,
        )
        record["tie_rule_max_abs"] = {h: float(np.abs(stable[h] - reference[h]).max()) for h in stable}
        return scores, record

    def baseline(self, name: str, split: Split, targets: Targets, inputs, **knobs) -> dict[str, np.ndarray]:
        return run_baseline(name, split.R_train, split.fold.train, split.fold.test, inputs, **knobs)

    def validate_baseline(self, name: str, split: Split, inputs, criterion: str = "selection", **knobs) -> float:
        """Fit drugs' labels predict the validation drugs, scored like the cold validator scores a model
        (criterion 'association': `association_criterion`, popularity from the fit drugs)."""
        pred = run_baseline(name, split.R_fit, split.fit, split.val, inputs, **knobs)
        R_val = split.R_train[split.val]
        if criterion == "association":
            return association_criterion(pred["assoc"], R_val, (split.R_fit[split.fit] > 0).mean(0))
        return selection_score(selection_metrics(pred, R_val))


def cold_targets(test: np.ndarray, R_test: np.ndarray, R_seen: np.ndarray, seed: int) -> Targets:
    """Targets of held-out drugs under both truths: R's classes (the literature's: negatives drawn
    among R = 0, exactly as before mentions existed) and mentions (any label cell > 0: negatives
    drawn among unlisted pairs, from their own stream). R_seen: the training drugs' rows."""
    R_cls = classes_only(R_test)
    nr, nc = sample_negatives(R_cls, np.arange(len(test)), 1.0, np.random.default_rng(seed))
    out = Targets(test, R_test, nr, nc, popularity=(classes_only(R_seen) > 0).mean(0))
    if (R_test == LISTED).any() or (R_seen == LISTED).any():
        mr, mc = sample_negatives(R_test, np.arange(len(test)), 1.0, np.random.default_rng([seed, 1]))
        out.mentions = MentionTargets(mr, mc, (R_seen > 0).mean(0))
    return out


def _column(bench, name: str) -> np.ndarray:
    if name not in bench.drugs.columns:
        raise UserError(
            f"the processed benchmark has no {name!r} column (prepared by an older version)",
            "run `llmpredgraph data prepare` again",
        )
    return bench.drugs[name].to_numpy()


def cold_validator(pipe: Pipeline, R: np.ndarray, fit_idx: np.ndarray, val_idx: np.ndarray):
    """Validation drugs are queries with fit drugs as support, exactly like test drugs; scored with
    the model it is given (the candidate under training), on the pipeline's graph."""

    def validate(model) -> dict:
        return selection_metrics(pipe.predict_matrix(fit_idx, val_idx, model=model), R[val_idx])

    return validate


def cold_sampler(builder, R: np.ndarray, fit_idx: np.ndarray, t, graph: bool):
    """Each epoch hides a random share of fit drugs (queries) from the graph and learns their pairs,
    so training sees exactly what a test drug sees: only kNN links to labelled drugs."""

    def draw(rng: np.random.Generator):
        # The same share of fit drugs is supervised each epoch with or without a graph, so the
        # plain MLP gets the same training budget; only the graph model needs the others as support.
        n_q = max(1, int(round(t.query_fraction * len(fit_idx))))
        query = rng.choice(fit_idx, size=n_q, replace=False)
        support = np.setdiff1d(fit_idx, query) if graph else np.zeros(0, dtype=int)
        r, c = np.nonzero(R[query])
        nd, ns = sample_negatives(R, query, t.neg_ratio, rng)
        return builder.build(support, query), np.concatenate([query[r], nd]), np.concatenate([c, ns]), R[query[r], c]

    return draw
