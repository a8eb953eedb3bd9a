"""`screen --executor ray`: the library's chunks sharded over a pool of Ray Data workers.

The driver streams the library once, writing each unfinished chunk as a small Parquet shard (row ids
stay those of the file, memory stays one chunk); Ray Data then maps the shard list over actors that
each load the model once and write the same parts and rejects files as the local loop. A shard is
deleted once its part exists, so a rerun resumes from the parts, as locally."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from ..atomic import write_with
from ..errors import UserError
from ..pipeline.loading import load_predictor
from ..runtime import set_threads
from .screen_chunks import ChunkScorer, ScreenSettings


class RayChunkWorker:
    """A Ray Data actor: the model loaded once, then one shard per call -> its counts."""

    def __init__(self, out: str, base: np.ndarray, settings: dict, threads: int):
        set_threads(threads)
        s = ScreenSettings(**settings)
        self.scorer = ChunkScorer(load_predictor(s.model, fast=s.fast), Path(out), base, s)

    def __call__(self, batch: pd.DataFrame) -> pd.DataFrame:
        rows = []
        for chunk, shard in zip(batch["chunk"], batch["shard"]):
            scored, rejected = self.scorer(int(chunk), pd.read_parquet(shard))
            Path(shard).unlink(missing_ok=True)
            rows.append({"chunk": int(chunk), "scored": scored, "rejected": rejected})
        return pd.DataFrame(rows)


def score_on_ray(
    executor, scorer: ChunkScorer, chunks: Iterable[tuple[int, pd.DataFrame]]
) -> Iterator[tuple[int, tuple[int, int], bool]]:
    """(rows, (scored, rejected), resumed) per chunk, as `screen.score_here` yields them: parts
    finished before while the shards are written, then each shard's counts as a worker finishes it."""
    import ray.data  # the [ray] extra; RayExecutor has already checked it is installed

    pending, sizes = [], {}
    for i, chunk in chunks:
        before = scorer.done(i)
        if before is not None:
            yield len(chunk), before, True
            continue
        shard = scorer.out / "shards" / f"shard-{i:06d}.parquet"
        write_with(shard, lambda p, c=chunk: c.to_parquet(p, index=False))
        pending.append({"chunk": i, "shard": str(shard)})
        sizes[i] = len(chunk)
    if not pending:
        return
    ray.data.DataContext.get_current().enable_progress_bars = False  # the driver shows one bar
    workers = max(1, int(ray.cluster_resources().get("CPU", 1) // max(executor.cpus, 1e-9)))
    ds = ray.data.from_items(pending).map_batches(
        RayChunkWorker,
        batch_size=1,
        batch_format="pandas",
        concurrency=min(workers, len(pending)),
        num_cpus=executor.cpus,
        num_gpus=executor.gpus or None,
        fn_constructor_args=(str(scorer.out), scorer.base, asdict(scorer.s), executor.threads),
    )
    try:
        for row in ds.iter_rows():
            yield sizes[int(row["chunk"])], (int(row["scored"]), int(row["rejected"])), False
    except Exception as e:  # a worker's error arrives wrapped; keep its first line
        raise UserError(
            f"a Ray screen worker failed: {str(e).strip().splitlines()[-1][:300]}",
            "rerun the same command to resume (finished parts are kept), or screen with --executor local",
        ) from None
