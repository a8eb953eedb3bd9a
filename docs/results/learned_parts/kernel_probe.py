"""Probe: a learned neighbour kernel vs the hand-weighted combined similarity, on validation drugs
of repeat-0 cold folds (test drugs never read). Kernel: w(q,f) = S(q,f)^beta * exp(z_q . z_f),
z = tower(drug channels), trained on fit drugs by leave-group-out neighbour share -> BCE on labels."""

import sys
import time

import numpy as np
import torch
from torch import nn

from llmpredgraph.config import load_config
from llmpredgraph.data import load_benchmark
from llmpredgraph.frequency import MAX_CLASS
from llmpredgraph.metrics.functions import ranking_metrics
from llmpredgraph.pipeline.features import load_inputs
from llmpredgraph.protocols.cold import ColdProtocol

torch.set_num_threads(2)
cfg = load_config("configs/cold.yaml")
bench = load_benchmark(labels=cfg.labels)
inputs = load_inputs(bench, cfg, progress=False)
proto = ColdProtocol(bench, cfg)
folds = [f for f in proto.folds() if f.index < 10] if hasattr(proto.folds()[0], "index") else proto.folds()[:10]
groups = bench.drugs["structure_group"].to_numpy()
X = inputs.X_drug


def multihot(sets):
    vocab = {x: i for i, x in enumerate(sorted({x for s in sets for x in s}))}
    M = np.zeros((len(sets), max(len(vocab), 1)), np.float32)
    for i, s in enumerate(sets):
        M[i, [vocab[x] for x in s]] = 1
    return M


channels = [
    (inputs.fingerprints > 0).astype(np.float32),
    ((X - X.mean(0)) / (X.std(0) + 1e-6)).astype(np.float32),
    multihot(inputs.knowledge.atc),
    multihot(inputs.knowledge.targets),
]
S_comb = inputs.similarity({"structure": 1.0, "atc": 2.0, "target": 1.0})
logS = np.log(np.clip(S_comb, 1e-4, None)).astype(np.float32)


class Tower(nn.Module):
    def __init__(self, dims, hidden=64, out=32, dropout=0.3):
        super().__init__()
        self.enc = nn.ModuleList(nn.Sequential(nn.Dropout(dropout), nn.Linear(d, hidden)) for d in dims)
        self.out = nn.Linear(hidden * len(dims), out)
        nn.init.normal_(self.out.weight, std=1e-3)
        nn.init.zeros_(self.out.bias)
        self.beta = nn.Parameter(torch.tensor(2.0))

    def forward(self, xs):
        return self.out(torch.relu(torch.cat([e(x) for e, x in zip(self.enc, xs)], -1)))


def predict(tower, q, f, K_f, pop, a, exclude=None):
    xs = [torch.as_tensor(c) for c in channels]
    z = tower(xs)
    L = tower.beta * torch.as_tensor(logS[np.ix_(q, f)]) + z[q] @ z[f].T
    if exclude is not None:
        L = L.masked_fill(exclude, -1e9)
    W = torch.exp(L - L.max(1, keepdim=True).values.detach())  # scale-free shares
    # shrink: pseudo-weight a relative to the row's max weight
    num = W @ K_f + a * pop
    return num / (W.sum(1, keepdim=True) + a)


def share_np(q, f, K_f, power, pop, a):
    W = np.clip(S_comb[np.ix_(q, f)], 1e-6, None) ** power
    return (W @ K_f + a * pop) / (W.sum(1, keepdims=True) + a)


steps_list = [0, 100, 200, 400, 800]
res = {}
t0 = time.time()
for fi, fold in enumerate(folds):
    sp = proto.split(fold)
    fit, val = sp.fit, sp.val
    K = (sp.R_fit > 0).astype(np.float32)  # mention labels, val/test rows hidden
    Kf = K[fit]
    pop = Kf.mean(0)
    Rv = bench.R[val]
    truths = {"mentions": Rv, "R": np.where(Rv <= MAX_CLASS, Rv, 0)}

    def score(name, P, truths=truths, pop=pop):
        for tn, T in truths.items():
            m = ranking_metrics(P, T, pop)
            res.setdefault((name, tn), []).append(
                [m["assoc_auroc_per_drug"], m["assoc_auroc_strat"], m["assoc_precision_at_10"]]
            )

    for p in (1.0, 2.0):
        score(f"combined all p{p:g} a0", share_np(val, fit, Kf, p, pop, 0.0))
    torch.manual_seed(fi)
    tower = Tower([c.shape[1] for c in channels])
    opt = torch.optim.AdamW(tower.parameters(), 3e-3, weight_decay=1e-2)
    Kf_t, pop_t = torch.as_tensor(Kf), torch.as_tensor(pop)
    same = torch.as_tensor(groups[fit][:, None] == groups[fit][None, :])
    # minibatch of query fit drugs each step, support = all fit drugs minus same group
    rng = np.random.default_rng(fi)
    for step in range(max(steps_list) + 1):
        if step in steps_list:
            tower.eval()
            with torch.no_grad():
                P = predict(tower, val, fit, Kf_t, pop_t, 0.0).numpy()
            score(f"learned s{step}", P)
            tower.train()
        qi = rng.choice(len(fit), 256, replace=False)
        P = predict(tower, fit[qi], fit, Kf_t, pop_t, 0.0, exclude=same[qi])
        loss = nn.functional.binary_cross_entropy(P.clamp(1e-5, 1 - 1e-5), Kf_t[qi])
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"fold {fi} done {time.time() - t0:.0f}s beta={tower.beta.item():.2f}", flush=True)
    if fi + 1 >= int(sys.argv[1] if len(sys.argv) > 1 else 10):
        break
for tn in ("R", "mentions"):
    print(f"\n## truth {tn}: per drug | strat | P@10")
    for (name, t), v in sorted(res.items(), key=lambda kv: -np.mean(kv[1], 0)[0]):
        if t == tn:
            m = np.mean(v, 0)
            print(f"{name:28s} {m[0]:.4f} {m[1]:.4f} {m[2]:.4f}")
