"""Process-wide settings every entry point applies the same way: seeds and torch threads."""

from __future__ import annotations

import random

import numpy as np
import torch


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def set_threads(threads: int | None) -> None:
    """torch intra-op threads (None keeps torch's default). Two torch processes at full threads on
    few cores run many times slower, so heavy jobs set this."""
    if threads:
        torch.set_num_threads(threads)
