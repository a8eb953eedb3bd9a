"""Fixed encoders with no language model: Morgan and other structure fingerprints, one-hot and
deterministic hashing (tests)."""

from __future__ import annotations

import hashlib

import numpy as np

from .base import Encoder


class HashEncoder(Encoder):
    """Deterministic pseudo-random unit vectors seeded by each string's sha256 (no model needed)."""

    def __init__(self, dim: int = 64):
        self.dim = dim

    @property
    def identity(self) -> str:
        return f"hash:{self.dim}"

    def encode(self, inputs: list[str], progress: bool = False) -> np.ndarray:
        out = np.zeros((len(inputs), self.dim), dtype=np.float32)
        for i, s in enumerate(inputs):
            seed = int.from_bytes(hashlib.sha256(s.encode()).digest()[:8], "little")
            v = np.random.default_rng(seed).normal(size=self.dim)
            out[i] = v / np.linalg.norm(v)
        return out


class MorganEncoder(Encoder):
    """Morgan (ECFP-like) bit fingerprints from RDKit; counts=True: how often each bit is set
    (the distilled encoder's input; counts > 0 are the bits)."""

    def __init__(self, radius: int = 2, n_bits: int = 2048, counts: bool = False):
        self.radius, self.n_bits, self.counts = radius, n_bits, counts

    @property
    def identity(self) -> str:
        return f"morgan:r{self.radius}:b{self.n_bits}" + (":counts" if self.counts else "")

    def encode(self, inputs: list[str], progress: bool = False) -> np.ndarray:
        from rdkit import Chem
        from rdkit.Chem import rdFingerprintGenerator

        gen = rdFingerprintGenerator.GetMorganGenerator(radius=self.radius, fpSize=self.n_bits)
        fingerprint = gen.GetCountFingerprintAsNumPy if self.counts else gen.GetFingerprintAsNumPy
        out = np.zeros((len(inputs), self.n_bits), dtype=np.float32)
        for i, s in enumerate(inputs):
            mol = Chem.MolFromSmiles(s)
            if mol is not None:
                out[i] = fingerprint(mol)
        return out


def _generator(kind: str, radius: int, n_bits: int):
    from rdkit.Chem import rdFingerprintGenerator as G

    if kind == "morgan":
        return G.GetMorganGenerator(radius=radius, fpSize=n_bits)
    if kind == "fcfp":
        return G.GetMorganGenerator(
            radius=radius, fpSize=n_bits, atomInvariantsGenerator=G.GetMorganFeatureAtomInvGen()
        )
    if kind == "atom_pair":
        return G.GetAtomPairGenerator(fpSize=n_bits)
    raise ValueError(f"unknown fingerprint {kind!r}; kinds: morgan, fcfp, atom_pair")


class StructureEncoder(Encoder):
    """Several bit fingerprints side by side, [n, len(kinds) * n_bits]: kinds from morgan (ECFP), fcfp
    (feature Morgan, pharmacophoric atom types) and atom_pair, each n_bits wide. Their similarity is the
    mean of the blocks' Tanimoto similarities (`similarity.tanimoto_between(..., weights)`), not
    the Tanimoto of the concatenation, where atom pairs (~6x the bits set) would dominate."""

    def __init__(self, kinds: list[str], radius: int = 2, n_bits: int = 2048):
        self.kinds, self.radius, self.n_bits = list(kinds), radius, n_bits
        for kind in self.kinds:
            _generator(kind, radius, n_bits)  # an unknown kind fails here, before any molecule

    @property
    def identity(self) -> str:
        return f"structure:{'+'.join(self.kinds)}:r{self.radius}:b{self.n_bits}"

    def encode(self, inputs: list[str], progress: bool = False) -> np.ndarray:
        from rdkit import Chem

        gens = [_generator(k, self.radius, self.n_bits) for k in self.kinds]
        out = np.zeros((len(inputs), len(gens) * self.n_bits), dtype=np.float32)
        for i, s in enumerate(inputs):
            mol = Chem.MolFromSmiles(s)
            if mol is not None:
                out[i] = np.concatenate([g.GetFingerprintAsNumPy(mol) for g in gens])
        return out


def structure_encoder(d) -> Encoder:
    """The encoder of the fingerprints drugs are compared by (d: `encoders.drug`): Morgan alone, or the
    blocks of `StructureEncoder`. Morgan alone keeps MorganEncoder's identity, so its cache still serves."""
    if list(d.structure) == ["morgan"]:
        return MorganEncoder(d.fp_radius, d.fp_bits)
    return StructureEncoder(d.structure, d.fp_radius, d.fp_bits)


class OneHotEncoder(Encoder):
    """Identity features: each input its own axis (text encoder switched off)."""

    def __init__(self, vocabulary: list[str]):
        self.index = {s: i for i, s in enumerate(vocabulary)}

    @property
    def identity(self) -> str:
        return f"onehot:{len(self.index)}"

    def encode(self, inputs: list[str], progress: bool = False) -> np.ndarray:
        out = np.zeros((len(inputs), len(self.index)), dtype=np.float32)
        for i, s in enumerate(inputs):
            out[i, self.index[s]] = 1.0
        return out
