"""Towers that map raw encoder output to the shared contrastive space."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


class Standardize(nn.Module):
    """Feature standardisation with statistics from training rows only (saved as buffers)."""

    def __init__(self, dim: int):
        super().__init__()
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("std", torch.ones(dim))

    @classmethod
    def fit(cls, X: np.ndarray | torch.Tensor) -> Standardize:
        X = torch.as_tensor(X, dtype=torch.float32)
        mod = cls(X.shape[1])
        mod.mean.copy_(X.mean(0))
        mod.std.copy_(X.std(0, unbiased=False).clamp(min=1e-6))
        return mod

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


class ProjectionHead(nn.Module):
    """Standardise, then a two-layer MLP into the shared space."""

    def __init__(self, norm: Standardize, in_dim: int, hidden: int, out_dim: int, dropout: float = 0.1):
        super().__init__()
        self.settings = {"in_dim": in_dim, "hidden": hidden, "out_dim": out_dim, "dropout": dropout}
        self.norm = norm
        self.net = nn.Sequential(nn.Linear(in_dim, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, out_dim))

    def reset_parameters(self) -> None:
        for layer in self.net:
            if isinstance(layer, nn.Linear):
                layer.reset_parameters()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(self.norm(x))


class FrozenTower(nn.Module):
    """Fixed raw vectors (frozen LM output) through a trainable head; rows picked by index."""

    def __init__(self, X: np.ndarray, head: ProjectionHead):
        super().__init__()
        self.register_buffer("X", torch.as_tensor(X, dtype=torch.float32))
        self.head = head

    def reset_parameters(self) -> None:
        self.head.reset_parameters()

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        return self.head(self.X[idx])


def adapt_lm(model: nn.Module, mode: str, lora_r: int = 8, lora_alpha: int = 16) -> nn.Module:
    """A trainable copy of a loaded LM: LoRA adapters on attention query/value ('lora') or all
    weights ('full'). The one place that wraps a model, for training and for reloading."""
    import copy

    model = copy.deepcopy(model)
    if mode == "lora":
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(
            model, LoraConfig(r=lora_r, lora_alpha=lora_alpha, target_modules=["query", "value"], lora_dropout=0.05)
        )
    elif mode != "full":
        raise ValueError(f"unknown LM tuning mode {mode!r}")
    return model


def trainable_lm_state(model: nn.Module, mode: str) -> dict[str, torch.Tensor]:
    """What an adapted LM must save: its LoRA adapters ('lora'; the base weights ship with the encoder)
    or every weight ('full')."""
    state = model.state_dict()
    return {k: v for k, v in state.items() if "lora_" in k} if mode == "lora" else state


class LMTower(nn.Module):
    """SMILES language model (LoRA adapters or all weights trainable) plus head; rows picked by index."""

    def __init__(self, encoder, model: nn.Module, smiles: list[str], head: ProjectionHead):
        super().__init__()
        self.encoder, self.model, self.smiles, self.head = encoder, model, smiles, head

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        uniq, inv = torch.unique(idx, return_inverse=True)  # each molecule through the LM once per step
        pooled = self.encoder.forward([self.smiles[i] for i in uniq.tolist()], self.model)
        return self.head(pooled)[inv]
