"""Each drug's knowledge for the combined similarity: ATC classes and target ids (attributes, never labels)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..data.knowledge import atc_classes, targets_of
from ..errors import UserError
from ..graph.knowledge_edges import KnowledgeGraph
from ..graph.similarity import Channel, combine, drug_similarity, knowledge_channels, set_jaccard


@dataclass
class DrugKnowledge:
    """atc[i]: drug i's ATC classes at levels 1-4; proteins[i]: its 'category:uniprot' entries
    (targets, enzymes, carriers, transporters; [] = unknown). Target ids derive from proteins."""

    atc: list[list[str]]
    proteins: list[list[str]]
    _channels: dict[str, Channel] = field(default_factory=dict, repr=False)
    _targets: list[list[str]] | None = field(default=None, repr=False)

    @classmethod
    def from_benchmark(cls, bench) -> DrugKnowledge | None:
        cols = bench.drugs.columns
        if "atc" not in cols or "proteins" not in cols:
            return None
        text = lambda col: [v if isinstance(v, str) else "" for v in bench.drugs[col]]  # noqa: E731 (NaN = none)
        return cls([atc_classes(a) for a in text("atc")], [_split(p) for p in text("proteins")])

    @property
    def targets(self) -> list[list[str]]:
        """Per drug the UniProt ids of its 'target' entries."""
        return [targets_of("|".join(ps)) for ps in self.proteins]

    def extend(self, atc: list[list[str]], proteins: list[list[str]]) -> DrugKnowledge:
        """These drugs followed by new ones, with their ATC classes and 'category:uniprot' entries
        (a new molecule without knowledge passes [] for both)."""
        return DrugKnowledge(self.atc + list(atc), self.proteins + list(proteins))

    def graph(self) -> KnowledgeGraph:
        """ATC-class and protein nodes with their edges (graph.atc_nodes / protein_nodes)."""
        return KnowledgeGraph(self.atc, self.proteins)

    def similarity(self, tanimoto: np.ndarray, weights: dict[str, float]) -> np.ndarray:
        """[n, n] weighted mean of Tanimoto, ATC and target Jaccard over the channels both drugs have."""
        if not self._channels:
            self._channels = knowledge_channels(self.atc, self.targets)  # label-free, computed once
        channels = dict(self._channels, structure=Channel(tanimoto, np.ones(len(tanimoto), dtype=bool)))
        return combine(channels, weights)

    def similarity_rows(
        self, tanimoto_rows: np.ndarray, weights: dict[str, float], atc: list[list[str]], proteins: list[list[str]]
    ) -> np.ndarray:
        """[m, n] the `similarity` of m new drugs (their ATC classes and 'category:uniprot' entries,
        Tanimoto rows [m, n]) to these n drugs: the new rows of the stacked matrix, computed alone."""
        targets = [targets_of("|".join(ps)) for ps in proteins]
        if self._targets is None:
            self._targets = self.targets  # label-free, read once
        channels = {  # the order of `similarity`'s channels: the weighted sums add up in the same order
            "atc": set_jaccard(atc, self.atc),
            "target": set_jaccard(targets, self._targets),
            "structure": Channel(tanimoto_rows, np.ones(len(tanimoto_rows), bool), np.ones(len(self.atc), bool)),
        }
        return combine(channels, weights)

    def dump(self) -> dict:
        return {"atc": self.atc, "proteins": self.proteins}


def _split(cell: str) -> list[str]:
    return [p for p in str(cell).split("|") if p]


def weighted_similarity(tanimoto: np.ndarray, knowledge: DrugKnowledge | None, weights: dict[str, float]) -> np.ndarray:
    """[n, n] drug similarity: the Tanimoto matrix alone when only structure has weight, else the
    weighted combination of structure, ATC and target channels (graph.similarity.combine)."""
    if all(not w for c, w in weights.items() if c != "structure"):
        return tanimoto
    if knowledge is None:
        raise UserError(
            "the combined similarity needs the drugs' ATC classes and targets, which this data lacks",
            "run `llmpredgraph data prepare` again, or set graph.knn_similarity: fingerprint",
        )
    return knowledge.similarity(tanimoto, weights)


def similarity_of(graph_cfg, x: np.ndarray, tanimoto: np.ndarray | None, knowledge: DrugKnowledge | None) -> np.ndarray:
    """[n, n] similarity of graph.knn_similarity, the one rule for benchmark folds and new molecules:
    from vectors x [n, d], the Tanimoto matrix of the fingerprints and, for 'combined', the drugs'
    knowledge (a drug without it is compared on structure)."""
    if graph_cfg.knn_similarity == "combined":
        return weighted_similarity(tanimoto, knowledge, graph_cfg.knn_weights.model_dump())
    return drug_similarity(graph_cfg.knn_similarity, x, tanimoto)
