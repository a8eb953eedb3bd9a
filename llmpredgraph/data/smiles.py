"""SMILES validation and canonicalisation with RDKit."""

from __future__ import annotations

from rdkit import Chem, RDLogger

from ..errors import UserError

RDLogger.DisableLog("rdApp.*")


def canonical(smiles: str) -> str | None:
    """Canonical SMILES, or None when RDKit cannot parse it."""
    if not isinstance(smiles, str) or not smiles.strip():
        return None
    mol = Chem.MolFromSmiles(smiles.strip())
    return Chem.MolToSmiles(mol) if mol is not None else None


def require_valid(smiles: str, name: str = "input") -> str:
    """Canonical SMILES or a one-line UserError."""
    if not isinstance(smiles, str) or not smiles.strip():
        raise UserError(f"empty SMILES for {name}", "give a non-empty SMILES string")
    can = canonical(smiles)
    if can is None:
        raise UserError(f"invalid SMILES for {name}: {smiles!r} (RDKit cannot parse it)", "check the SMILES string")
    return can
