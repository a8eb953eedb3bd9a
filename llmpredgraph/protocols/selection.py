"""Nested selection: each outer fold picks its own configuration on validation labels carved from
its own training part, for the models (declared candidates) and the baselines (knob grids) alike."""

from __future__ import annotations

import itertools
import json
from typing import Any

from ..config import Config, from_dict, set_path
from ..errors import UserError

LOCKED = ("protocol", "selection", "baselines", "seed", "data", "name", "threads")  # a candidate cannot change these


def candidate_configs(cfg: Config) -> dict[str, Config]:
    """name -> the full config of each declared candidate (the base config alone when none)."""
    if not cfg.selection.candidates:
        return {"default": cfg}
    out = {}
    for name, overrides in cfg.selection.candidates.items():
        bad = [k for k in overrides if k.split(".")[0] in LOCKED]
        if bad:
            raise UserError(
                f"selection candidate {name!r} overrides {bad[0]}, which is fixed for every candidate",
                "candidates may change encoders, contrastive, graph, model and train keys only",
            )
        data = cfg.dump()
        for key, value in overrides.items():
            set_path(data, key, value)
        out[name] = from_dict(data, f"selection candidate {name!r}")
    return out


def effective_key(cfg: Config, uses_graph: bool) -> str:
    """Candidates that differ only in graph keys train the same plain MLP: it is trained once."""
    data = cfg.dump()
    for k in LOCKED:
        data.pop(k, None)
    if not uses_graph:
        data.pop("graph", None)
    return json.dumps(data, sort_keys=True)


def feature_key(cfg: Config) -> str:
    """Candidates that share encoders, contrastive stage and kNN similarity share one fold's features."""
    g = cfg.graph
    return json.dumps(
        [cfg.encoders.model_dump(), cfg.contrastive.model_dump(), g.knn_similarity, g.knn_weights.model_dump()],
        sort_keys=True,
    )


# baseline knob -> the model config key it sets when model.prior.tuned_by names the baseline
PRIOR_KNOBS = {
    "k": "model.prior.k",
    "power": "model.prior.power",
    "lam": "model.prior.bias_shrink",
    "shrink": "model.prior.resid_shrink",
    "w_atc": "graph.knn_weights.atc",
    "w_target": "graph.knn_weights.target",
    "w_fp": "encoders.drug.structure_others",
    "assoc_k": "model.prior.assoc_k",
    "assoc_power": "model.prior.assoc_power",
}
# knobs of association's own neighbour kernel: chosen after the others, holding them, by the
# association criterion (`metrics.functions.association_criterion`), since they move that head only
ASSOC_KNOBS = ("assoc_k", "assoc_power")


def tuned_prior(cfg: Config, chosen: dict[str, dict[str, Any]]) -> Config:
    """cfg with the neighbour prior set from the knobs that nested selection chose for the baseline
    named by model.prior.tuned_by (chosen: baseline -> knobs), so the graph model's prior is that
    baseline's prediction on this fold; knobs the baseline's grid does not tune keep cfg's values."""
    name = cfg.model.prior.tuned_by
    if name is None or not chosen.get(name):
        return cfg
    data = cfg.dump()
    for knob, value in chosen[name].items():
        if knob in PRIOR_KNOBS:
            set_path(data, PRIOR_KNOBS[knob], value)
    return from_dict(data, f"prior tuned by {name}")


def baseline_grid(cfg: Config, name: str, assoc: bool = False) -> list[dict[str, Any]]:
    """Every knob setting to try for a baseline ([{}] when it has no grid): of its knobs but
    association's own kernel (`ASSOC_KNOBS`), or with assoc=True of those alone."""
    grid = {k: v for k, v in cfg.selection.baselines.get(name, {}).items() if (k in ASSOC_KNOBS) == assoc}
    keys = list(grid)
    return [dict(zip(keys, values)) for values in itertools.product(*(grid[k] for k in keys))] or [{}]
