#!/usr/bin/env python
"""`predict` and `serve` on this machine: a fresh `predict` process (torch-free, and through torch
for comparison), where its start-up goes, one molecule through a running server over HTTP, the
server under 8 concurrent clients, and the torch-free scores against torch's on every benchmark
drug; writes docs/speed_predict.md/.json. Run it alone on the machine. Usage:
    python scripts/speed_predict.py --model models/default [--repeats 5]
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import click
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).parent / "llmpredgraph")
# oxymorphone (not in the benchmark): predict finds its DrugBank entry by name, as a user's run would
SMILES, NAME = "CN1CCC23C4C1CC5=C2C(=C(C=C5)O)OC3C(=O)CC4", "oxymorphone"
POOL = [  # the load test's molecules (drug-like, none needs DrugBank)
    SMILES,
    "CC(C)Cc1ccc(cc1)C(C)C(=O)O",
    "CC(=O)Oc1ccccc1C(=O)O",
    "CN1C=NC2=C1C(=O)N(C(=O)N2C)C",
    "CCN(CC)CC(=O)Nc1c(C)cccc1C",
    "COc1ccc2[nH]cc(CCN(C)C)c2c1",
    "Clc1ccc(cc1)C(c1ccccc1)N1CCN(CC1)CCOCC(=O)O",
    "CC(C)NCC(O)COc1cccc2ccccc12",
]

# One child process: each phase of start-up timed in the order predict meets it.
PHASES = """
import json, sys, time
t = [time.perf_counter()]
from llmpredgraph.workflows.predict import predict_command; t.append(time.perf_counter())
from llmpredgraph.pipeline.loading import load_predictor
pipe = load_predictor(sys.argv[1]); t.append(time.perf_counter())
pipe.drug_encoder().encode(["CCO"]); t.append(time.perf_counter())
pipe.predict_molecules([sys.argv[2]]); t.append(time.perf_counter())
names = ["imports (llmpredgraph, numpy, pandas, RDKit, ONNX Runtime)", "model folder (arrays, names)",
         "SMILES encoder (tokenizer and ONNX session, first call)", "first molecule"]
heavy = [m for m in ("torch", "torch_geometric", "transformers") if m in sys.modules]
print(json.dumps({"phases": {n: b - a for n, a, b in zip(names, t, t[1:])}, "heavy_imports": heavy}))
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


def post(url: str, body: dict) -> tuple[float, dict]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    t0 = time.perf_counter()
    with urllib.request.urlopen(req, timeout=600) as r:
        out = json.loads(r.read())
    return time.perf_counter() - t0, out


def load_test(url: str, clients: int = 8, requests: int = 200) -> dict:
    """`clients` threads x `requests` each, every fifth a batch of 5 molecules: latency per kind,
    requests per second, replies checked against the molecules asked for."""
    lat: dict[str, list[float]] = {"single": [], "batch of 5": []}
    lost = []

    def client(c: int):
        rng = np.random.default_rng(c)
        for r in range(requests):
            pick = [POOL[i] for i in rng.choice(len(POOL), 5 if r % 5 == 0 else 1, replace=False)]
            try:
                s, out = post(url + "/predict", {"smiles": pick, "top": 3})
            except OSError as e:
                lost.append(str(e))
                continue
            if [x["molecule"] for x in out["rows"][::3]] != pick:
                lost.append(f"client {c} request {r}: another molecule's reply")
            lat["batch of 5" if len(pick) > 1 else "single"].append(s)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    q = lambda v, p: float(np.percentile(v, p)) if v else None  # noqa: E731
    return {
        "clients": clients,
        "requests": clients * requests,
        "wall_s": wall,
        "requests_per_s": clients * requests / wall,
        "lost_or_mixed": len(lost),
        "latency_s": {k: {"p50": q(v, 50), "p99": q(v, 99), "n": len(v)} for k, v in lat.items()},
    }


def served(model: str, repeats: int) -> dict:
    """`serve` on a free port: ready time, one molecule over HTTP, the CLI through it, the load test."""
    import psutil

    t0 = time.perf_counter()
    server = subprocess.Popen(
        [CLI, "serve", "--model", model, "--port", "0", "--idle-minutes", "30"],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = server.stderr.readline()
        if not line.startswith("serving"):
            raise SystemExit(f"serve did not start: {line}")
        ready = time.perf_counter() - t0
        url = line.split(" at ", 1)[1].split(" ", 1)[0]
        one = [post(url + "/predict", {"smiles": [SMILES], "top": 10})[0] for _ in range(max(repeats, 20))]
        cli = process_wall(model, repeats)
        proc = psutil.Process(server.pid)
        rss0 = proc.memory_info().rss
        load = load_test(url)
        load["server_rss_mb_before_after"] = [rss0 / 2**20, proc.memory_info().rss / 2**20]
        return {
            "ready_s": ready,
            "one_molecule_http_s": one,
            "one_molecule_http_median_s": float(np.median(one)),
            "cli_process_wall_s": cli,
            "cli_process_wall_median_s": float(np.median(cli)),
            "load": load,
        }
    finally:
        server.terminate()
        server.wait()


def equality(model: str) -> dict:
    """Torch-free against torch scores on every training drug (as new molecules, with knowledge)."""
    from llmpredgraph.pipeline.fitted import Pipeline
    from llmpredgraph.pipeline.portable import PortableModel

    pipe, port = Pipeline.load(model), PortableModel.load(model)
    s = pipe.support
    rows = [i for i, x in enumerate(s.drug_smiles) if x]  # every training drug: benchmark and SIDER extra drugs
    worst = {}
    for chunk in np.array_split(np.array(rows), 4):
        smi = [s.drug_smiles[i] for i in chunk]
        know = ([s.knowledge.atc[i] for i in chunk], [s.knowledge.proteins[i] for i in chunk]) if s.knowledge else None
        a, b = pipe.predict_molecules(smi, knowledge=know), port.predict_molecules(smi, knowledge=know)
        for h in a:
            worst[h] = max(worst.get(h, 0.0), float(np.abs(a[h] - b[h]).max()))
    return {"drugs": len(rows), "max_abs_diff": worst}


@click.command()
@click.option("--model", default="models/default", show_default=True, help="A cold model folder (`train`).")
@click.option("--repeats", default=5, show_default=True, help="Processes (and in-process calls) timed.")
@click.option("--out", default="docs/speed_predict", show_default=True, help="Prefix of the .md and .json.")
def main(model, repeats, out):
    from llmpredgraph.atomic import write_json, write_text

    walls = process_wall(model, repeats, "--no-server")
    with tempfile.TemporaryDirectory() as tmp:  # the same folder without the export: the torch path
        old = Path(tmp) / "model"
        shutil.copytree(model, old)
        (old / "inference.json").unlink()
        torch_walls = process_wall(str(old), repeats, "--no-server")
    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", PHASES, model, SMILES], cwd=ROOT, check=True, capture_output=True, text=True
            ).stdout
        )
        for _ in range(repeats)
    ]
    phases = {k: float(np.median([r["phases"][k] for r in runs])) for k in runs[0]["phases"]}
    result = {
        "machine": {"cores": os.cpu_count()},
        "model": model,
        "process_wall_s": walls,
        "process_wall_median_s": float(np.median(walls)),
        "torch_process_wall_s": torch_walls,
        "torch_process_wall_median_s": float(np.median(torch_walls)),
        "start_up_phases_median_s": phases,
        "heavy_imports": runs[0]["heavy_imports"],
        "served": served(model, repeats),
        "torch_free_vs_torch": equality(model),
    }
    write_json(ROOT / f"{out}.json", result)
    write_text(ROOT / f"{out}.md", render(result, repeats))
    print(f"wrote {out}.md and {out}.json")


def render(r: dict, repeats: int) -> str:
    ph, sv = r["start_up_phases_median_s"], r["served"]
    ld, eq = sv["load"], r["torch_free_vs_torch"]
    lat = ld["latency_s"]
    lines = [
        "# `predict` and `serve` latency",
        "",
        f"Machine: {r['machine']['cores']} cores. Model: `{r['model']}`. Produced by "
        f"`python scripts/speed_predict.py --model {r['model']}` (medians of {repeats} processes).",
        "",
        "| measure | seconds | target |",
        "|---|---|---|",
        f"| `predict --smiles ... --name {NAME}`, fresh process (torch-free) "
        f"| {r['process_wall_median_s']:.2f} | ≤ 2 |",
        f"| the same folder without its export (torch path) | {r['torch_process_wall_median_s']:.2f} | |",
        f"| one molecule through a running `serve` (HTTP POST /predict) "
        f"| {sv['one_molecule_http_median_s']:.3f} | ≤ 0.05 |",
        f"| `predict` process answered by a running `serve` | {sv['cli_process_wall_median_s']:.2f} | |",
        f"| `serve`: start until ready (once) | {sv['ready_s']:.2f} | |",
        "",
        f"Start-up of a fresh process, by phase (heavy imports: {', '.join(r['heavy_imports']) or 'none'}):",
        "",
        "| phase | seconds |",
        "|---|---|",
        *[f"| {k} | {v:.2f} |" for k, v in ph.items()],
        f"| **sum** | **{sum(ph.values()):.2f}** |",
        "",
        f"## `serve` under load: {ld['clients']} clients × {ld['requests'] // ld['clients']} requests",
        "",
        "Every fifth request a batch of 5 molecules; each reply checked to carry the molecules asked for. "
        "The server scores one request at a time (the encoder uses every core).",
        "",
        "| request | n | p50 s | p99 s |",
        "|---|---|---|---|",
        *[f"| {k} | {v['n']} | {v['p50']:.3f} | {v['p99']:.3f} |" for k, v in lat.items()],
        "",
        f"{ld['requests_per_s']:.1f} requests/s; {ld['lost_or_mixed']} lost or mixed up; server RSS "
        f"{ld['server_rss_mb_before_after'][0]:.0f} MB before, {ld['server_rss_mb_before_after'][1]:.0f} MB after.",
        "",
        f"Torch-free against torch, every training drug ({eq['drugs']}: benchmark and SIDER extra drugs) scored "
        "as a new molecule with its "
        "knowledge: max |difference| " + ", ".join(f"{k} {v:.1e}" for k, v in eq["max_abs_diff"].items()) + ".",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
