"""Fitting the distilled SMILES encoder (`encoders.student`): an MLP from log1p Morgan counts to the
teacher LM's vectors, standardised per dimension.

    loss = mean over molecules and dimensions of ((f(x) - (y - mean) / scale) ** 2)

Hinton et al. 2015 (distillation) in its plainest form: regression on the teacher's output, on
unlabelled corpus molecules only (no benchmark labels are read)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..progress import bar

TEACHER_FILE = "teacher_check.npz"  # the teacher's check-set vectors and training mean, beside the student


@dataclass
class Distilled:
    """A student fitted on corpus molecules: its weights and settings (`encoders.student.save_student`'s),
    the molecules it trained on and the held-out check set, and the teacher's vectors of the check set
    with the teacher's mean training vector (what `distil`'s fidelity compares against)."""

    weights: dict[str, np.ndarray]
    spec: dict
    train: list[str]
    check: list[str]
    teacher_check: np.ndarray
    teacher_mean: np.ndarray


def _standardised(smiles: list[str]) -> list[str]:
    from ..data.structures import standard_smiles

    out = []
    for s in smiles:
        try:
            out.append(standard_smiles(s))
        except ValueError:
            continue  # a corpus row RDKit cannot read teaches nothing
    return list(dict.fromkeys(out))


def corpus_split(corpora: tuple[str, ...], n: int, check: int) -> tuple[list[str], list[str]]:
    """(check set, training molecules), standardised and distinct: the check set is the first `check`
    molecules of corpora[0]; training takes its next `n` and up to `n` of every other corpus, never a
    check molecule."""
    from ..data.corpora import corpus_smiles
    from ..errors import UserError

    if n < 1 or check < 1:
        raise UserError(f"--n {n} and --check {check} must be positive", "pass e.g. --n 40000 --check 1000")
    first = _standardised(corpus_smiles(corpora[0], limit=check + n))
    check_set, train = first[:check], first[check:]
    for name in corpora[1:]:
        train += _standardised(corpus_smiles(name, limit=n))
    held = set(check_set)
    train = list(dict.fromkeys(s for s in train if s not in held))
    if len(check_set) < check or len(train) < 2:
        raise UserError(
            f"corpus {corpora[0]} gave {len(check_set)} check and {len(train)} training molecules",
            "pass a larger corpus or smaller --check / --n",
        )
    return check_set, train


def distil_corpus(
    teacher,
    teacher_identity: str,
    radius: int,
    bits: int,
    corpora: tuple[str, ...] = ("moses",),
    n: int = 40_000,
    check: int = 1000,
    hidden: int = 1024,
    epochs: int = 30,
    seed: int = 0,
    progress: bool = True,
    cache: Path | None = None,
) -> Distilled:
    """Fit a student of `teacher` (an encoder with .encode) on corpus molecules, or load the one fitted
    before with the same teacher, settings and molecules from `cache` (a folder; None: no cache).
    Reads no benchmark label: the same student serves every fold of an experiment and `distil`."""
    from ..atomic import sha256_text, write_with
    from ..encoders.fixed import MorganEncoder
    from ..encoders.student import STUDENT_ARRAYS, STUDENT_SPEC, has_student, save_student

    check_set, train = corpus_split(tuple(corpora), n, check)
    spec = {
        "radius": radius,
        "bits": bits,
        "teacher": teacher_identity,
        "hidden": hidden,
        "epochs": epochs,
        "seed": seed,
        "corpora": list(corpora),
        "train_molecules": len(train),
        "check_molecules": len(check_set),
    }
    key = sha256_text(json.dumps(spec, sort_keys=True), *check_set, *train)[:24]
    folder = Path(cache) / key if cache is not None else None
    if folder is not None and has_student(folder) and (folder / TEACHER_FILE).is_file():
        with np.load(folder / STUDENT_ARRAYS) as z, np.load(folder / TEACHER_FILE) as t:
            weights, Y_check, mean = {k: z[k] for k in z.files}, t["check"], t["mean"]
        return Distilled(weights, json.loads((folder / STUDENT_SPEC).read_text()), train, check_set, Y_check, mean)
    Y, Y_check = teacher.encode(train, progress=progress), teacher.encode(check_set)
    counts = MorganEncoder(radius, bits, counts=True).encode(train)
    weights = fit_student(counts, Y, hidden=hidden, epochs=epochs, seed=seed, progress=progress)
    mean = Y.mean(0).astype(np.float32)
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)

        def save(path: Path) -> None:
            with open(path, "wb") as f:
                np.savez(f, check=Y_check, mean=mean)

        write_with(folder / TEACHER_FILE, save)  # first: the student's files mark the entry complete
        save_student(folder, weights, spec)
    return Distilled(weights, spec, train, check_set, Y_check, mean)


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
