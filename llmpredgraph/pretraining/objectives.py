"""The two pretraining objectives as small pure tensor functions (BERT masking; R² of a regression)."""

from __future__ import annotations

import torch


def mask_tokens(
    input_ids: torch.Tensor,
    special: torch.Tensor,
    mask_id: int,
    vocab_size: int,
    prob: float = 0.15,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT masking. input_ids [B, L]; special [B, L] True for [CLS]/[SEP]/padding, never chosen.
    Each other token is chosen with `prob`; a chosen token becomes [MASK] (80%), a random token
    (10%) or stays (10%). Returns (inputs [B, L], labels [B, L] = the original id where chosen, else
    -100, the ignore index of cross-entropy). At least one token per batch is chosen."""
    g = generator
    chosen = (torch.rand(input_ids.shape, generator=g) < prob) & ~special
    if not chosen.any():  # a tiny batch could draw none: take its first ordinary token
        first = (~special).nonzero()[:1]
        chosen[first[:, 0], first[:, 1]] = True
    labels = torch.where(chosen, input_ids, torch.full_like(input_ids, -100))
    roll = torch.rand(input_ids.shape, generator=g)
    inputs = input_ids.clone()
    inputs[chosen & (roll < 0.8)] = mask_id
    swap = chosen & (roll >= 0.8) & (roll < 0.9)
    inputs[swap] = torch.randint(vocab_size, (int(swap.sum()),), generator=g)
    return inputs, labels


def r2_per_target(pred: torch.Tensor, target: torch.Tensor, min_var: float = 1e-6) -> torch.Tensor:
    """Coefficient of determination per column: 1 - SS_res / SS_tot; pred, target [N, T] -> [T].
    A column whose variance is below `min_var` (constant on these rows, in standardised units) gives
    NaN: its R² is undefined, and a near-zero SS_tot would blow it up."""
    ss_res = ((target - pred) ** 2).sum(0)
    ss_tot = ((target - target.mean(0)) ** 2).sum(0)
    ok = ss_tot > min_var * target.shape[0]
    return torch.where(ok, 1 - ss_res / ss_tot.clamp(min=1e-12), torch.full_like(ss_tot, float("nan")))
