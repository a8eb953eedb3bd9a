"""SMILES validation and canonicalisation with RDKit."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
from rdkit import Chem, RDLogger


RDLogger.DisableLog("rdApp.*")


def canonical(smiles: str) -> str | None:
    """Canonical SMILES, or None when RDKit cannot parse it."""
    if not isinstance(smiles, str) or not smiles.strip():
        return None
    mol = Chem.MolFromSmiles(smiles.strip())
    return Chem.MolToSmiles(mol) if mol is not None else None


def duplicate_groups(canon: pd.Series) -> np.ndarray:
    """Group id (0..) for drugs sharing a canonical SMILES with another drug, else -1."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(canon):
        if isinstance(s, str):
            groups[s].append(i)
    out = np.full(len(canon), -1, dtype=int)
    for gid, members in enumerate(m for m in groups.values() if len(m) > 1):
        out[members] = gid
    return out
