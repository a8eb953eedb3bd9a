"""`screen --workers N`: the library's chunks scored in N worker processes on this machine.

Each worker is pinned to one core, runs one thread (ONNX Runtime and BLAS) and loads the model once;
it writes the same parts and rejects files as the loop in one process, so a screen resumes the
same way. The parent reads the library one chunk at a time and keeps at most two chunks per worker
in flight, so memory stays flat in the library's size. Worth it where the serial parts
(standardising, fingerprints) are a large share, as with `--fast`."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from .screen_chunks import ChunkScorer, ScreenSettings

_W: dict = {}


def _start(out: str, base: np.ndarray, settings: dict, counter) -> None:
    from threadpoolctl import threadpool_limits

    from ..pipeline.loading import load_predictor

    with counter.get_lock():
        me = counter.value
        counter.value += 1
    if hasattr(os, "sched_setaffinity"):  # one core each: workers never compete for a core
        cores = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cores[me % len(cores)]})
    _W["limits"] = threadpool_limits(1, user_api="blas")
    s = ScreenSettings(**settings)
    _W["scorer"] = ChunkScorer(load_predictor(s.model, fast=s.fast, threads=1), Path(out), base, s)


def _score(i: int, chunk: pd.DataFrame) -> tuple[tuple[int, int], dict[str, float]]:
    scorer = _W["scorer"]
    scorer.pipe.stages.seconds.clear()
    counts = scorer(i, chunk)
    return counts, dict(scorer.pipe.stages.seconds)


def score_in_workers(
    workers: int, scorer: ChunkScorer, chunks: Iterable[tuple[int, pd.DataFrame]], stages
) -> Iterator[tuple[int, tuple[int, int], bool]]:
    """(rows, (scored, rejected), resumed) per chunk, as `screen.score_here` yields them; each
    worker's stage seconds are added to `stages` (summed over workers: CPU time, not wall time)."""
    import multiprocessing as mp
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    ctx = mp.get_context("spawn")
    counter = ctx.Value("i", 0)
    pool = ProcessPoolExecutor(
        workers, mp_context=ctx, initializer=_start, initargs=(str(scorer.out), scorer.base, asdict(scorer.s), counter)
    )
    pending: dict = {}

    def finished(block: bool):
        done, _ = wait(pending, return_when=FIRST_COMPLETED, timeout=None if block else 0)
        for fut in done:
            rows = pending.pop(fut)
            counts, seconds = fut.result()  # a worker's own error (a one-line UserError) surfaces here
            for k, v in seconds.items():
                stages.seconds[k] += v
            yield rows, counts, False

    try:
        for i, chunk in chunks:
            before = scorer.done(i)
            if before is not None:
                yield len(chunk), before, True
                continue
            while len(pending) >= 2 * workers:
                yield from finished(True)
            pending[pool.submit(_score, i, chunk)] = len(chunk)
            yield from finished(False)
        while pending:
            yield from finished(True)
    finally:
        pool.shutdown(wait=not pending, cancel_futures=True)
