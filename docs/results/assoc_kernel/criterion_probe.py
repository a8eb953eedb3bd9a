"""Probe behind docs/results/assoc_kernel (run from the repository root at e6befbb):

    V=A|B|C CRIT=pd|all|strat python docs/results/assoc_kernel/criterion_probe.py FOLDS [n_folds]

V: A own similarity weights, k and power; B the shared similarity, own k and power; C a wider grid.
CRIT: pd per-drug + stratified AUROC; all pooled AUROC; strat stratified alone.

Probe: association's own neighbour knobs (k, power, channel weights), chosen per fold on validation
drugs by the mean of per-drug and stratified AUROC (against the training truth, mentions), vs the
knobs knn_offset_combined shares with its frequency heads. Test drugs scored only at the end."""

import json
import os
import sys
import time

import numpy as np

from llmpredgraph.baselines import neighbour_weights
from llmpredgraph.config import load_config
from llmpredgraph.data import load_benchmark
from llmpredgraph.metrics.functions import rank_auroc, ranking_metrics
from llmpredgraph.pipeline.features import load_inputs
from llmpredgraph.protocols.cold import ColdProtocol

cfg = load_config("configs/cold_quick.yaml")
bench = load_benchmark(labels=cfg.labels)
inputs = load_inputs(bench, cfg, progress=False)
proto = ColdProtocol(bench, cfg)
folds = proto.folds()
FOLDS = sys.argv[1]  # the fold folders of the fast_path run (docs/results/fast_path, re-run at 4cd8a8f)
nf = int(sys.argv[2]) if len(sys.argv) > 2 else 10

V = os.environ.get("V", "A")
ks, powers, w_atcs, w_tgts = [10, 20, 40, 80, 160, 0], [1.0, 2.0, 3.0], [0.5, 1.0, 2.0], [0.0, 0.5, 1.0]
if V == "C":
    ks, powers, w_atcs, w_tgts = [40, 80, 160, 320, 0], [1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 4.0, 8.0], [0.0, 0.5, 1.0]
sims = {(a, t): inputs.similarity({"structure": 1.0, "atc": a, "target": t}) for a in w_atcs for t in w_tgts}
rows = []
t0 = time.time()
for fold in folds[:nf]:
    sp = proto.split(fold)
    fit, val, train, test = sp.fit, sp.val, fold.train, fold.test
    Kfit = (sp.R_fit[fit] > 0).astype(float)
    pop_fit = Kfit.mean(0)
    Rv = sp.R_train[val]
    best, grid = None, []
    info = json.load(open(f"{FOLDS}/fold_{fold.index}/info.json"))
    ch = info["baseline_selection"]["knn_offset_combined"]["chosen"]
    for (a, t), S in sims.items():
        if V == "B" and (a, t) != (ch["w_atc"], ch["w_target"]):
            continue
        for k in ks:
            for p in powers:
                P = neighbour_weights(S, fit, val, k, p) @ Kfit
                m = ranking_metrics(P, Rv, pop_fit)
                crit = (
                    0.5 * (m["assoc_auroc_per_drug"] + m["assoc_auroc_strat"])
                    if os.environ.get("CRIT") != "all"
                    else rank_auroc((Rv > 0).ravel(), P.ravel())
                )
                if os.environ.get("CRIT") == "strat":
                    crit = m["assoc_auroc_strat"]
                grid.append(((a, t, k, p), crit, m["assoc_auroc_per_drug"], m["assoc_auroc_strat"]))
    grid.sort(key=lambda g: -g[1])
    (a, t, k, p), crit = grid[0][0], grid[0][1]
    info = json.load(open(f"{FOLDS}/fold_{fold.index}/info.json"))
    ch = info["baseline_selection"]["knn_offset_combined"]["chosen"]
    base_val = [g for g in grid if g[0] == (ch["w_atc"], ch["w_target"], ch["k"], ch["power"])]
    targets = proto.targets(sp)
    Ktr = (sp.R_train[train] > 0).astype(float)
    new = neighbour_weights(sims[(a, t)], train, test, k, p) @ Ktr
    sc = np.load(f"{FOLDS}/fold_{fold.index}/scores.npz")
    assert (sc["rows"] == test).all()
    out = {}
    for name, assoc in (
        ("graph", sc["graph__assoc"]),
        ("kocomb", sc["knn_offset_combined__assoc"]),
        ("own_knobs", new),
    ):
        pred = {"dsf": sc["graph__dsf"], "dshf": sc["graph__dshf"], "assoc": assoc}
        out[name] = proto.evaluate(targets, pred)
    rows.append(
        {
            "fold": fold.index,
            "chosen": (a, t, k, p),
            "val_crit": crit,
            "base_val": base_val[0][1:] if base_val else None,
            "test": out,
        }
    )
    print(
        fold.index,
        (a, t, k, p),
        f"val {grid[0][2]:.4f}/{grid[0][3]:.4f}",
        "base",
        base_val[0][2:] if base_val else None,
        f"{time.time() - t0:.0f}s",
        flush=True,
    )
keys = [
    f"assoc_{m}{truth}"
    for truth in ("", "_mentions")
    for m in ("auroc", "auroc_per_drug", "auroc_strat", "precision_at_10")
]
for name in ("graph", "kocomb", "own_knobs"):
    v = np.array([[r["test"][name][k] for k in keys] for r in rows])
    print(f"{name:10s}", " ".join(f"{x:.4f}" for x in v.mean(0)))
g = np.array([[r["test"]["graph"][k] for k in keys] for r in rows])
o = np.array([[r["test"]["own_knobs"][k] for k in keys] for r in rows])
print("delta own-graph", " ".join(f"{x:+.4f}" for x in (o - g).mean(0)))
print("min   own-graph", " ".join(f"{x:+.4f}" for x in (o - g).min(0)))
print(keys)
