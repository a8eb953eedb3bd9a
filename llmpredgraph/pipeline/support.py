"""What a pipeline knows of its benchmark besides node features: labels, side-effect edges, names."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from .knowledge import DrugKnowledge


@dataclass
class SupportData:
    """R: [n_drug, n_se] classes (0 = unknown) the graph may show; only support drugs' rows are
    ever read. hierarchy: [2, E] label-free side-effect edges (int64; the graph builder makes a
    tensor). fingerprints: [n_drug, bits] (the Tanimoto side of drug-drug kNN for new molecules).
    Saved in a model folder, so prediction needs no processed benchmark."""

    R: np.ndarray
    hierarchy: np.ndarray
    fingerprints: np.ndarray
    drug_names: list[str]
    drug_smiles: list[str]
    se_names: list[str]
    knowledge: DrugKnowledge | None = None  # ATC classes and targets (graph.knn_similarity: combined)
    se_soc: list[str] | None = None  # each side effect's MedDRA system organ classes, '|'-joined (reports)
    # SIDER 4.1's printed frequencies: [drug name, side effect, texts] per pair that has one
    label_frequencies: list[list[str]] | None = None

    @classmethod
    def from_benchmark(cls, bench, fingerprints: np.ndarray, R: np.ndarray | None = None) -> SupportData:
        """R (optional) replaces the benchmark's labels: a fold passes its masked training matrix."""
        from ..graph.edges import hierarchy_edges  # torch: only training builds support from a benchmark

        return cls(
            bench.R if R is None else R,
            hierarchy_edges(bench.side_effects, bench.hierarchy).numpy(),
            fingerprints,
            bench.drug_names,
            bench.smiles,
            bench.se_names,
            DrugKnowledge.from_benchmark(bench),
            _socs(bench),
            _frequencies(bench),
        )

    def with_labels(self, R: np.ndarray) -> SupportData:
        return replace(self, R=R)

    def label_frequency(self, drug: int, se: int) -> str:
        """The frequency texts the label prints for support row `drug` and side effect `se` ('' if none)."""
        return self._frequency_of.get((self.drug_names[drug], self.se_names[se]), "")

    @cached_property
    def _frequency_of(self) -> dict[tuple[str, str], str]:
        return {(d, s): t for d, s, t in self.label_frequencies or []}

    @cached_property
    def _row_of(self) -> dict[str, int]:
        return {n.lower(): i for i, n in enumerate(self.drug_names)}

    @cached_property
    def _row_of_smiles(self) -> dict[str, int]:
        """Standardised SMILES -> first support row (computed once, on the first lookup by structure)."""
        from ..data.structures import standard_smiles

        out: dict[str, int] = {}
        for i, smi in enumerate(self.drug_smiles):
            try:
                out.setdefault(standard_smiles(smi), i)
            except ValueError:  # a support drug without a usable structure is found by name only
                continue
        return out

    def label_row(self, name: str, smiles: str | None = None) -> int | None:
        """The support row of a drug given by name (case-insensitive) or by its exact standardised
        SMILES; None when the labels do not know it."""
        if name and name.lower() in self._row_of:
            return self._row_of[name.lower()]
        return self._row_of_smiles.get(smiles) if smiles else None

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


def _frequencies(bench) -> list[list[str]] | None:
    """[drug name, side effect, texts] of the drugs' pairs whose SIDER label prints a frequency."""
    lab = getattr(bench, "labels", None)
    if lab is None:
        return None
    name_of = dict(zip(bench.drugs["cid"].astype(str), bench.drugs["name"]))
    f = lab.frequencies
    return [
        [name_of[c], s, t] for c, s, t in zip(f["cid"].astype(str), f["side_effect"], f["texts"]) if c in name_of and t
    ]
