"""`ablate`: variants of a base config on identical folds, compared with paired tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..atomic import write_text, write_with
from ..config import Config, from_dict, set_path
from ..errors import UserError
from .metrics import LOWER_IS_BETTER
from .report import metrics_frame, paired_wilcoxon
from .runner import load_fold_metrics, run_experiment

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
}
REQUIRED = ["no_message_passing", "no_drug_knn", "no_contrastive", "fingerprint_encoder"]
METRICS = ["dsf_scc", "dsf_rmse", "dshf_auroc", "dshf_auprc", "assoc_auroc", "assoc_auroc_all"]


def resolve_variants(names: list[str], grid: str | None) -> dict[str, dict]:
    chosen: dict[str, dict] = {}
    if grid:
        data = yaml.safe_load(Path(grid).read_text()) if Path(grid).is_file() else None
        if not isinstance(data, dict) or not isinstance(data.get("variants"), dict):
            raise UserError(f"ablation grid {grid} must be a YAML mapping with a 'variants' mapping of name -> overrides", "see docs/ablation_grid.yaml")
        chosen.update({str(k): dict(v or {}) for k, v in data["variants"].items()})
    for n in names:
        if n == "all":
            chosen.update(VARIANTS)
        elif n == "required":
            chosen.update({k: VARIANTS[k] for k in REQUIRED})
        elif n in VARIANTS:
            chosen[n] = VARIANTS[n]
        else:
            raise UserError(f"unknown ablation variant {n!r}", f"choose from: all, required, {', '.join(VARIANTS)}")
    chosen.pop("base", None)
    return {"base": {}, **chosen}


def variant_config(base: Config, overrides: dict) -> Config:
    data = base.dump()
    data["protocol"]["with_mlp"] = False
    data["baselines"] = []
    for key, value in overrides.items():
        set_path(data, key, value)
    return from_dict(data, f"ablation variant {overrides}")


def run_ablation(base: Config, variants: dict[str, dict], out: str | Path, resume: bool = True, progress: bool = True) -> pd.DataFrame:
    out = Path(out)
    per_variant = {}
    for name, ov in variants.items():
        cfg = variant_config(base, ov).model_copy(update={"name": f"{base.name}-{name}"})
        folder = run_experiment(cfg, out / name, resume=resume, progress=progress)
        df = metrics_frame(load_fold_metrics(folder))
        per_variant[name] = df[df["method"] == "graph"].assign(method=name)
    table = ablation_table(pd.concat(per_variant.values(), ignore_index=True))
    write_with(out / "ablation.csv", lambda p: table.to_csv(p, index=False))
    write_text(out / "ablation.md", ablation_markdown(table, variants, base))
    forest_plot(table, out / "ablation_forest.png")
    return table


def ablation_table(df: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for name in dict.fromkeys(df["method"]):
        row = {"variant": name}
        for m in METRICS:
            vals = df[df["method"] == name].set_index("fold")[m]
            base = df[df["method"] == "base"].set_index("fold")[m]
            common = vals.index.intersection(base.index)
            row[f"{m}_mean"], row[f"{m}_sd"] = vals.mean(), vals.std(ddof=1) if len(vals) > 1 else 0.0
            diff = vals[common] - base[common]
            row[f"{m}_delta"] = float(diff.mean())
            row[f"{m}_delta_sd"] = float(diff.std(ddof=1)) if len(diff) > 1 else 0.0
            row[f"{m}_p"] = paired_wilcoxon(pd.concat([df[df["method"] == "base"], df[df["method"] == name]]), name, "base", m) if name != "base" else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def ablation_markdown(table: pd.DataFrame, variants: dict, base: Config) -> str:
    lines = [f"# Ablation of `{base.name}`", "", "Each cell: mean ± sd over folds; Δ = variant minus base (paired by fold); p = two-sided paired Wilcoxon.", ""]
    lines.append("| variant | overrides | " + " | ".join(METRICS) + " |")
    lines.append("|---|---|" + "---|" * len(METRICS))
    for r in table.itertuples(index=False):
        r = r._asdict()
        cells = []
        for m in METRICS:
            cell = f"{r[m + '_mean']:.3f} ± {r[m + '_sd']:.3f}"
            if r["variant"] != "base":
                p = r[m + "_p"]
                cell += f" (Δ {r[m + '_delta']:+.3f}, p={p:.2g})" if np.isfinite(p) else f" (Δ {r[m + '_delta']:+.3f})"
            cells.append(cell)
        ov = ", ".join(f"{k}={v}" for k, v in variants.get(r["variant"], {}).items()) or "—"
        lines.append(f"| {r['variant']} | {ov} | " + " | ".join(cells) + " |")
    lines += ["", f"Lower is better for: {', '.join(sorted(LOWER_IS_BETTER & set(METRICS)))}."]
    return "\n".join(lines) + "\n"


def forest_plot(table: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = ["dsf_scc", "dshf_auroc", "assoc_auroc"]
    t = table[table["variant"] != "base"]
    fig, axes = plt.subplots(1, len(keys), figsize=(4.2 * len(keys), 0.45 * len(t) + 1.5), sharey=True, squeeze=False)
    y = np.arange(len(t))
    for ax, m in zip(axes[0], keys):
        ax.errorbar(t[f"{m}_delta"], y, xerr=t[f"{m}_delta_sd"], fmt="o", capsize=3)  # sd of paired deltas
        ax.axvline(0, c="grey", ls=":")
        ax.set(title=f"Δ {m} vs base", yticks=y, yticklabels=t["variant"])
    axes[0, 0].invert_yaxis()
    write_with(path, lambda p: (fig.savefig(p, dpi=110, bbox_inches="tight", format="png"), plt.close(fig)))
