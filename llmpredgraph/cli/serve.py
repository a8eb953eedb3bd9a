"""`llmpredgraph serve`: keep one model loaded for fast `predict` calls."""

from __future__ import annotations

import click

from .common import model_folder


@click.command()
@model_folder("Model folder from `llmpredgraph train` to keep loaded.")
@click.option(
    "--idle-minutes",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Stop after this long without a request.",
)
def serve(model_dir, idle_minutes):
    """Keep a model loaded so `predict --model` on the same folder answers in a fraction of a second.

    \b
    Start it in the background, then predict as usual:
      llmpredgraph serve --model models/default &
      llmpredgraph predict --model models/default --smiles 'CCO'
    predict finds the server by the model folder (one per user and folder, a socket in the temporary
    directory) and runs each request there, in its own working directory and data folder, with the
    same code and output as in process; `predict --no-server` bypasses it. The server reloads the
    model when its folder is rewritten, serves one request at a time, and stops after --idle-minutes
    or Ctrl-C.
    """
    from ..workflows.serve import ModelServer

    ModelServer(model_dir, log=lambda line: click.echo(line, err=True)).serve(idle_minutes)
