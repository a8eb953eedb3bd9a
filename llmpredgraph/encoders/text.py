"""Sentence-transformers text encoder for side-effect descriptions (and optional drug text)."""

from __future__ import annotations

import numpy as np

from .base import Encoder
from .resolve import offline, offline_error, resolve_model, weights_hash


class TextEncoder(Encoder):
    def __init__(self, model: str = "all-MiniLM-L6-v2", batch_size: int = 64, device: str = "cpu"):
        self.name, self.batch_size, self.device = model, batch_size, device
        self._where, local = resolve_model(model, "text")
        self._ident = f"text:{model}:{weights_hash(self._where) if local else 'hub'}"
        self._model = None

    @property
    def model(self):
        """Loaded on first use, so a cache hit never loads the model."""
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            try:
                self._model = SentenceTransformer(self._where, device=self.device, local_files_only=offline())
            except (OSError, ValueError) as exc:
                raise offline_error(self.name, "text", exc) from None
        return self._model

    @property
    def identity(self) -> str:
        return self._ident

    def encode(self, inputs: list[str], progress: bool = False) -> np.ndarray:
        vecs = self.model.encode(
            list(inputs), batch_size=self.batch_size, show_progress_bar=progress, convert_to_numpy=True
        )
        return np.asarray(vecs, dtype=np.float32)
