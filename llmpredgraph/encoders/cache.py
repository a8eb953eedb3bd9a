"""On-disk embedding cache keyed by encoder identity (model, weights hash, pooling) and the inputs."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np

from ..atomic import sha256_text, write_json, write_with
from ..paths import cache_dir
from .base import Encoder


class EmbeddingCache:
    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root is not None else cache_dir() / "embeddings"
        self.hits = 0
        self.misses = 0

    def key(self, encoder: Encoder, inputs: list[str]) -> str:
        return sha256_text(encoder.identity, str(len(inputs)), *inputs)[:32]

    def _paths(self, key: str) -> tuple[Path, Path]:
        return self.root / f"{key}.npy", self.root / f"{key}.json"

    def load(self, key: str) -> np.ndarray | None:
        arr_path, meta_path = self._paths(key)
        if not (arr_path.is_file() and meta_path.is_file()):
            return None
        try:
            meta = json.loads(meta_path.read_text())
            arr = np.load(arr_path, allow_pickle=False)
            if sha256_text(str(arr.shape), _digest(arr)) != meta["checksum"]:
                raise ValueError("checksum mismatch")
            return arr
        except (ValueError, KeyError, OSError, EOFError) as exc:
            warnings.warn(f"embedding cache entry {arr_path.name} is corrupt ({exc}); rebuilding it", stacklevel=2)
            arr_path.unlink(missing_ok=True)
            meta_path.unlink(missing_ok=True)
            return None

    def store(self, key: str, arr: np.ndarray, identity: str) -> None:
        arr_path, meta_path = self._paths(key)
        write_with(arr_path, lambda p: np.save(p, arr, allow_pickle=False))
        write_json(
            meta_path,
            {"identity": identity, "shape": list(arr.shape), "checksum": sha256_text(str(arr.shape), _digest(arr))},
        )

    def embed(self, encoder: Encoder, inputs: list[str], progress: bool = True) -> np.ndarray:
        key = self.key(encoder, inputs)
        arr = self.load(key)
        if arr is not None:
            self.hits += 1
            return arr
        self.misses += 1
        arr = np.ascontiguousarray(encoder.encode(inputs, progress=progress), dtype=np.float32)
        self.store(key, arr, encoder.identity)
        return arr


def _digest(arr: np.ndarray) -> str:
    import hashlib

    return hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()
