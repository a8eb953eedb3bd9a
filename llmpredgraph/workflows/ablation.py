"""`ablate`: variants of a base config on identical folds, compared with paired tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from ..atomic import write_text, write_with
from ..config import Config, from_dict, set_path
from ..errors import UserError
from ..reporting.ablation import ablation_markdown, ablation_table, forest_plot
from ..reporting.summary import metrics_frame
from ..runfolder import RunFolder
from .experiment import plan_experiment, run_plans

_OFF_MLP = {"model.message_passing": False, "model.label_propagation": False}
VARIANTS: dict[str, dict] = {
    "base": {},
    "no_message_passing": _OFF_MLP,
    "no_label_propagation": {"model.label_propagation": False},
    "no_neighbour_offsets": {"model.neighbour_offsets": False},
    "knn_by_embedding": {"graph.knn_similarity": "embedding"},
    "no_drug_knn": {"graph.drug_knn.enabled": False},
    "no_se_hierarchy": {"graph.se_hierarchy": False},
    "no_se_cooc": {"graph.se_cooc.enabled": False},
    "conv_sage": {"model.conv": "sage"},
    "conv_gat": {"model.conv": "gat"},
    "conv_graph": {"model.conv": "graph"},
    "depth_1": {"model.layers": 1},
    "depth_2": {"model.layers": 2},
    "depth_3": {"model.layers": 3},
    "no_contrastive": {"contrastive.enabled": False},
    "only_cosent": {"contrastive.losses": {"cosent": 1.0, "mnrl": 0.0, "angle": 0.0}},
    "only_mnrl": {"contrastive.losses": {"cosent": 0.0, "mnrl": 1.0, "angle": 0.0}},
    "only_angle": {"contrastive.losses": {"cosent": 0.0, "mnrl": 0.0, "angle": 1.0}},
    "no_cosent": {"contrastive.losses.cosent": 0.0},
    "no_mnrl": {"contrastive.losses.mnrl": 0.0},
    "no_angle": {"contrastive.losses.angle": 0.0},
    "mode_projection": {"contrastive.mode": "projection"},
    "mode_lora": {"contrastive.mode": "lora"},
    "mode_full": {"contrastive.mode": "full"},
    "fingerprint_encoder": {"encoders.drug.kind": "fingerprint"},
    "onehot_side_effects": {"encoders.side_effect.kind": "onehot"},
    # drug knowledge (issue: knowledge channels); each adds one channel to the base
    "knn_combined": {"graph.knn_similarity": "combined"},
    "knn_combined_no_targets": {"graph.knn_similarity": "combined", "graph.knn_weights.target": 0.0},
    "atc_nodes": {"graph.atc_nodes": True},
    "protein_nodes": {"graph.protein_nodes": True},
    "knowledge_nodes": {"graph.atc_nodes": True, "graph.protein_nodes": True},
    "drug_text": {"encoders.drug.add_text": True},
    "drug_text_unguarded": {"encoders.drug.add_text": True, "encoders.drug.text": "full"},
    # each channel off, for a base that uses them all (configs/cold_knowledge_full.yaml)
    "no_text": {"encoders.drug.add_text": False},
    "no_atc": {"graph.knn_weights.atc": 0.0, "graph.atc_nodes": False},
    "no_targets": {"graph.knn_weights.target": 0.0, "graph.protein_nodes": False},
    "no_structure_similarity": {"graph.knn_weights.structure": 0.0},
}
REQUIRED = ["no_message_passing", "no_drug_knn", "no_contrastive", "fingerprint_encoder"]
KNOWLEDGE_OFF = [
    "no_text",
    "no_atc",
    "no_targets",
    "no_structure_similarity",
    "drug_text_unguarded",
    "no_message_passing",
]
KNOWLEDGE = [
    "knn_combined",
    "knn_combined_no_targets",
    "atc_nodes",
    "protein_nodes",
    "knowledge_nodes",
    "drug_text",
    "drug_text_unguarded",
]

SETS = {"required": REQUIRED, "knowledge": KNOWLEDGE, "knowledge_off": KNOWLEDGE_OFF}


def resolve_variants(names: list[str], grid: str | None) -> dict[str, dict]:
    """base plus the named variants and the grid's; with neither, the 'required' set."""
    names = names or ([] if grid else ["required"])
    chosen: dict[str, dict] = {}
    if grid:
        data = yaml.safe_load(Path(grid).read_text()) if Path(grid).is_file() else None
        if not isinstance(data, dict) or not isinstance(data.get("variants"), dict):
            raise UserError(
                f"ablation grid {grid} must be a YAML mapping with a 'variants' mapping of name -> overrides",
                "see configs/grids/ablation.yaml",
            )
        chosen.update({str(k): dict(v or {}) for k, v in data["variants"].items()})
    for n in names:
        if n == "all":
            chosen.update(VARIANTS)
        elif n in SETS:
            chosen.update({k: VARIANTS[k] for k in SETS[n]})
        elif n in VARIANTS:
            chosen[n] = VARIANTS[n]
        else:
            sets = ", ".join(["all", *SETS])
            raise UserError(f"unknown ablation variant {n!r}", f"choose from: {sets}, {', '.join(VARIANTS)}")
    chosen.pop("base", None)
    return {"base": {}, **chosen}


def variant_config(base: Config, overrides: dict) -> Config:
    """The base with `overrides`, measuring the graph model only: no plain MLP and no baselines, except
    the one the prior is tuned by (`model.prior.tuned_by`), whose per-fold knob choice *is* the prior."""
    data = base.dump()
    data["protocol"]["with_mlp"] = False
    for key, value in overrides.items():
        set_path(data, key, value)
    if not any(key.split(".")[0] == "baselines" for key in overrides):
        tuned = data["model"]["prior"].get("tuned_by")
        data["baselines"] = [b for b in data["baselines"] if b == tuned]
    kept = set(data["baselines"])
    data["selection"]["baselines"] = {k: v for k, v in data["selection"]["baselines"].items() if k in kept}
    return from_dict(data, f"ablation variant {overrides}")


def run_ablation(
    base: Config,
    variants: dict[str, dict],
    out: str | Path,
    resume: bool = True,
    progress: bool = True,
    executor=None,
) -> pd.DataFrame:
    """Every variant on the base's folds; with a Ray executor every (variant, fold) is one task."""
    out = Path(out)
    plans = {
        name: plan_experiment(
            variant_config(base, ov).model_copy(update={"name": f"{base.name}-{name}"}), out / name, resume=resume
        )
        for name, ov in variants.items()
    }
    run_plans(list(plans.values()), executor, progress)
    per_variant = {}
    for name, plan in plans.items():
        df = metrics_frame(RunFolder(plan.out).fold_metrics())
        df.insert(1, "repeat", df["fold"] // base.protocol.folds)
        per_variant[name] = df[df["method"] == "graph"].assign(method=name)
    table = ablation_table(pd.concat(per_variant.values(), ignore_index=True), base.protocol.folds)
    write_with(out / "ablation.csv", lambda p: table.to_csv(p, index=False))
    write_text(out / "ablation.md", ablation_markdown(table, variants, base.name))
    forest_plot(table, out / "ablation_forest.png")
    return table
