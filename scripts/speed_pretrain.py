#!/usr/bin/env python
"""Pretraining throughput: `llmpredgraph pretrain` (MLM and MTR, full weights) on MOSES SMILES on
this machine's device; writes docs/speed_pretrain.md/.json.

Each objective runs in its own process for a few steps; the figure is sequences per second over the
optimizer steps alone (the held-out evaluation and checkpoints excluded), with the step count, the
batch size and the device beside it. Usage:
    python scripts/speed_pretrain.py [--steps 20] [--batch-size 32] [--device auto]
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "llmpredgraph"]  # works with the package on PYTHONPATH too


def run(objective: str, steps: int, batch: int, max_length: int, device: str, limit: int, tmp: Path) -> dict:
    out = tmp / objective
    cmd = [*CLI, "pretrain", "--objective", objective, "--corpus", "moses", "--limit", str(limit)]
    cmd += ["--steps", str(steps), "--batch-size", str(batch), "--max-length", str(max_length)]
    cmd += ["--eval-every", str(steps), "--checkpoint-every", str(steps), "--device", device]
    cmd += ["--out", str(out), "--quiet"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1][:300]}
    r = json.loads((out / "pretrain.json").read_text())
    return {
        "steps": steps,
        "batch_size": batch,
        "max_length": max_length,
        "device": r["device"],
        "train_sequences_per_second": r["train_sequences_per_second"],
        "sequences_per_second_with_eval": r["sequences_per_second"],
    }


@click.command()
@click.option("--steps", default=20, show_default=True)
@click.option("--batch-size", default=32, show_default=True)
@click.option("--max-length", default=64, show_default=True, help="Tokens per SMILES (MOSES fits in 64).")
@click.option("--limit", default=5000, show_default=True, help="MOSES SMILES loaded (held-out set included).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--out", default="docs/speed_pretrain", show_default=True, help="Prefix of the .md and .json.")
def main(steps, batch_size, max_length, limit, device, out):
    import torch

    from llmpredgraph.atomic import write_json, write_text

    result = {
        "machine": {
            "cores": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            "cpu": platform.processor() or platform.machine(),
        },
    }
    with tempfile.TemporaryDirectory() as tmp:
        for objective in ("mlm", "mtr"):
            result[objective] = run(objective, steps, batch_size, max_length, device, limit, Path(tmp))
            print(objective, json.dumps(result[objective]), flush=True)
    write_json(ROOT / f"{out}.json", result)
    m = result["machine"]
    lines = [
        "# Pretraining throughput",
        "",
        f"Machine: {m['cores']} cores, {m['torch_threads']} torch threads, GPU: {m['cuda'] or 'none'}.",
        "Produced by `python scripts/speed_pretrain.py`; rxnfp SMILES BERT (12 layers, hidden 256), full weights,",
        "MOSES SMILES. Sequences/s over the optimizer steps alone (no evaluation, no checkpoints).",
        "",
        "| objective | device | steps x batch | max length | sequences/s |",
        "|---|---|---|---|---|",
    ]
    for objective in ("mlm", "mtr"):
        r = result[objective]
        if "error" in r:
            lines.append(f"| {objective} | — | — | — | failed: {r['error']} |")
            continue
        lines.append(
            f"| {objective} | {r['device']} | {r['steps']} x {r['batch_size']} | {r['max_length']} | "
            f"{r['train_sequences_per_second']} |"
        )
    write_text(ROOT / f"{out}.md", "\n".join(lines) + "\n")
    print(f"wrote {out}.md and {out}.json")


if __name__ == "__main__":
    main()
