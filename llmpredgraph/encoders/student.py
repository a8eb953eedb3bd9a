"""A distilled SMILES encoder: a small MLP that maps a molecule's Morgan count fingerprint to the
vector the folder's SMILES LM gives it, in numpy (`llmpredgraph distil` fits it; `screen --fast`
uses it). About 100x cheaper than the BERT, since the fingerprint is computed anyway for the
neighbour search: bits = counts > 0 is RDKit's bit fingerprint of the same generator.

    f = log1p(counts)                     [m, bits]
    y = W3 gelu(W2 gelu(W1 f + b1) + b2) + b3, then y * scale + mean   [m, lm_dim]
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..atomic import write_json, write_with
from ..errors import UserError
from .base import Encoder
from .fixed import MorganEncoder

STUDENT_ARRAYS, STUDENT_SPEC = "drug_student.npz", "drug_student.json"


def _gelu(x: np.ndarray) -> np.ndarray:  # pipeline.portable_layers.gelu, which this layer cannot import
    from scipy.special import erf

    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


def has_student(folder: str | Path) -> bool:
    return all((Path(folder) / f).is_file() for f in (STUDENT_ARRAYS, STUDENT_SPEC))


def save_student(folder: str | Path, arrays: dict[str, np.ndarray], spec: dict) -> None:
    """Write the student's weights and settings (radius, bits, teacher identity, fidelity) atomically."""
    folder = Path(folder)

    def save(path: Path) -> None:
        with open(path, "wb") as f:  # a file object: np.savez would add ".npz" to the temporary name
            np.savez(f, **arrays)

    write_with(folder / STUDENT_ARRAYS, save)
    write_json(folder / STUDENT_SPEC, spec)


class StudentEncoder(Encoder):
    """The student of a model folder (`drug_student.npz` / `.json`); `teacher` names the encoder it
    imitates, so a model trained on that encoder accepts it."""

    def __init__(self, folder: str | Path):
        folder = Path(folder)
        if not has_student(folder):
            raise UserError(
                f"{folder} holds no distilled SMILES encoder", f"add one with `llmpredgraph distil --model {folder}`"
            )
        self.spec = json.loads((folder / STUDENT_SPEC).read_text())
        with np.load(folder / STUDENT_ARRAYS) as z:
            self.w = {k: z[k].astype(np.float32) for k in z.files}
        self.radius, self.bits, self.teacher = self.spec["radius"], self.spec["bits"], self.spec["teacher"]
        self.fingerprints = MorganEncoder(self.radius, self.bits, counts=True)

    @property
    def identity(self) -> str:
        return f"student:r{self.radius}:b{self.bits}:of={self.teacher}"

    def from_counts(self, counts: np.ndarray) -> np.ndarray:
        """[m, lm_dim] vectors from count fingerprints [m, bits]."""
        w = self.w
        x = np.log1p(np.asarray(counts, dtype=np.float32))
        x = _gelu(x @ w["w1"].T + w["b1"])
        x = _gelu(x @ w["w2"].T + w["b2"])
        return ((x @ w["w3"].T + w["b3"]) * w["scale"] + w["mean"]).astype(np.float32)

    def encode_with_bits(self, inputs: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(vectors [m, lm_dim], the bit fingerprints [m, bits]) from one count fingerprint each."""
        counts = self.fingerprints.encode(list(inputs))
        return self.from_counts(counts), (counts > 0).astype(np.float32)

    def encode(self, inputs: list[str], progress: bool = False) -> np.ndarray:
        return self.from_counts(self.fingerprints.encode(list(inputs)))
