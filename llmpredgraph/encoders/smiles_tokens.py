"""SMILES tokens: the regex pre-tokenizer's pattern and the substitution of atoms a vocabulary lacks.
Standard library and RDKit only (torch-free inference tokenizes with these too)."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from ..progress import bar as progress_bar

# Schwaller et al. (2018) SMILES regex, as used by DeepChem's SmilesTokenizer.
SMILES_REGEX = r"(\[[^\]]+]|Br?|Cl?|N|O|S|P|F|I|b|c|n|o|s|p|\(|\)|\.|=|#|-|\+|\\|\/|:|~|@|\?|>|\*|\$|\%[0-9]{2}|[0-9])"


_NOBLE = (0, 2, 10, 18, 36, 54, 86, 118)


def periodic_group(z: int) -> int:
    """IUPAC group 1..18 of element z (lanthanides/actinides count as group 3)."""
    period = next(i for i in range(1, len(_NOBLE)) if z <= _NOBLE[i])
    pos = z - _NOBLE[period - 1]
    if period == 1:
        return 1 if pos == 1 else 18
    if period <= 3:
        return pos if pos <= 2 else pos + 10
    if period <= 5:
        return pos
    return pos if pos <= 2 else (3 if pos <= 16 else pos - 14)


def substitute_unknown_atoms(smiles: str, vocab: dict[str, int]) -> str:
    """Replace bracket atoms absent from the vocabulary (e.g. [Ra]) by the nearest element of the same
    periodic group that the vocabulary has ([Ba]), so no [UNK] reaches the model."""
    from rdkit import Chem

    table = Chem.GetPeriodicTable()
    out = []
    for tok in re.findall(SMILES_REGEX, smiles):
        m = re.match(r"\[(\d*)([A-Z][a-z]?)(.*)\]", tok) if tok not in vocab else None
        if m:
            try:
                z = table.GetAtomicNumber(m.group(2))
            except RuntimeError:
                z = 0
            if 0 < z <= 118:
                same = sorted(
                    (abs(k - z), table.GetElementSymbol(k))
                    for k in range(1, 119)
                    if k != z and periodic_group(k) == periodic_group(z)
                )
                forms = [f for _, sym in same for f in (f"[{sym}{m.group(3)}]", f"[{sym}]")]
                tok = next((f for f in forms if f in vocab), tok)
        out.append(tok)
    return "".join(out)


def batched_by_length(
    inputs: list[str], batch_size: int, vectors: Callable[[list[str]], np.ndarray], dim: int, progress: bool = False
) -> np.ndarray:
    """[len(inputs), dim] from vectors(batch of SMILES) -> [batch, dim], over batches of similar
    length (less padding); rows come back in the order of `inputs`."""
    order = np.argsort([len(s) for s in inputs])
    out = np.zeros((len(inputs), dim), dtype=np.float32)
    for start in progress_bar(range(0, len(inputs), batch_size), desc="embed SMILES", enabled=progress, unit="batch"):
        idx = order[start : start + batch_size]
        out[idx] = vectors([inputs[i] for i in idx])
    return out
