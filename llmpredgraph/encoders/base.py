"""The encoder interface: a stable identity (for the cache) and `encode(list[str]) -> array`."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np


class Encoder(ABC):
    """Maps strings to fixed-size float32 vectors."""

    @property
    @abstractmethod
    def identity(self) -> str:
        """Everything that changes the output: model, weights hash, pooling, lengths."""

    @abstractmethod
    def encode(self, inputs: list[str], progress: bool = False) -> np.ndarray:
        """(len(inputs), dim) float32."""
