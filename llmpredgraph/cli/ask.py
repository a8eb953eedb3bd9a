"""The `ask` command: a plain question in, a grounded answer out (workflows.ask)."""

from __future__ import annotations

import click

from .common import model_folder


@click.command()
@click.argument("question")
@model_folder("Cold model folder: predictions for molecules it never saw (and held-out benchmark drugs).")
@click.option(
    "--warm-model",
    "warm_dir",
    type=click.Path(),
    default=None,
    help="Warm completion model folder (`train --config configs/warm.yaml`): estimates for benchmark "
    "drugs' pairs that are not on their label.",
)
@click.option("--top", default=10, show_default=True, help="Rows per answer (side effects or drugs).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: plain sentences; json: every number, source and evidence record.",
)
def ask(question, model_dir, warm_dir, top, fmt):
    """Answer a question about drugs and side effects from the labels and the models, with numbers,
    their source (label, completion or prediction) and evidence. Understood forms:

    \b
      llmpredgraph ask "side effects of oxymorphone"
      llmpredgraph ask "how often does morphine cause constipation"
      llmpredgraph ask "which drugs cause nausea most often"

    A drug is a benchmark or DrugBank name or synonym, or a SMILES; a side effect a MedDRA term,
    matched exactly, by spelling or by meaning (the side-effect text model). An unknown or ambiguous
    name gets a one-line reply with the closest matches."""
    import json
    from dataclasses import asdict

    from ..workflows.ask_answers import answer, render

    ans = answer(question, model_dir, warm_dir, top)
    click.echo(json.dumps(asdict(ans), indent=1) if fmt == "json" else render(ans))
