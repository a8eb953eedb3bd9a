"""Which loader a model folder gets: torch-free `PortableModel` when it holds the export, else the
torch `Pipeline`. What `predict`, `screen`, `ask` and `serve` call."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from .portable import FORMAT, SPEC, PortableModel


def load_predictor(
    folder: str | Path, note: Callable[[str], None] | None = None, fast: bool = False, threads: int | None = None
):
    """The fastest loader a model folder allows: `PortableModel` (no torch) when `train` exported it,
    else the torch `Pipeline`: for a folder saved before the export (`note` gets one line saying so
    and how to add it) and, silently, for a model torch-free inference does not cover (its spec
    says why). fast: the distilled encoder and int8 decoder (`llmpredgraph distil`), torch-free only.
    threads: ONNX Runtime's threads in the torch-free path (default: every CPU this process may use)."""
    folder = Path(folder)
    spec = json.loads((folder / SPEC).read_text()) if (folder / SPEC).is_file() else {}
    if spec.get("format") == FORMAT and spec.get("portable"):
        return PortableModel.load(folder, fast=fast, threads=threads)
    if fast:
        from ..errors import UserError

        raise UserError(
            f"{folder} has no torch-free export, which the fast path runs on",
            f"run `llmpredgraph export --model {folder}` and `llmpredgraph distil --model {folder}`",
        )
    if note is not None and not (spec.get("format") == FORMAT and spec.get("reason")):
        why = f"export format {spec['format']}, this is {FORMAT}" if spec else "saved before torch-free inference"
        note(f"{folder}: loading through torch ({why}); `llmpredgraph export --model {folder}` adds the export")
    from .fitted import Pipeline

    return Pipeline.load(folder)
