"""`screen`: a molecule library through a saved cold model, chunk by chunk. Each chunk is
standardised and validated (bad rows go to a rejects file with their reason), scored and written as
one Parquet part; a finished part is never redone, so an interrupted screen resumes where it stopped.
Memory stays flat in the library's size: one chunk is held at a time."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import MISSING, asdict, fields
from pathlib import Path

from ..atomic import write_json
from ..data.library import read_library
from ..errors import UserError
from ..pipeline.loading import load_predictor
from ..progress import bar
from .screen_chunks import ChunkScorer, ScreenSettings, model_digest
from .tables import RANKINGS


def _prepare_folder(out: Path, settings: ScreenSettings, overwrite: bool) -> int:
    """Number of finished parts kept (0 for a new folder)."""
    manifest = out / "screen.json"
    if out.exists() and overwrite:
        import shutil

        shutil.rmtree(out)
    if manifest.is_file():
        # a setting added since the folder was made counts as its default (`fast`: older folders)
        old = {f.name: f.default for f in fields(ScreenSettings) if f.default is not MISSING}
        old |= json.loads(manifest.read_text())
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


def score_here(scorer: ChunkScorer, chunks) -> Iterator[tuple[int, tuple[int, int], bool]]:
    """Chunk after chunk in this process: (rows, (scored, rejected), resumed) per chunk, a part
    finished before counted from its files."""
    for i, chunk in chunks:
        before = scorer.done(i)
        yield len(chunk), before if before is not None else scorer(i, chunk), before is not None


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
    executor=None,
    note=None,
    fast: bool = False,
    workers: int = 1,
) -> dict:
    """Screen `library` with the model in `model_dir` into `out`; returns the run's summary (also
    written to out/summary.json). Molecules are compared with the training drugs on structure, their
    neighbours found with the FAISS support index (neighbours='faiss') or densely ('exact').
    executor: None / local scores chunk after chunk here; a RayExecutor shards the chunks over a
    pool of Ray Data workers (`screen_ray`). note: takes one-line notes (a model loaded through torch).
    fast: the folder's distilled encoder and int8 decoder (`llmpredgraph distil`). workers: local worker
    processes, one core each (`screen_local`)."""
    if rank not in RANKINGS:
        raise UserError(f"unknown ranking {rank!r}", f"choose one of {', '.join(RANKINGS)}")
    if neighbours not in ("faiss", "exact"):
        raise UserError(f"unknown neighbour search {neighbours!r}", "choose faiss or exact")
    if not isinstance(workers, int) or workers < 1:
        raise UserError(f"--workers {workers} is not a positive number", "pass e.g. --workers 2")
    if workers > 1 and executor is not None and executor.name == "ray":
        raise UserError("--workers is for the local executor; Ray sizes its own pool", "leave out --workers")
    if top is not None and top < 1:
        raise UserError(f"--top {top} is not positive", "pass --top 20, or --all-pairs for every side effect")
    model_dir, library, out = Path(model_dir).resolve(), Path(library).resolve(), Path(out)
    pipe = load_predictor(model_dir, note, fast=fast)
    if not pipe.cfg.protocol.holds_out_drugs:
        raise UserError(
            "this is a warm completion model, it cannot score new molecules",
            "screen with a cold model (`llmpredgraph train --config configs/cold.yaml`)",
        )
    if not library.is_file():
        raise UserError(f"molecule library {library} not found", "pass an existing .smi, .csv or .parquet file")
    settings = ScreenSettings(
        str(model_dir),
        model_digest(model_dir, fast),
        str(library),
        library.stat().st_size,
        chunk_size,
        top,
        rank,
        limit,
        neighbours,
        fast,
    )
    done_before = _prepare_folder(out, settings, overwrite)
    scorer = ChunkScorer(pipe, out, pipe.typical_rates(), settings)
    counts = {"molecules": 0, "scored": 0, "rejected": 0, "parts": 0, "parts_resumed": 0}
    t0, scored_now = time.perf_counter(), 0
    chunks = enumerate(read_library(library, chunk_size, limit))
    with bar(desc="screen", unit="mol", enabled=progress, total=limit) as pbar:
        if executor is not None and executor.name == "ray":
            from .screen_ray import score_on_ray

            results = score_on_ray(executor, scorer, chunks)
        elif workers > 1:
            from .screen_local import score_in_workers

            results = score_in_workers(workers, scorer, chunks, pipe.stages)
        else:
            results = score_here(scorer, chunks)
        for rows, (kept, n_bad), resumed in results:
            counts["parts_resumed"] += resumed
            scored_now += 0 if resumed else kept
            counts["molecules"] += rows
            counts["scored"] += kept
            counts["rejected"] += n_bad
            counts["parts"] += 1
            pbar.update(rows)
    seconds = time.perf_counter() - t0
    summary = {
        **counts,
        "seconds": round(seconds, 2),
        "scored_per_second_this_run": round(scored_now / seconds, 1) if seconds > 0 else None,
        "parts_done_before": done_before,
        "executor": "local" if executor is None else executor.name,
        "workers": workers,
        # where this run's time went (local runs, summed over --workers; Ray workers time their own chunks)
        "stage_seconds": pipe.stages.as_dict() if executor is None or executor.name != "ray" else None,
        "settings": asdict(settings),
    }
    write_json(out / "summary.json", summary)
    return summary
