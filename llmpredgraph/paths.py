"""Where the working area lives (data/ by default, or $LLMPREDGRAPH_DATA_DIR)."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    env = os.environ.get("LLMPREDGRAPH_DATA_DIR")
    return Path(env) if env else Path.cwd() / "data"


def raw_dir() -> Path:
    return data_dir() / "raw"


def processed_dir() -> Path:
    return data_dir() / "processed"


def cache_dir() -> Path:
    return data_dir() / "cache"


def students_dir() -> Path:
    """Distilled SMILES encoders, by teacher, settings and corpus molecules (`pretraining.student`)."""
    return cache_dir() / "students"
