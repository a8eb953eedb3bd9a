"""Load the processed benchmark, or the tiny synthetic one for tests."""

from __future__ import annotations

from pathlib import Path

from ..paths import processed_dir
from .benchmark import Benchmark
from .synthetic import synthetic_benchmark


def load_benchmark(source: str | Path | None = None, *, learnable: bool = True) -> Benchmark:
    """Load the processed benchmark ('synthetic' gives the tiny generated one)."""
    if source is not None and str(source) == "synthetic":
        bench = synthetic_benchmark()
    else:
        bench = Benchmark.load(source if source is not None else processed_dir())
    return bench.learnable() if learnable else bench
