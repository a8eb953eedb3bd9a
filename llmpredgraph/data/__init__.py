"""Benchmark data: fetch, prepare, load."""

from .benchmark import Benchmark, load_benchmark

__all__ = ["Benchmark", "load_benchmark"]
