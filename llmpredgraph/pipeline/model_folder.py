"""Reading a model folder: the files both loaders (torch `Pipeline.load`, `PortableModel.load`)
share, checked before any work."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import yaml

from .. import __version__
from ..config import Config, from_dict
from ..errors import UserError
from .knowledge import DrugKnowledge
from .support import SupportData

FILES = ("config.yaml", "meta.yaml", "support.npz", "names.json")  # what both loaders read


def read_model_folder(folder: Path) -> tuple[dict, Config, dict, SupportData]:
    """(meta, config, the support arrays, `SupportData`) of a model folder, checked: what the torch
    `Pipeline.load` and `PortableModel.load` share (no processed benchmark needed)."""
    missing = [name for name in FILES if not (folder / name).is_file()]
    if missing:
        raise UserError(
            f"{folder} is not a model folder (missing {', '.join(missing)})",
            "create one with `llmpredgraph train --out DIR`",
        )
    meta = yaml.safe_load((folder / "meta.yaml").read_text()) or {}
    if str(meta.get("version", "0")).split(".")[0] != __version__.split(".")[0]:
        raise UserError(
            f"model folder {folder} comes from llmpredgraph {meta.get('version')} (this is {__version__})",
            "retrain it with `llmpredgraph train`",
        )
    cfg = from_dict(yaml.safe_load((folder / "config.yaml").read_text()), str(folder / "config.yaml"))
    arrays = dict(np.load(folder / "support.npz"))
    names = json.loads((folder / "names.json").read_text())
    support = SupportData(
        arrays["R"],
        arrays["hierarchy"].astype(np.int64),
        arrays["fingerprints"].astype(np.float32),
        names["drugs"],
        names["smiles"],
        names["side_effects"],
        DrugKnowledge(**names["knowledge"]) if "knowledge" in names else None,
        names.get("side_effect_soc"),  # absent from folders saved before reports
        names.get("label_frequencies"),  # absent from folders saved before SIDER labels
    )
    return meta, cfg, arrays, support
