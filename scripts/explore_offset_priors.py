#!/usr/bin/env python
"""Validation-drug exploration behind `model.neighbour_offsets` (docs/results/selection/model_selection.md).

For each cold fold (seed 0), the fold's validation drugs (10% of its training drugs; test drugs are
never read) are scored by non-parametric predictors fitted on the fit drugs:
- DSF: mu + b_se + mean ridge drug offset of the k nearest fit drugs (+ their shrunk residual);
- association (all unknown pairs): popularity scaled by the neighbours' degree, plus neighbour share.
Prints mean ± sd over the 10 folds' validation sets, best first."""

import numpy as np
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

from llmpredgraph.baselines import additive_bias
from llmpredgraph.config import load_config
from llmpredgraph.data import load_benchmark
from llmpredgraph.graph.similarity import cosine_matrix
from llmpredgraph.pipeline.features import load_inputs
from llmpredgraph.protocols.splits import carve_validation, cold_folds

b = load_benchmark()
R = b.R
inp = load_inputs(b, load_config(None), progress=False)
T = inp.tanimoto
Xs = (inp.X_drug - inp.X_drug.mean(0)) / (inp.X_drug.std(0) + 1e-6)
C = cosine_matrix(Xs)
sims = {"tan": T, "both": (T + C) / 2, "cos": C}
res = {}
for fold in range(10):
    tr, _ = cold_folds(b.n_drugs, 10, 0)[fold]
    fit, val = carve_validation(tr, 0.1, fold)
    Rf = R[fit].astype(float)
    K = Rf > 0
    r, c = np.nonzero(R[val])
    y = R[val][r, c]
    hi = y >= 4

    def scc(P, y=y, r=r, c=c):
        return spearmanr(y, P[r, c])[0]

    out = {}
    for lam_b in (2.0, 5.0, 20.0):
        mu, bd, bs = additive_bias(Rf, K, lam=lam_b)
        resid = np.where(K, Rf - mu - bd[:, None] - bs[None, :], 0)
        for sname, Sfull in sims.items():
            S = Sfull[np.ix_(val, fit)]
            for k in (5, 10, 20):
                nbr = np.argsort(-S, 1)[:, :k]
                W = np.take_along_axis(S, nbr, 1).clip(1e-6)
                Wn = W / W.sum(1, keepdims=True)
                off = (Wn * bd[nbr]).sum(1)
                for beta in (1.0, 1.5):
                    base = mu + bs[None] + beta * off[:, None]
                    out[f"off lamb{lam_b} {sname} k{k} beta{beta}"] = scc(base)
                    if k == 10 and beta == 1.0:
                        has = (W[:, :, None] * K[nbr]).sum(1)
                        rs = (W[:, :, None] * resid[nbr]).sum(1)
                        for lam in (0.5, 1.0, 2.0):
                            out[f"off+resid lamb{lam_b} {sname} k{k} shrink{lam}"] = scc(
                                base + rs / (has + lam * W.sum(1, keepdims=True))
                            )
    for kk, v in out.items():
        res.setdefault(kk, []).append(v)
for kk, v in sorted(res.items(), key=lambda x: -np.mean(x[1]))[:30]:
    print(f"{np.mean(v):.4f} ± {np.std(v):.3f}  {kk}")

# association, all unknown pairs of the validation drugs

res = {}
for fold in range(10):
    tr, _ = cold_folds(b.n_drugs, 10, 0)[fold]
    fit, val = carve_validation(tr, 0.1, fold)
    K = (R[fit] > 0).astype(float)
    y = (R[val] > 0).ravel()
    pop, deg = K.mean(0), K.sum(1)
    out = {"pop": roc_auc_score(y, np.tile(pop, (len(val), 1)).ravel())}
    for sname, Sf in sims.items():
        S = Sf[np.ix_(val, fit)]
        for k in (10, 20):
            nbr = np.argsort(-S, 1)[:, :k]
            W = np.take_along_axis(S, nbr, 1).clip(1e-6)
            W = W / W.sum(1, keepdims=True)
            nbdeg = (W * deg[nbr]).sum(1) / deg.mean()
            has = np.einsum("qk,qks->qs", W, K[nbr])
            out[f"pop*nbdeg {sname} k{k}"] = roc_auc_score(y, (pop[None] * nbdeg[:, None]).ravel())
            out[f"has+2pop*nbdeg {sname} k{k}"] = roc_auc_score(y, (has + 2 * pop[None] * nbdeg[:, None]).ravel())
    for kk, v in out.items():
        res.setdefault(kk, []).append(v)
print("\nassociation AUROC (all unknown pairs of validation drugs)")
for kk, v in sorted(res.items(), key=lambda x: -np.mean(x[1]))[:10]:
    print(f"{np.mean(v):.4f} ± {np.std(v):.3f}  {kk}")
