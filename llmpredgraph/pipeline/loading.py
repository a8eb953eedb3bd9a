"""Which loader a model folder gets: torch-free `PortableModel` when it holds the export, else the
torch `Pipeline`. What `predict`, `screen`, `ask` and `serve` call."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from .portable import FORMAT, SPEC, PortableModel


def load_predictor(folder: str | Path, note: Callable[[str], None] | None = None):
    """The fastest loader a model folder allows: `PortableModel` (no torch) when `train` exported it,
    else the torch `Pipeline` (older folders, and models torch-free inference cannot run: `note` says
    why, in one line)."""
    folder = Path(folder)
    if (folder / SPEC).is_file():
        spec = json.loads((folder / SPEC).read_text())
        if spec.get("format") == FORMAT and spec.get("portable"):
            return PortableModel.load(folder)
        why = spec.get("reason") or f"export format {spec.get('format')} (this is {FORMAT})"
    else:
        why = "it was saved before torch-free inference"
    if note is not None:
        note(f"{folder}: loading through torch ({why}); `llmpredgraph export --model {folder}` adds the export")
    from .fitted import Pipeline

    return Pipeline.load(folder)
