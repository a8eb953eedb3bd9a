"""`llmpredgraph serve`: an HTTP API and a page over one loaded model."""

from __future__ import annotations

import click

from .common import model_folder


@click.command()
@model_folder("Model folder from `llmpredgraph train` to keep loaded.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: every interface).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port (0: any free one).")
@click.option(
    "--idle-minutes",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Stop after this long without a request.",
)
@click.option("--max-batch", default=1000, show_default=True, type=click.IntRange(1), help="Molecules per request.")
@click.option("--max-smiles", default=1000, show_default=True, type=click.IntRange(1), help="Characters per SMILES.")
@click.option(
    "--max-body-mb",
    default=2.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Largest request body.",
)
def serve(model_dir, host, port, idle_minutes, max_batch, max_smiles, max_body_mb):
    """Serve a model over HTTP: a page at / and a JSON API (OpenAPI page at /docs).

    \b
      llmpredgraph serve --model models/default --port 8000 &
      open http://127.0.0.1:8000/                  # paste a SMILES or a drug name, or upload a CSV
      curl -s localhost:8000/predict -H 'content-type: application/json' \\
           -d '{"smiles": ["CC(C)Cc1ccc(cc1)C(C)C(=O)O"], "top": 5}'
      curl -s 'localhost:8000/ask?q=side+effects+of+morphine'
      llmpredgraph predict --model models/default --smiles 'CCO'   # answered by the server

    POST /predict and /explain take {"smiles": [...]}, {"names": [...]} or {"molecules": [{"smiles",
    "name", "atc", "targets"}]}; an input that cannot be scored is returned under "rejected" with its
    reason, and the rest are scored. predict on the same folder finds the server by a discovery file
    (this user only) and falls back to loading the model itself; `predict --no-server` bypasses it.
    The server reloads the model when its folder is rewritten, scores one request at a time (the
    encoder already uses every core), and stops after --idle-minutes or Ctrl-C.
    """
    from ..workflows.serve import Server
    from ..workflows.web_service import Limits

    limits = Limits(max_batch, max_smiles, int(max_body_mb * (1 << 20)))
    Server(model_dir, host, port, limits, log=lambda line: click.echo(line, err=True)).run(idle_minutes)
