#!/usr/bin/env python
"""Score config candidates on validation labels only (folds from $FOLDS, default 0,1).

Each argument is one candidate: comma-separated overrides, e.g. "train.lr=0.001,model.conv=gat"
("" = the config as it is). $CONFIG picks the base config (default: built-in cold defaults);
CONFIG=configs/warm.yaml gives the warm selection table (validation pairs of each fold). Prints the
mean validation criterion at the best validation epoch. Test labels are never scored: they are
masked before any fitting, as in an experiment. Made docs/results/selection/model_selection.md."""

import os
import sys
import time

import numpy as np

from llmpredgraph.config import load_config
from llmpredgraph.data import load_benchmark
from llmpredgraph.pipeline.features import load_inputs
from llmpredgraph.protocols import fit_on_split, make_protocol

base = os.environ.get("CONFIG")
bench = load_benchmark(load_config(base).data)
for spec in sys.argv[1:]:
    cfg = load_config(base, [s for s in spec.split(",") if s])
    inputs = load_inputs(bench, cfg, progress=False)
    protocol = make_protocol(bench, cfg)
    folds = protocol.folds()
    scores, t = [], time.time()
    for k in [int(x) for x in os.environ.get("FOLDS", "0,1").split(",")]:
        split = protocol.split(folds[k])
        pipe = fit_on_split(protocol, split, inputs, cfg, progress=False)
        scores.append(next(x for x in pipe.history["history"] if x["epoch"] == pipe.history["best_epoch"]))
    mean = lambda key, scores=scores: np.mean([s[key] for s in scores])
    print(
        f"{spec:60s} val={mean('val_score'):.4f} scc={mean('val_dsf_scc'):.3f} hf={mean('val_dshf_auroc'):.3f} "
        f"assoc={mean('val_assoc_auroc_all'):.3f} ep={[s['epoch'] for s in scores]} t={time.time() - t:.0f}",
        flush=True,
    )
