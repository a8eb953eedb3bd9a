#!/usr/bin/env python
"""`predict` latency on this machine: the whole process as a user runs it, where its start-up goes
(imports, model folder, language model), and the in-process time per molecule once loaded; writes
docs/speed_predict.md/.json. Run it alone on the machine. Usage:
    python scripts/speed_predict.py --model models/default [--repeats 5]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import click
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).parent / "llmpredgraph")
# oxymorphone (not in the benchmark): predict finds its DrugBank entry by name, as a user's run would
SMILES, NAME = "CN1CCC23C4C1CC5=C2C(=C(C=C5)O)OC3C(=O)CC4", "oxymorphone"

# One child process: each phase of start-up timed in the order predict meets it.
PHASES = """
import json, sys, time
t = [time.perf_counter()]
import torch; t.append(time.perf_counter())
import torch_geometric; t.append(time.perf_counter())
import transformers; t.append(time.perf_counter())
from llmpredgraph.workflows.predict import predict_command; t.append(time.perf_counter())
from llmpredgraph.pipeline.fitted import Pipeline
pipe = Pipeline.load(sys.argv[1]); t.append(time.perf_counter())
enc = pipe.drug_encoder()
enc.model if enc.runtime == "torch" else enc.encode(["CCO"]); t.append(time.perf_counter())
names = ["torch", "torch_geometric (beyond torch)", "transformers (beyond both)", "llmpredgraph and the rest",
         "model folder", "SMILES encoder (torch weights, or the ONNX session)"]
print(json.dumps({n: b - a for n, a, b in zip(names, t, t[1:])}))
"""


def process_wall(model: str, repeats: int, *flags: str) -> list[float]:
    """Wall seconds of `llmpredgraph predict --smiles ... --name ...`, one process each."""
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        cmd = [CLI, "predict", "--model", model, "--smiles", SMILES, "--name", NAME, "--top", "10", *flags]
        subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
        out.append(time.perf_counter() - t0)
    return out


def served_wall(model: str, repeats: int) -> tuple[float, list[float]]:
    """(seconds until `serve` is ready, wall seconds of each predict process it answers)."""
    t0 = time.perf_counter()
    server = subprocess.Popen(
        [CLI, "serve", "--model", model, "--idle-minutes", "5"], cwd=ROOT, stderr=subprocess.PIPE, text=True
    )
    try:
        line = server.stderr.readline()
        if not line.startswith("serving"):
            raise SystemExit(f"serve did not start: {line}")
        ready = time.perf_counter() - t0
        return ready, process_wall(model, repeats)
    finally:
        server.terminate()
        server.wait()


def in_process(model: str, repeats: int) -> dict:
    """Seconds per molecule with the model loaded: one SMILES at a time, and 100 in one call."""
    from llmpredgraph.data.corpora import corpus_smiles
    from llmpredgraph.pipeline.fitted import Pipeline

    pipe = Pipeline.load(model)
    pipe.predict_molecules([SMILES])  # loads the language model
    one = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        pipe.predict_molecules([SMILES])
        one.append(time.perf_counter() - t0)
    batch = corpus_smiles("moses", limit=100)
    t0 = time.perf_counter()
    pipe.predict_molecules(batch)
    return {"one_molecule_s": float(np.median(one)), "per_molecule_in_100_s": (time.perf_counter() - t0) / 100}


@click.command()
@click.option("--model", default="models/default", show_default=True, help="A cold model folder (`train`).")
@click.option("--repeats", default=5, show_default=True, help="Processes (and in-process calls) timed.")
@click.option("--out", default="docs/speed_predict", show_default=True, help="Prefix of the .md and .json.")
def main(model, repeats, out):
    from llmpredgraph.atomic import write_json, write_text

    walls = process_wall(model, repeats, "--no-server")
    ready, served = served_wall(model, repeats)
    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", PHASES, model], cwd=ROOT, check=True, capture_output=True, text=True
            ).stdout
        )
        for _ in range(repeats)
    ]
    phases = {k: float(np.median([r[k] for r in runs])) for k in runs[0]}
    result = {
        "machine": {"cores": os.cpu_count()},
        "model": model,
        "process_wall_s": walls,
        "process_wall_median_s": float(np.median(walls)),
        "serve_ready_s": ready,
        "served_process_wall_s": served,
        "served_process_wall_median_s": float(np.median(served)),
        "start_up_phases_median_s": phases,
        "in_process": in_process(model, repeats),
    }
    write_json(ROOT / f"{out}.json", result)
    write_text(ROOT / f"{out}.md", render(result, repeats))
    print(f"wrote {out}.md and {out}.json")


def render(r: dict, repeats: int) -> str:
    ph, ip = r["start_up_phases_median_s"], r["in_process"]
    lines = [
        "# `predict` latency",
        "",
        f"Machine: {r['machine']['cores']} cores. Model: `{r['model']}`. Produced by "
        f"`python scripts/speed_predict.py --model {r['model']}` (medians of {repeats}).",
        "",
        "| measure | seconds | target |",
        "|---|---|---|",
        f"| `predict --smiles ... --name {NAME}`, whole process | {r['process_wall_median_s']:.2f} | ≤ 3 |",
        f"| the same, answered by a running `llmpredgraph serve` | {r['served_process_wall_median_s']:.2f} | ≤ 3 |",
        f"| `serve`: start until ready (once) | {r['serve_ready_s']:.2f} | |",
        f"| in process, one molecule (model loaded) | {ip['one_molecule_s']:.3f} | ≤ 0.1 |",
        f"| in process, per molecule of 100 in one call | {ip['per_molecule_in_100_s']:.4f} | |",
        "",
        "Where a process's start-up goes (each phase in a fresh process, in the order predict meets it):",
        "",
        "| phase | seconds |",
        "|---|---|",
        *[f"| {k} | {v:.2f} |" for k, v in ph.items()],
        f"| **sum** | **{sum(ph.values()):.2f}** |",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
