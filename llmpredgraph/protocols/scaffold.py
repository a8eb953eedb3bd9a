"""Scaffold split: cold folds over Bemis-Murcko scaffolds, the split chemists use to ask "new chemotype?"."""

from __future__ import annotations

import numpy as np

from .cold import ColdProtocol, _column


class ScaffoldProtocol(ColdProtocol):
    """Cold start where no test drug shares a ring scaffold (or a structure) with a training drug.
    Acyclic drugs keep their structure group."""

    kind = "scaffold"
    title = "Scaffold-split experiment (unseen chemotypes)"

    def groups(self) -> np.ndarray:
        return _column(self.bench, "scaffold_group")
