#!/usr/bin/env python
"""Probes behind the graph model's neighbour prior (docs/results/cold/probes.md): how well
non-parametric neighbour evidence ranks a drug's side effects, on the VALIDATION drugs of the ten
repeat-0 cold folds (whole structure groups carved from each fold's training drugs; test drugs are
never read). Prints mean over folds of the per-drug and popularity-stratified association AUROC,
the pooled AUROC against all unknowns and precision@10, best first.

    python scripts/probe_neighbour_evidence.py shares     # kernel shares: k, power, popularity shrinkage
    python scripts/probe_neighbour_evidence.py krr        # kernel ridge regression on the same similarity
    python scripts/probe_neighbour_evidence.py learned    # a learned drug similarity (tower over all channels)
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from torch import nn

from llmpredgraph.config import load_config
from llmpredgraph.data import load_benchmark
from llmpredgraph.metrics.functions import rank_auroc, ranking_metrics
from llmpredgraph.pipeline.features import load_inputs
from llmpredgraph.protocols.splits import carve_validation, cold_folds

KEYS = ("assoc_auroc_per_drug", "assoc_auroc_strat", "pooled", "assoc_precision_at_10")


def folds(bench):
    """(fit, val) drugs of each repeat-0 fold, as configs/cold.yaml carves them."""
    groups = bench.drugs["structure_group"].to_numpy()
    for k, (train, _) in enumerate(cold_folds(bench.n_drugs, 10, 0, groups)):
        yield carve_validation(train, 0.1, k, groups)


def score(P, R_val, pop) -> dict:
    m = ranking_metrics(P, R_val, pop)
    m["pooled"] = rank_auroc((R_val > 0).ravel(), P.ravel())
    return m


def kernel_share(S_qf: np.ndarray, K_fit: np.ndarray, k: int, power: float, pop=None, a: float = 0.0):
    """Weighted share of the k most similar fit drugs (0 = all), weights S ** power; with a > 0 the
    share is shrunk towards popularity with a pseudo-weight a."""
    order = np.argsort(-S_qf, 1)[:, : (k or S_qf.shape[1])]
    W = np.zeros_like(S_qf)
    np.put_along_axis(W, order, np.take_along_axis(S_qf, order, 1).clip(1e-6) ** power, 1)
    num, den = W @ K_fit, W.sum(1, keepdims=True)
    return (num + a * pop) / (den + a) if a else num / den


def probe_shares(bench, inputs) -> dict:
    sims = {f"atc{w}": inputs.similarity({"structure": 1.0, "atc": w, "target": 1.0}) for w in (1.0, 2.0)}
    res: dict = {}
    for fit, val in folds(bench):
        K = (bench.R > 0).astype(float)
        pop = K[fit].mean(0)
        res.setdefault("popularity", []).append(score(np.tile(pop, (len(val), 1)), bench.R[val], pop))
        for name, S in sims.items():
            S_qf = S[np.ix_(val, fit)]
            for k in (10, 40, 80, 160, 0):
                for p in (1.0, 2.0, 4.0):
                    res.setdefault(f"{name} k{k} p{p:g}", []).append(
                        score(kernel_share(S_qf, K[fit], k, p), bench.R[val], pop)
                    )
                for a in (1.0, 2.0):
                    P = kernel_share(S_qf, K[fit], k, 1.0, pop, a)
                    res.setdefault(f"{name} k{k} p1 shrunk a{a:g}", []).append(score(P, bench.R[val], pop))
    return res


def probe_krr(bench, inputs) -> dict:
    S = inputs.similarity({"structure": 1.0, "atc": 2.0, "target": 1.0})
    res: dict = {}
    for fit, val in folds(bench):
        K = (bench.R > 0).astype(float)
        pop = K[fit].mean(0)
        for p in (1, 2):
            Sff, Sqf = S[np.ix_(fit, fit)] ** p, S[np.ix_(val, fit)] ** p
            for lam in (1.0, 3.0, 10.0):
                P = pop + Sqf @ np.linalg.solve(Sff + lam * np.eye(len(fit)), K[fit] - pop)
                res.setdefault(f"krr p{p} lambda{lam:g}", []).append(score(P, bench.R[val], pop))
    return res


class Tower(nn.Module):
    """Per channel a dropout + linear map, concatenated, then a linear map to a unit vector."""

    def __init__(self, dims: list[int], hidden: int = 64, out: int = 64, dropout: float = 0.2):
        super().__init__()
        self.enc = nn.ModuleList(nn.Sequential(nn.Dropout(dropout), nn.Linear(d, hidden)) for d in dims)
        self.mlp = nn.Sequential(nn.ReLU(), nn.Linear(hidden * len(dims), out))

    def forward(self, xs: list[torch.Tensor]) -> torch.Tensor:
        return nn.functional.normalize(self.mlp(torch.cat([e(x) for e, x in zip(self.enc, xs)], -1)), dim=-1)


def multihot(sets: list[list[str]]) -> np.ndarray:
    vocab = {x: i for i, x in enumerate(sorted({x for s in sets for x in s}))}
    M = np.zeros((len(sets), max(len(vocab), 1)), np.float32)
    for i, s in enumerate(sets):
        M[i, [vocab[x] for x in s]] = 1
    return M


def learned_similarity(channels: list[np.ndarray], R_fit: np.ndarray, fit: np.ndarray, seed: int) -> np.ndarray:
    """Cosine of a tower trained on the fit drugs so that cos(z_i, z_j) matches the cosine of their
    training side-effect profiles (MSE, 600 full-batch steps); [n, n] over every drug."""
    torch.manual_seed(seed)
    K = (R_fit[fit] > 0).astype(np.float32)
    U = K / np.maximum(np.linalg.norm(K, axis=1, keepdims=True), 1e-9)
    target = torch.as_tensor(U @ U.T)
    tower = Tower([c.shape[1] for c in channels])
    opt = torch.optim.AdamW(tower.parameters(), 3e-3, weight_decay=1e-3)
    xs = [torch.as_tensor(c[fit]) for c in channels]
    for _ in range(600):
        z = tower(xs)
        loss = ((z @ z.T - target) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    tower.eval()
    with torch.no_grad():
        z = tower([torch.as_tensor(c) for c in channels]).numpy()
    return z @ z.T


def probe_learned(bench, inputs) -> dict:
    X = inputs.X_drug
    channels = [
        (inputs.fingerprints > 0).astype(np.float32),
        ((X - X.mean(0)) / (X.std(0) + 1e-6)).astype(np.float32),
        multihot(inputs.knowledge.atc),
        multihot(inputs.knowledge.targets),
    ]
    S_comb = inputs.similarity({"structure": 1.0, "atc": 2.0, "target": 1.0})
    res: dict = {}
    for seed, (fit, val) in enumerate(folds(bench)):
        K = (bench.R > 0).astype(float)
        pop = K[fit].mean(0)
        S_learn = learned_similarity(channels, bench.R, fit, seed)
        for name, S in {"combined": S_comb, "learned": S_learn, "mean": (S_comb + S_learn.clip(0)) / 2}.items():
            for p in (1.0, 2.0, 4.0):
                P = kernel_share(S[np.ix_(val, fit)], K[fit], 0, p)
                res.setdefault(f"{name} all p{p:g}", []).append(score(P, bench.R[val], pop))
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("probe", choices=["shares", "krr", "learned"])
    ap.add_argument("--top", type=int, default=20)
    a = ap.parse_args()
    torch.set_num_threads(1)
    bench = load_benchmark()
    inputs = load_inputs(bench, load_config("configs/cold.yaml"), progress=False)
    res = {"shares": probe_shares, "krr": probe_krr, "learned": probe_learned}[a.probe](bench, inputs)
    rows = sorted(((n, *[np.mean([m[k] for m in ms]) for k in KEYS]) for n, ms in res.items()), key=lambda r: -r[1])
    print("| setting | per drug | stratified | pooled (all unknown) | precision@10 |\n|---|---|---|---|---|")
    for r in rows[: a.top]:
        print(f"| {r[0]} | " + " | ".join(f"{v:.4f}" for v in r[1:]) + " |")


if __name__ == "__main__":
    main()
