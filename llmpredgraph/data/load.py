"""Load the processed benchmark, or the tiny synthetic one for tests."""

from __future__ import annotations

from pathlib import Path

from ..paths import processed_dir
from .benchmark import Benchmark
from .synthetic import synthetic_benchmark


def load_benchmark(source: str | Path | None = None, *, learnable: bool = True, labels=None) -> Benchmark:
    """Load the processed benchmark ('synthetic' gives the tiny generated one). labels (a config's
    `labels` section): fold the SIDER mentions into R and append the extra drugs (`Benchmark.with_labels`)."""
    if source is not None and str(source) == "synthetic":
        bench = synthetic_benchmark()
    else:
        bench = Benchmark.load(source if source is not None else processed_dir())
    bench = bench.learnable() if learnable else bench
    return bench.with_labels(labels.association, labels.extra_drugs) if labels is not None else bench
