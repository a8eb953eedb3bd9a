"""Benchmark data: fetch, prepare, load."""

from .benchmark import Benchmark
from .load import load_benchmark

__all__ = ["Benchmark", "load_benchmark"]
