"""Structure standardisation and the keys that group drugs: InChIKey connectivity and Bemis-Murcko scaffolds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rdkit import Chem, RDLogger
from rdkit.Chem.MolStandardize import rdMolStandardize
from rdkit.Chem.Scaffolds import MurckoScaffold

RDLogger.DisableLog("rdApp.*")

MIN_COMPONENT_ATOMS = 12  # smaller components are counter-ions, water, salts (maleate 8, tromethamine 8)
MAX_TAUTOMER_ATOMS = 80  # canonical tautomers only where cheap (peptides and oligonucleotides skip it)


@dataclass(frozen=True)
class Standardised:
    """smiles: the standardised largest component; inchikey: its full key (stereo as given);
    connectivity: the skeleton key, the first InChIKey block of its canonical tautomer without
    stereo; components: the skeleton keys of every component with >= 12 heavy atoms (or of the
    largest one); scaffold: Bemis-Murcko scaffold of the largest component ('' if acyclic)."""

    smiles: str
    inchikey: str
    connectivity: str
    components: tuple[str, ...]
    scaffold: str


_UNCHARGER: list = []  # built once per process: constructing one costs more than using it


def _clean(mol: Chem.Mol) -> Chem.Mol:
    if not _UNCHARGER:
        _UNCHARGER.append(rdMolStandardize.Uncharger())
    return _UNCHARGER[0].uncharge(mol)


def skeleton_key(mol: Chem.Mol) -> str:
    """First InChIKey block of the canonical tautomer of the stereo-free molecule. Stereo is removed
    first: with it, RDKit's canonical tautomer moved a steroid enone's double bond (testosterone
    got two keys); keto-enol forms, which standard InChI does not unify, then agree."""
    flat = Chem.Mol(mol)
    Chem.RemoveStereochemistry(flat)
    if flat.GetNumHeavyAtoms() <= MAX_TAUTOMER_ATOMS:
        enum = rdMolStandardize.TautomerEnumerator()
        enum.SetMaxTautomers(50)
        flat = enum.Canonicalize(flat)
    return Chem.MolToInchiKey(flat)[:14]


def standardise(smiles: str) -> Standardised | None:
    """Largest fragment, neutralised; tautomers compare through InChI. None if RDKit cannot parse it."""
    mol = Chem.MolFromSmiles(smiles) if isinstance(smiles, str) and smiles else None
    if mol is None:
        return None
    frags = sorted(Chem.GetMolFrags(mol, asMols=True), key=lambda f: -f.GetNumHeavyAtoms())
    main = _clean(frags[0])
    big = [f for f in frags if f.GetNumHeavyAtoms() >= MIN_COMPONENT_ATOMS] or frags[:1]
    comps = tuple(sorted({skeleton_key(_clean(f)) for f in big}))
    scaffold = MurckoScaffold.MurckoScaffoldSmiles(mol=main) if main.GetNumAtoms() else ""
    return Standardised(Chem.MolToSmiles(main), Chem.MolToInchiKey(main), skeleton_key(main), comps, scaffold)


def inchikey_of(smiles: str) -> str:
    """Full InChIKey of the standardised structure ('' when unparsable)."""
    s = standardise(smiles)
    return s.inchikey if s else ""


def structure_groups(components: list[tuple[str, ...]]) -> np.ndarray:
    """Group id per drug: drugs that share any component's connectivity block are one group
    (union-find), so stereoisomers, salt forms and combination products with their components
    never sit on both sides of a split. A drug without structure is its own group."""
    parent = list(range(len(components)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for i, keys in enumerate(components):
        for k in keys:
            if k in owner:
                parent[find(i)] = find(owner[k])
            else:
                owner[k] = i
    roots = [find(i) for i in range(len(components))]
    ids = {r: g for g, r in enumerate(dict.fromkeys(roots))}
    return np.array([ids[r] for r in roots], dtype=np.int64)


def scaffold_groups(scaffolds: list[str], groups: np.ndarray) -> np.ndarray:
    """Group id per drug by Bemis-Murcko scaffold; acyclic drugs (no scaffold) keep their structure
    group, and structure groups are never split."""
    keys = [s if s else f"acyclic:{g}" for s, g in zip(scaffolds, groups)]
    comps = [(k, f"structure:{g}") for k, g in zip(keys, groups)]
    return structure_groups(comps)


def standard_smiles(smiles: str) -> str:
    """Canonical SMILES of the largest fragment, neutralised (no tautomers): the one standardisation of
    new molecules, shared by `predict` and `screen` so a salt scores as its parent in both. Idempotent.
    ValueError naming the problem when the input is not a usable molecule."""
    if not isinstance(smiles, str) or not smiles.strip():
        raise ValueError("empty SMILES")
    mol = Chem.MolFromSmiles(smiles.strip())
    if mol is None:
        raise ValueError(f"invalid SMILES {smiles.strip()!r} (RDKit cannot parse it)")
    if mol.GetNumHeavyAtoms() == 0:
        raise ValueError("no heavy atoms")
    if "." in smiles:  # several fragments: keep the largest
        mol = max(Chem.GetMolFrags(mol, asMols=True), key=lambda f: f.GetNumHeavyAtoms())
    return Chem.MolToSmiles(_clean(mol))
