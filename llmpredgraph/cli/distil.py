"""`llmpredgraph distil`: a cold model folder's fast screening path (see workflows.distil)."""

from __future__ import annotations

import click

from .common import model_folder


@click.command()
@model_folder("Cold model folder (`llmpredgraph train`) to add the fast path to.")
@click.option(
    "--corpus",
    "corpora",
    multiple=True,
    default=("moses",),
    show_default=True,
    help="Unlabelled SMILES the student learns from: moses, chembl-drugs or a file; repeatable. The first "
    "corpus's first --check molecules are held out for the fidelity check.",
)
@click.option("--n", default=40_000, show_default=True, help="Training molecules taken from each corpus.")
@click.option("--check", default=1000, show_default=True, help="Held-out molecules the fidelity is measured on.")
@click.option("--hidden", default=1024, show_default=True, help="Width of the student's two hidden layers.")
@click.option("--epochs", default=30, show_default=True, help="Student training epochs.")
@click.option("--seed", default=0, show_default=True, help="Seed of the student's initialisation and batches.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
def distil(model_dir, corpora, n, check, hidden, epochs, seed, quiet):
    """Add a fast screening path to a model folder: `screen --fast` then uses it.

    \b
    The folder's SMILES LM encodes corpus molecules (no labels are read); a small MLP learns those
    vectors from Morgan counts (the distilled encoder), and the edge decoder is quantised to int8,
    calibrated on corpus molecules. The fidelity against the float path (per-molecule Spearman of
    every side effect's scores, on held-out molecules) goes to MODEL/fast_path.json. About 8 minutes
    on 2 CPU cores for the defaults.
    """
    from ..workflows.distil import distil_model

    r = distil_model(model_dir, tuple(corpora), n, check, hidden, epochs, seed, not quiet)["fidelity"]
    a = r["assoc"]
    click.echo(
        f"fast path saved to {model_dir}: on {r['molecules']} held-out molecules, association Spearman with the "
        f"float path {a['fast_path_spearman']['mean']:.5f} (min {a['fast_path_spearman']['min']:.5f}; the mean LM "
        f"vector alone: {a['mean_vector_spearman']['mean']:.5f}); the student reproduces the LM's own contribution "
        f"at Spearman {a['lm_contribution_spearman']['mean']:.3f} -> {model_dir}/fast_path.json"
    )
