"""Which torch device a job runs on: `cpu`, `cuda`, or `auto` (CUDA when a GPU is visible)."""

from __future__ import annotations

import torch

from .errors import UserError

DEVICES = ("auto", "cpu", "cuda")


def resolve_device(name: str = "cpu") -> torch.device:
    if name not in DEVICES:
        raise UserError(f"unknown device {name!r}", f"choose one of {', '.join(DEVICES)}")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise UserError("device cuda was asked for, but torch sees no CUDA GPU", "use --device cpu or --device auto")
    return torch.device(name)
