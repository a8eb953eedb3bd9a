#!/usr/bin/env python
"""Score config candidates on validation drugs only (folds from $FOLDS, default 0,1).

Each argument is one candidate: comma-separated overrides, e.g. "train.lr=0.001,model.conv=gat"
("" = the defaults). Prints the mean validation criterion at the best validation epoch.
Made docs/results/model_selection.md; test drugs are never scored."""
import sys, time
from llmpredgraph.config import load_config
from llmpredgraph.data import load_benchmark
from llmpredgraph.experiment.features import load_inputs, fold_features
from llmpredgraph.experiment.splits import cold_folds, carve_validation
from llmpredgraph.graph.build import GraphBuilder
from llmpredgraph.graph.edges import hierarchy_edges
from llmpredgraph.graph.model import build_model
from llmpredgraph.experiment.train import train_link_model
b = load_benchmark()
for spec in sys.argv[1:]:
    cfg = load_config(None, [s for s in spec.split(",") if s])
    inp = load_inputs(b, cfg, progress=False)
    scores = []
    t = time.time()
    for fold in [int(x) for x in __import__("os").environ.get("FOLDS", "0,1").split(",")]:
        tr, _ = cold_folds(b.n_drugs, 10, cfg.seed)[fold]  # test drugs unused
        fit, val = carve_validation(tr, 0.1, fold)
        f = fold_features(inp, b.R, fit, cfg, b.smiles, fold, progress=False)
        builder = GraphBuilder(f.x_drug, f.x_se, b.R, f.S_drug, hierarchy_edges(b.side_effects, b.hierarchy), cfg.graph)
        m = build_model(cfg, f.x_drug.shape[1], f.x_se.shape[1], b.R.shape[1])
        m, h = train_link_model(m, builder, b.R, fit, val, cfg, fold, progress=False)
        best = [x for x in h["history"] if x["epoch"] == h["best_epoch"]][0]
        scores.append(best)
    import numpy as np
    print(f"{spec:60s} val={np.mean([s['val_score'] for s in scores]):.4f} scc={np.mean([s['val_dsf_scc'] for s in scores]):.3f} hf={np.mean([s['val_dshf_auroc'] for s in scores]):.3f} assoc={np.mean([s['val_assoc_auroc_all'] for s in scores]):.3f} ep={[s['epoch'] for s in scores]} t={time.time()-t:.0f}", flush=True)
