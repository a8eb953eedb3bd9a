#!/usr/bin/env python
"""Measure wall time and peak RSS of the main steps on the real data; write docs/speed.md/.json.

Each step runs in its own Python process so its peak RSS is its own. Usage:
    python scripts/speed_main.py [--config configs/cold.yaml] [--full] [--model models/default]
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).parent / "llmpredgraph")
# nirmatrelvir (2021), not in the benchmark
NEW_SMILES = "CC1(C2C1C(N(C2)C(=O)C(C(C)(C)C)NC(=O)C(F)(F)F)C(=O)NC(CC3CCNC3=O)C#N)C"


def _child(code: str) -> dict:
    """Run python code that prints one JSON line; add the child's wall time and peak RSS."""
    t0 = time.perf_counter()
    wrapped = (
        code
        + "\nimport resource, json as _j; "
        + "print('@@' + _j.dumps({'rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, **__result}))"
    )
    proc = subprocess.run([sys.executable, "-c", wrapped], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:  # recorded, so one failing step (e.g. killed for memory) loses no other figure
        why = "killed (likely out of memory)" if proc.returncode < 0 else proc.stderr.strip().splitlines()[-1][:200]
        return {"error": f"exit {proc.returncode}: {why}", "process_wall_s": time.perf_counter() - t0}
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("@@")][-1]
    return {**json.loads(line[2:]), "process_wall_s": time.perf_counter() - t0}


def _step(name: str, config: str, overrides: list[str]) -> dict:
    return _child(f"from llmpredgraph.speed.steps import STEPS\n__result = STEPS[{name!r}]({config!r}, {overrides!r})")


def machine() -> dict:
    import torch

    return {
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "device": "cuda" if torch.cuda.is_available() else "cpu",
        "cpu": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "torch": torch.__version__,
    }


@click.command()
@click.option("--config", default="configs/cold.yaml", show_default=True)
@click.option(
    "--model",
    "model_dir",
    default=None,
    help="Model folder for predict timings (default: train one into models/bench).",
)
@click.option("--full", is_flag=True, help="Also time the full 10-fold cold experiment (long).")
@click.option("--modes", default="projection,lora,full", show_default=True, help="Contrastive modes to time.")
@click.option("--out", default="docs/benchmarks", show_default=True, help="Prefix of the .md and .json outputs.")
def main(config, model_dir, full, modes, out):
    results = {"machine": machine(), "steps": {}}
    s = results["steps"]
    print("machine:", results["machine"], flush=True)
    s["embed"] = _step("embed", config, [])
    print("embed", s["embed"], flush=True)
    for mode in [m for m in modes.split(",") if m]:
        s[f"contrastive_{mode}"] = _step("contrastive", config, [f"contrastive.mode={mode}"])
        print(mode, s[f"contrastive_{mode}"], flush=True)
    s["fold"] = _step("fold", config, [])
    print("fold", s["fold"], flush=True)
    if model_dir is None:
        model_dir = "models/bench"
        subprocess.run([CLI, "train", "--config", config, "--out", model_dir, "--quiet"], cwd=ROOT, check=True)
    t0 = time.perf_counter()
    subprocess.run(
        [CLI, "predict", "--model", model_dir, "--smiles", NEW_SMILES, "--top", "5"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    s["predict_cold_process"] = {"wall_s": time.perf_counter() - t0}
    s["predict_warm"] = _child(
        f"from llmpredgraph.speed.steps import predict_warm\n__result = predict_warm({model_dir!r}, {NEW_SMILES!r})"
    )
    print("predict", s["predict_cold_process"], s["predict_warm"], flush=True)
    if full:
        t0 = time.perf_counter()
        s["full_experiment"] = _child(
            "from llmpredgraph.config import load_config\n"
            "from llmpredgraph.workflows.experiment import run_experiment\n"
            f"run_experiment(load_config({config!r}), 'runs/bench-full', overwrite=True, progress=False)\n"
            "__result = {}"
        )
        s["full_experiment"]["wall_s"] = time.perf_counter() - t0
        print("full", s["full_experiment"], flush=True)
    from llmpredgraph.atomic import write_json, write_text

    write_json(ROOT / f"{out}.json", results)
    write_text(ROOT / f"{out}.md", render(results, config, full))
    print(f"wrote {out}.md and {out}.json")


def render(r: dict, config: str, full: bool) -> str:
    m, s = r["machine"], r["steps"]
    f = s["fold"]
    mach = (
        f"{m['cores']} cores, {m['torch_threads']} torch threads, device {m['device']} ({m['cpu']}, torch {m['torch']})"
    )
    rows = [
        ("embed all drugs + side effects, cold cache", s["embed"]["embed_cold_cache_s"], s["embed"]["rss_mb"]),
        ("embed all drugs + side effects, warm cache", s["embed"]["embed_warm_cache_s"], s["embed"]["rss_mb"]),
    ]
    for k, v in s.items():
        if k.startswith("contrastive_") and "error" in v:
            rows.append(
                (f"contrastive stage, {k.split('_', 1)[1]} mode: FAILED ({v['error']})", float("nan"), float("nan"))
            )
        elif k.startswith("contrastive_"):
            mode = k.split("_", 1)[1]
            rows.append(
                (
                    f"contrastive stage, {mode} mode, one fold ({v['steps']} steps)",
                    v[f"contrastive_{mode}_s"],
                    v["rss_mb"],
                )
            )
    rows += [
        ("one fold: features (contrastive projection)", f["features_s"], f["rss_mb"]),
        ("one fold: graph model training (total)", f.get("graph_train_s", float("nan")), f["rss_mb"]),
        ("one graph training epoch (incl. validation every 5)", f.get("graph_s_per_epoch", float("nan")), f["rss_mb"]),
        ("one fold: plain MLP training (total)", f.get("mlp_train_s", float("nan")), f["rss_mb"]),
        ("one fold: kNN fingerprint baseline", f["knn_fp_s"], f["rss_mb"]),
        ("one fold: side-effect mean baseline", f["se_mean_s"], f["rss_mb"]),
        ("one full fold (everything)", f["fold_total_s"], f["rss_mb"]),
        ("predict one new SMILES, cold process start", s["predict_cold_process"]["wall_s"], float("nan")),
        (
            "predict one new SMILES, warm (model loaded)",
            s["predict_warm"]["predict_warm_s"],
            s["predict_warm"]["rss_mb"],
        ),
    ]
    if full:
        rows.append(("full 10-fold cold experiment", s["full_experiment"]["wall_s"], s["full_experiment"]["rss_mb"]))
    lines = [
        "# Benchmarks",
        "",
        f"Machine: {mach}.",
        "",
        "Produced by:",
        "",
        f"```\npython scripts/speed_main.py --config {config}{' --full' if full else ''}\n```",
        "",
        "| step | wall time (s) | peak RSS of its process (MB) |",
        "|---|---|---|",
    ]
    lines += [
        f"| {name} | {t:.2f} | {rss:.0f} |" if rss == rss else f"| {name} | {t:.2f} | — |" for name, t, rss in rows
    ]
    lines += ["", "Peak RSS is the maximum resident set of the process that ran the step (model loading included)."]
    if "graph_train_s" in f and "mlp_train_s" in f:
        lines += [
            "",
            f"Ratios in the same run: graph / plain-MLP training time = {f['graph_train_s'] / f['mlp_train_s']:.2f}; "
            f"graph training / kNN baseline = {f['graph_train_s'] / max(f['knn_fp_s'], 1e-9):.0f}.",
        ]
    lines += ["", "Absolute times are not comparable across machines; ratios are."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
