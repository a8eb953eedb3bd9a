"""Each drug's knowledge for the combined similarity: ATC classes and target ids (attributes, never labels)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..data.knowledge import atc_classes, targets_of
from ..graph.similarity import Channel, combine, knowledge_channels


@dataclass
class DrugKnowledge:
    """atc[i]: drug i's ATC classes at levels 1-4; targets[i]: its target UniProt ids ([] = unknown)."""

    atc: list[list[str]]
    targets: list[list[str]]
    _channels: dict[str, Channel] = field(default_factory=dict, repr=False)

    @classmethod
    def from_benchmark(cls, bench) -> DrugKnowledge | None:
        cols = bench.drugs.columns
        if "atc" not in cols or "proteins" not in cols:
            return None
        text = lambda col: [v if isinstance(v, str) else "" for v in bench.drugs[col]]  # noqa: E731 (NaN = none)
        return cls([atc_classes(a) for a in text("atc")], [targets_of(p) for p in text("proteins")])

    def extend(self, atc: list[list[str]], targets: list[list[str]]) -> DrugKnowledge:
        """These drugs followed by new ones (a new molecule without knowledge passes [] for both)."""
        return DrugKnowledge(self.atc + list(atc), self.targets + list(targets))

    def similarity(self, tanimoto: np.ndarray, weights: dict[str, float]) -> np.ndarray:
        """[n, n] weighted mean of Tanimoto, ATC and target Jaccard over the channels both drugs have."""
        if not self._channels:
            self._channels = knowledge_channels(tanimoto, self.atc, self.targets)
        channels = dict(self._channels, structure=Channel(tanimoto, np.ones(len(tanimoto), dtype=bool)))
        return combine(channels, weights)

    def coverage(self) -> dict[str, int]:
        return {"atc": sum(bool(a) for a in self.atc), "target": sum(bool(t) for t in self.targets)}

    def dump(self) -> dict:
        return {"atc": self.atc, "targets": self.targets}
