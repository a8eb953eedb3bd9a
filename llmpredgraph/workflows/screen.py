"""`screen`: a molecule library through a saved cold model, chunk by chunk. Each chunk is
standardised and validated (bad rows go to a rejects file with their reason), scored and written as
one Parquet part; a finished part is never redone, so an interrupted screen resumes where it stopped.
Memory stays flat in the library's size: one chunk is held at a time."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import __version__
from ..atomic import write_json, write_with
from ..data.library import read_library
from ..data.structures import screening_smiles
from ..errors import UserError
from ..pipeline.pipeline import Pipeline
from ..progress import bar
from ..units import clip_class
from .tables import RANKINGS, rank_order


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
    version: str = __version__


def model_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for name in ("config.yaml", "meta.yaml", "model.pt", "tower.pt"):
        h.update((folder / name).read_bytes())
    return h.hexdigest()[:16]


def split_valid(chunk: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows with their standardised SMILES, rejected rows with the reason)."""
    good, bad = [], []
    for row in chunk.itertuples(index=False):
        try:
            good.append({"row": row.row, "molecule": row.name, "smiles": screening_smiles(row.smiles)})
        except ValueError as e:
            bad.append({"row": row.row, "molecule": row.name, "smiles": row.smiles, "reason": str(e)})
    cols = ["row", "molecule", "smiles"]
    return pd.DataFrame(good, columns=cols), pd.DataFrame(bad, columns=cols + ["reason"])


def long_table(
    mols: pd.DataFrame, se_names: list[str], p: dict[str, np.ndarray], base: np.ndarray, rank: str, top: int | None
) -> pd.DataFrame:
    """One row per (molecule, kept side effect), the columns of `predict` plus row and smiles."""
    order = rank_order(p["assoc"], base, rank)[:, :top]  # [m, kept]
    m, kept = order.shape
    rows = np.repeat(np.arange(m), kept)
    cols = order.ravel()
    assoc, dsf = p["assoc"][rows, cols], clip_class(p["dsf"][rows, cols])
    return pd.DataFrame(
        {
            "row": mols["row"].to_numpy()[rows],
            "molecule": mols["molecule"].to_numpy()[rows],
            "smiles": mols["smiles"].to_numpy()[rows],
            "rank": np.tile(np.arange(1, kept + 1), m),
            "side_effect": np.asarray(se_names, dtype=object)[cols],
            "association_prob": assoc.astype(np.float32),
            "typical_prob": base[cols].astype(np.float32),
            "lift": (assoc / base[cols]).astype(np.float32),
            "expected_class": dsf.astype(np.float32),
            "predicted_class": np.rint(dsf).astype(np.int8),
            "high_frequency_prob": p["dshf"][rows, cols].astype(np.float32),
        }
    )


def _prepare_folder(out: Path, settings: ScreenSettings, overwrite: bool) -> int:
    """Number of finished parts kept (0 for a new folder)."""
    manifest = out / "screen.json"
    if out.exists() and overwrite:
        import shutil

        shutil.rmtree(out)
    if manifest.is_file():
        old = json.loads(manifest.read_text())
        if old != asdict(settings):
            changed = sorted(k for k in old.keys() | asdict(settings).keys() if old.get(k) != asdict(settings).get(k))
            raise UserError(
                f"screen folder {out} was made with other settings ({', '.join(changed)} differ)",
                "rerun with the same model, input and options to resume, or pass --overwrite or another --out",
            )
        return len(list((out / "parts").glob("part-*.parquet")))
    if out.exists() and any(out.iterdir()):
        raise UserError(f"{out} exists and is not a screen folder", "choose another --out or pass --overwrite")
    write_json(manifest, asdict(settings))
    return 0


def screen_library(
    model_dir: str | Path,
    library: str | Path,
    out: str | Path,
    chunk_size: int = 1000,
    top: int | None = 20,
    rank: str = "association",
    limit: int | None = None,
    overwrite: bool = False,
    progress: bool = True,
    neighbours: str = "faiss",
) -> dict:
    """Screen `library` with the model in `model_dir` into `out`; returns the run's summary (also
    written to out/summary.json). Molecules are compared with the training drugs on structure, their
    neighbours found with the FAISS support index (neighbours='faiss') or densely ('exact')."""
    if rank not in RANKINGS:
        raise UserError(f"unknown ranking {rank!r}", f"choose one of {', '.join(RANKINGS)}")
    if neighbours not in ("faiss", "exact"):
        raise UserError(f"unknown neighbour search {neighbours!r}", "choose faiss or exact")
    if top is not None and top < 1:
        raise UserError(f"--top {top} is not positive", "pass --top 20, or --all-pairs for every side effect")
    model_dir, library, out = Path(model_dir).resolve(), Path(library).resolve(), Path(out)
    pipe = Pipeline.load(model_dir)
    if pipe.cfg.protocol.kind == "warm":
        raise UserError(
            "this is a warm completion model, it cannot score new molecules",
            "screen with a cold model (`llmpredgraph train --config configs/cold.yaml`)",
        )
    if not library.is_file():
        raise UserError(f"molecule library {library} not found", "pass an existing .smi, .csv or .parquet file")
    settings = ScreenSettings(
        str(model_dir),
        model_digest(model_dir),
        str(library),
        library.stat().st_size,
        chunk_size,
        top,
        rank,
        limit,
        neighbours,
    )
    done_before = _prepare_folder(out, settings, overwrite)
    base = pipe.typical_rates()
    se_names = pipe.support.se_names
    counts = {"molecules": 0, "scored": 0, "rejected": 0, "parts": 0, "parts_resumed": 0}
    t0, scored_now = time.perf_counter(), 0
    with bar(desc="screen", unit="mol", enabled=progress, total=limit) as pbar:
        for i, chunk in enumerate(read_library(library, chunk_size, limit)):
            part = out / "parts" / f"part-{i:06d}.parquet"
            rejects = out / "rejects" / f"part-{i:06d}.csv"
            if part.is_file():  # finished before: count it from its files, do not redo it
                kept = pd.read_parquet(part, columns=["row"])["row"].nunique()
                n_bad = len(pd.read_csv(rejects)) if rejects.is_file() else 0
                counts["parts_resumed"] += 1
            else:
                mols, bad = split_valid(chunk)
                if len(bad):
                    write_with(rejects, lambda p, b=bad: b.to_csv(p, index=False))
                if len(mols):
                    p = pipe.predict_molecules(mols["smiles"].tolist(), neighbours=neighbours)
                else:  # every row rejected: an empty part still marks the chunk done
                    p = {k: np.zeros((0, len(se_names)), np.float32) for k in ("assoc", "dsf", "dshf")}
                table = long_table(mols, se_names, p, base, rank, top)
                write_with(part, lambda p, t=table: t.to_parquet(p, index=False))  # last: marks the part done
                kept, n_bad = len(mols), len(bad)
                scored_now += kept
            counts["molecules"] += len(chunk)
            counts["scored"] += kept
            counts["rejected"] += n_bad
            counts["parts"] += 1
            pbar.update(len(chunk))
    seconds = time.perf_counter() - t0
    summary = {
        **counts,
        "seconds": round(seconds, 2),
        "scored_per_second_this_run": round(scored_now / seconds, 1) if seconds > 0 else None,
        "parts_done_before": done_before,
        "settings": asdict(settings),
    }
    write_json(out / "summary.json", summary)
    return summary
