"""What a pipeline knows of its benchmark besides node features: labels, side-effect edges, names."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch

from ..graph.edges import hierarchy_edges
from .knowledge import DrugKnowledge


@dataclass
class SupportData:
    """R: [n_drug, n_se] classes (0 = unknown) the graph may show; only support drugs' rows are
    ever read. hierarchy: [2, E] label-free side-effect edges. fingerprints: [n_drug, bits] (the
    Tanimoto side of drug-drug kNN for new molecules). Saved in a model folder, so prediction needs
    no processed benchmark."""

    R: np.ndarray
    hierarchy: torch.Tensor
    fingerprints: np.ndarray
    drug_names: list[str]
    drug_smiles: list[str]
    se_names: list[str]
    knowledge: DrugKnowledge | None = None  # ATC classes and targets (graph.knn_similarity: combined)
    se_soc: list[str] | None = None  # each side effect's MedDRA system organ classes, '|'-joined (reports)

    @classmethod
    def from_benchmark(cls, bench, fingerprints: np.ndarray, R: np.ndarray | None = None) -> SupportData:
        """R (optional) replaces the benchmark's labels: a fold passes its masked training matrix."""
        return cls(
            bench.R if R is None else R,
            hierarchy_edges(bench.side_effects, bench.hierarchy),
            fingerprints,
            bench.drug_names,
            bench.smiles,
            bench.se_names,
            DrugKnowledge.from_benchmark(bench),
            _socs(bench),
        )

    def with_labels(self, R: np.ndarray) -> SupportData:
        return replace(self, R=R)

    @property
    def n_drugs(self) -> int:
        return self.R.shape[0]

    @property
    def n_side_effects(self) -> int:
        return self.R.shape[1]


def _socs(bench) -> list[str] | None:
    """Each side effect's SOCs, the primary one first (a benchmark prepared before primary_soc: as listed)."""
    t = bench.side_effects
    if "soc" not in t.columns:
        return None
    text = lambda col: [v if isinstance(v, str) else "" for v in t[col]]  # noqa: E731 (NaN = none)
    socs = text("soc")
    if "primary_soc" not in t.columns:
        return socs
    return ["|".join(x for x in dict.fromkeys([p, *s.split("|")]) if x) for p, s in zip(text("primary_soc"), socs)]
