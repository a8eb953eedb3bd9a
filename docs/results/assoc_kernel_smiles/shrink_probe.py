"""Probe behind docs/results/assoc_kernel_smiles (run from the repository root at e6befbb):

    python docs/results/assoc_kernel_smiles/shrink_probe.py [n_folds]

Probe (SMILES only, cold_smiles repeat 0): association share on Tanimoto with its own kernel and a
pseudo-weight a towards popularity: (sum_j w_j y_j + a pop) / (sum_j w_j + a), w_j = T ** p over the k
nearest (unnormalised, so a drug with no close neighbour falls back to popularity). Knobs chosen per fold
on validation by association_criterion; test: every association metric vs popularity (se_mean)."""

import itertools
import sys
import time

import numpy as np

from llmpredgraph.baselines import _neighbours, run_baseline
from llmpredgraph.config import load_config
from llmpredgraph.data import load_benchmark
from llmpredgraph.metrics.functions import association_criterion
from llmpredgraph.pipeline.features import load_inputs
from llmpredgraph.protocols.cold import ColdProtocol

cfg = load_config("configs/cold_smiles.yaml", ["protocol.repeats=1"])
bench = load_benchmark(labels=cfg.labels)
inputs = load_inputs(bench, cfg, progress=False)
proto = ColdProtocol(bench, cfg)
S = inputs.similarity({"structure": 1.0})
nf = int(sys.argv[1]) if len(sys.argv) > 1 else 10


def share(train, query, K, pop, k, p, a):
    nbr, W = _neighbours(S, train, query, k)
    W = np.where(np.asarray(train)[nbr] == np.asarray(query)[:, None], 0.0, W**p)
    num = np.einsum("qk,qks->qs", W, K[nbr])
    return (num + a * pop[None, :]) / (W.sum(1, keepdims=True) + a)


grid = list(itertools.product([10, 20, 40, 80, 0], [1.0, 2.0, 3.0], [0.0, 0.5, 1.0, 2.0, 5.0]))
keys = [
    f"assoc_{m}{truth}"
    for truth in ("", "_mentions")
    for m in ("auroc", "auroc_per_drug", "auroc_strat", "precision_at_10")
]
rows, t0 = [], time.time()
for fold in proto.folds()[:nf]:
    sp = proto.split(fold)
    Kfit = (sp.R_fit[sp.fit] > 0).astype(float)
    pop_fit = Kfit.mean(0)
    vals = [association_criterion(share(sp.fit, sp.val, Kfit, pop_fit, *g), sp.R_train[sp.val], pop_fit) for g in grid]
    g = grid[int(np.argmax(vals))]
    g0 = max((x for x in zip(grid, vals) if x[0][2] == 0.0), key=lambda t: t[1])[0]  # no shrink
    targets = proto.targets(sp)
    Ktr = (sp.R_train[fold.train] > 0).astype(float)
    pop = Ktr.mean(0)
    base = run_baseline("se_mean", sp.R_train, fold.train, fold.test, inputs)
    out = {"popularity": proto.evaluate(targets, base)}
    for name, gg in (("own_shrunk", g), ("own_noshrink", g0)):
        out[name] = proto.evaluate(targets, {**base, "assoc": share(fold.train, fold.test, Ktr, pop, *gg)})
    rows.append({"fold": fold.index, "chosen": g, "chosen_noshrink": g0, "test": out})
    print(fold.index, g, g0, f"{time.time() - t0:.0f}s", flush=True)
for name in ("popularity", "own_noshrink", "own_shrunk"):
    v = np.array([[r["test"][name][k] for k in keys] for r in rows])
    print(f"{name:13s}", " ".join(f"{x:.4f}" for x in v.mean(0)))
print(keys)
