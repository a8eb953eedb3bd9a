"""RDKit descriptors as multi-task regression targets (the ChemBERTa-2 MTR recipe): every 2D
descriptor RDKit lists (about 210), standardised with the training corpus's mean and sd."""

from __future__ import annotations

import numpy as np
from rdkit import Chem, RDLogger
from rdkit.Chem import Descriptors

RDLogger.DisableLog("rdApp.*")
CLIP = 10.0  # standardised values beyond +-10 sd (a few descriptors have huge tails) are clipped


def descriptor_names() -> list[str]:
    return [name for name, _ in Descriptors.descList]


def descriptor_matrix(smiles: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(X [n, d] float64 with NaN where RDKit fails, ok [n] bool: the SMILES parsed)."""
    funcs = [f for _, f in Descriptors.descList]
    X = np.full((len(smiles), len(funcs)), np.nan)
    ok = np.zeros(len(smiles), dtype=bool)
    for i, s in enumerate(smiles):
        mol = Chem.MolFromSmiles(s)
        if mol is None:
            continue
        ok[i] = True
        for j, f in enumerate(funcs):
            try:
                X[i, j] = float(f(mol))
            except Exception:  # RDKit raises assorted errors on odd molecules; the value stays missing
                pass
    X[~np.isfinite(X)] = np.nan
    return X, ok


def standardiser(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean [d], sd [d]) over rows, ignoring NaN; a constant or empty column gets sd 1."""
    with np.errstate(all="ignore"):
        mean = np.nan_to_num(np.nanmean(X, 0))
        sd = np.nanstd(X, 0)
    return mean, np.where(np.isfinite(sd) & (sd > 0), sd, 1.0)


def standardise(X: np.ndarray, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """z-scores clipped to +-CLIP, missing values 0 (the mean) -> float32 [n, d]."""
    return np.clip(np.nan_to_num((X - mean) / sd), -CLIP, CLIP).astype(np.float32)
