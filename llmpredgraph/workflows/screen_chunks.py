"""One screen chunk: its rows standardised and validated, scored by a saved model, and written as a
Parquet part (plus a rejects file); what the local loop and the Ray Data workers share."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import __version__
from ..atomic import write_with
from ..data.structures import standard_smiles
from .tables import side_effect_rows


@dataclass
class ScreenSettings:
    """What a screen folder was made with; a resume must match it."""

    model: str  # model folder, resolved
    model_id: str  # digest of the model's settings and weights
    input: str  # library file, resolved
    input_bytes: int
    chunk_size: int
    top: int | None  # side effects kept per molecule; None = all pairs
    rank: str
    limit: int | None
    neighbours: str = "faiss"  # how each molecule's support neighbours are found
    fast: bool = False  # the distilled encoder and int8 decoder (`llmpredgraph distil`)
    version: str = __version__


def model_digest(folder: Path, fast: bool = False) -> str:
    h = hashlib.sha256()
    fast_files = ("drug_student.npz", "decoder_int8.onnx") if fast else ()
    for name in ("config.yaml", "meta.yaml", "model.pt", "tower.pt", *fast_files):
        h.update((folder / name).read_bytes())
    return h.hexdigest()[:16]


def split_valid(chunk: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows with their standardised SMILES, rejected rows with the reason)."""
    good, bad = [], []
    for row in chunk.itertuples(index=False):
        try:
            good.append({"row": row.row, "molecule": row.name, "smiles": standard_smiles(row.smiles)})
        except ValueError as e:
            bad.append({"row": row.row, "molecule": row.name, "smiles": row.smiles, "reason": str(e)})
    cols = ["row", "molecule", "smiles"]
    return pd.DataFrame(good, columns=cols), pd.DataFrame(bad, columns=cols + ["reason"])


def long_table(
    mols: pd.DataFrame, se_names: list[str], p: dict[str, np.ndarray], base: np.ndarray, rank: str, top: int | None
) -> pd.DataFrame:
    """One row per (molecule, kept side effect): row, molecule and smiles, then `predict`'s columns
    (tables.side_effect_rows)."""
    df = side_effect_rows(se_names, p, base, rank, top)
    at = df.pop("molecule_index").to_numpy()
    for i, col in enumerate(("row", "molecule", "smiles")):
        df.insert(i, col, mols[col].to_numpy()[at])
    return df


class ChunkScorer:
    """Scores one chunk into its Parquet part (and rejects file); shared by the local loop and the
    Ray Data workers, so both write identical parts."""

    def __init__(self, pipe, out: Path, base: np.ndarray, settings: ScreenSettings):
        self.pipe, self.out, self.base, self.s = pipe, Path(out), base, settings

    def paths(self, i: int) -> tuple[Path, Path]:
        return self.out / "parts" / f"part-{i:06d}.parquet", self.out / "rejects" / f"part-{i:06d}.csv"

    def done(self, i: int) -> tuple[int, int] | None:
        """(scored, rejected) of a part finished before, else None."""
        part, rejects = self.paths(i)
        if not part.is_file():
            return None
        n_bad = len(pd.read_csv(rejects)) if rejects.is_file() else 0
        return pd.read_parquet(part, columns=["row"])["row"].nunique(), n_bad

    def __call__(self, i: int, chunk: pd.DataFrame) -> tuple[int, int]:
        """Score chunk `i` (columns row, name, smiles); returns (scored, rejected)."""
        part, rejects = self.paths(i)
        se_names, stage = self.pipe.support.se_names, self.pipe.stages
        with stage("standardise"):
            mols, bad = split_valid(chunk)
        if len(bad):
            write_with(rejects, lambda p, b=bad: b.to_csv(p, index=False))
        if len(mols):  # its stages: standardise, encode, neighbours, graph, decode
            p = self.pipe.predict_molecules(mols["smiles"].tolist(), neighbours=self.s.neighbours, standardised=True)
        else:  # every row rejected: an empty part still marks the chunk done
            p = {k: np.zeros((0, len(se_names)), np.float32) for k in ("assoc", "dsf", "dshf")}
        with stage("rank"):
            table = long_table(mols, se_names, p, self.base, self.s.rank, self.s.top)
        with stage("write"):
            write_with(part, lambda p, t=table: t.to_parquet(p, index=False))  # last: marks the part done
        return len(mols), len(bad)
