"""The one list of metric names: direction and the roles each plays (summary tables, headline
tests and plots, ablation tables, the validation criterion that picks the epoch)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    name: str
    description: str
    higher_is_better: bool = True
    summary: bool = True  # a column of summary.md and `compare`
    headline: bool = False  # the three reported first: paired tests, per-fold bars, forest plots
    ablation: bool = False  # a column of ablation tables
    selection: bool = False  # averaged into the validation criterion (early stopping)


METRICS: tuple[Metric, ...] = (
    Metric(
        "dsf_scc",
        "DSF Spearman of predicted vs true class over held-out pairs",
        headline=True,
        ablation=True,
        selection=True,
    ),
    Metric("dsf_rmse", "DSF root mean squared error (classes)", higher_is_better=False, ablation=True),
    Metric("dsf_mae", "DSF mean absolute error (classes)", higher_is_better=False),
    Metric("dshf_auroc", "DSHF AUROC: class >= 4 among held-out pairs", headline=True, ablation=True, selection=True),
    Metric("dshf_auprc", "DSHF average precision", ablation=True),
    Metric("dshf_acc", "DSHF accuracy at probability 0.5", summary=False),
    Metric("dshf_f1", "DSHF F1 at probability 0.5"),
    Metric(
        "assoc_auroc",
        "association AUROC: held-out pairs vs 1:1 sampled unknown pairs of the same drugs",
        headline=True,
        ablation=True,
    ),
    Metric("assoc_auprc", "association average precision (1:1 negatives)"),
    Metric(
        "assoc_auroc_all",
        "association AUROC against every unknown pair of the test drugs",
        ablation=True,
        selection=True,
    ),
    Metric(
        "assoc_auroc_per_drug",
        "association AUROC within each drug against all its unknown pairs, averaged over drugs",
        headline=True,
        ablation=True,
    ),
    Metric(
        "assoc_auroc_strat",
        "association AUROC within popularity deciles of the side effects, averaged (drug-specific signal)",
        headline=True,
        ablation=True,
    ),
    Metric("assoc_precision_at_10", "share of each drug's 10 top-ranked side effects that are held-out pairs"),
    Metric("assoc_recall_at_10", "share of each drug's held-out pairs among its 10 top-ranked side effects"),
    Metric("dsf_scc_per_drug", "DSF Spearman within each drug, averaged over drugs", summary=False),
    # the second truth (labels with SIDER 4.1 mentions): a pair is positive when the drug's label lists it
    Metric("assoc_auroc_mentions", "association AUROC against label mentions: listed pairs vs 1:1 unlisted pairs"),
    Metric("assoc_auroc_all_mentions", "association AUROC against label mentions, every unlisted pair"),
    Metric(
        "assoc_auroc_per_drug_mentions",
        "per-drug association AUROC against label mentions",
        ablation=True,
    ),
    Metric(
        "assoc_auroc_strat_mentions",
        "stratified association AUROC against label mentions (deciles of listing popularity)",
        ablation=True,
    ),
    Metric("assoc_precision_at_10_mentions", "share of each drug's 10 top-ranked side effects that its label lists"),
    Metric(
        "assoc_recall_at_10_mentions", "share of each drug's listed side effects among its 10 top-ranked", summary=False
    ),
)
BY_NAME = {m.name: m for m in METRICS}
PER_DRUG = (  # skipped during validation (costly)
    "dsf_scc_per_drug",
    "assoc_auroc_per_drug",
    "assoc_auroc_strat",
    "assoc_precision_at_10",
    "assoc_recall_at_10",
)


# the validation metric that judges each head on its own (model.correction_scales)
HEAD_CRITERION = {"dsf": "dsf_scc", "dshf": "dshf_auroc", "assoc": "assoc_auroc_all"}


def names(role: str | None = None) -> list[str]:
    """Metric names in registry order; with a role ('summary', 'headline', 'ablation', 'selection') only those."""
    return [m.name for m in METRICS if role is None or getattr(m, role)]


def lower_is_better() -> set[str]:
    return {m.name for m in METRICS if not m.higher_is_better}


def selection_score(values: dict[str, float]) -> float:
    """Validation criterion: the mean of the selection metrics, each signed so higher is better."""
    import numpy as np

    vals = [values[m.name] if m.higher_is_better else -values[m.name] for m in METRICS if m.selection]
    return float(np.nanmean(vals))
