"""Fitting the distilled SMILES encoder (`encoders.student`): an MLP from log1p Morgan counts to the
teacher LM's vectors, standardised per dimension.

    loss = mean over molecules and dimensions of ((f(x) - (y - mean) / scale) ** 2)

Hinton et al. 2015 (distillation) in its plainest form: regression on the teacher's output, on
unlabelled corpus molecules only (no benchmark labels are read)."""

from __future__ import annotations

import numpy as np

from ..progress import bar


def fit_student(
    counts: np.ndarray,
    Y: np.ndarray,
    hidden: int = 1024,
    epochs: int = 30,
    batch_size: int = 256,
    lr: float = 1e-3,
    seed: int = 0,
    progress: bool = True,
) -> dict[str, np.ndarray]:
    """Student weights (w1, b1, w2, b2, w3, b3, scale, mean) fitted to teacher vectors Y [m, dim]
    from count fingerprints [m, bits]; one-cycle AdamW, seeded."""
    import torch

    torch.manual_seed(seed)
    mean, scale = Y.mean(0), Y.std(0) + 1e-6
    x = torch.tensor(np.log1p(counts), dtype=torch.float32)
    y = torch.tensor((Y - mean) / scale, dtype=torch.float32)
    net = torch.nn.Sequential(
        torch.nn.Linear(x.shape[1], hidden),
        torch.nn.GELU(),
        torch.nn.Linear(hidden, hidden),
        torch.nn.GELU(),
        torch.nn.Linear(hidden, y.shape[1]),
    )
    steps = epochs * ((len(x) + batch_size - 1) // batch_size)
    opt = torch.optim.AdamW(net.parameters(), lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=max(steps, 1))
    gen = torch.Generator().manual_seed(seed)
    with bar(desc="distil", total=epochs, unit="epoch", enabled=progress) as pbar:
        for _ in range(epochs):
            perm, total = torch.randperm(len(x), generator=gen), 0.0
            for i in range(0, len(x), batch_size):
                b = perm[i : i + batch_size]
                loss = ((net(x[b]) - y[b]) ** 2).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
                total += loss.item() * len(b)
            pbar.set_postfix(loss=f"{total / len(x):.4f}")
            pbar.update(1)
    lin = [m for m in net if isinstance(m, torch.nn.Linear)]
    out = {f"w{i + 1}": m.weight.detach().numpy() for i, m in enumerate(lin)}
    out |= {f"b{i + 1}": m.bias.detach().numpy() for i, m in enumerate(lin)}
    return out | {"scale": scale.astype(np.float32), "mean": mean.astype(np.float32)}
