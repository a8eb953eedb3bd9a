"""Modelling commands: embed, finetune, experiment, ablate, compare, train, predict."""

from __future__ import annotations

import click

from .cli import main

_OVERRIDE = click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override a config key, e.g. --set model.conv=gat (repeatable).")
_CONFIG = click.option("--config", "config_path", type=click.Path(), default=None, help="YAML config (default: built-in defaults, as in configs/cold.yaml).")


@main.command()
@_CONFIG
@_OVERRIDE
@click.option("--check-unk/--no-check-unk", default=True, help="Fail if any SMILES token maps to [UNK].")
def embed(config_path, overrides, check_unk):
    """Embed all drugs (SMILES LM) and side effects (text model), cached on disk."""
    from .config import load_config
    from .encoders.pipeline import embed_command

    cfg = load_config(config_path, list(overrides))
    for line in embed_command(cfg, check_unk=check_unk):
        click.echo(line)


@main.command()
@_CONFIG
@_OVERRIDE
@click.option("--out", type=click.Path(), default=None, help="Run folder (default: runs/<config name>).")
@click.option("--resume", is_flag=True, help="Continue an interrupted run at its next unfinished fold.")
@click.option("--overwrite", is_flag=True, help="Delete an existing run folder first.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
def experiment(config_path, overrides, out, resume, overwrite, quiet):
    """Graph model, plain MLP and baselines on identical folds.

    protocol.kind picks the folds: cold (default, configs/cold.yaml) holds out 10% of the drugs per
    fold, unseen everywhere; warm (configs/warm.yaml) holds out 10% of the known pairs, removed from
    the graph and every statistic. Writes config.yaml, folds.json, per-fold predictions,
    metrics.json/.csv, summary.md and PNG plots.
    """
    import sys

    from .config import load_config
    from .experiment.runner import run_experiment

    cfg = load_config(config_path, list(overrides))
    folder = run_experiment(cfg, out or f"runs/{cfg.name}", resume=resume, overwrite=overwrite, progress=not quiet, command="llmpredgraph " + " ".join(sys.argv[1:]))
    click.echo((folder / "summary.md").read_text())
    click.echo(f"results in {folder}")


@main.command()
@_CONFIG
@_OVERRIDE
@click.option("--fold", default=0, show_default=True, help="Which cold fold's training drugs to tune on.")
@click.option("--out", type=click.Path(), default=None, help="Output folder (default: runs/finetune-<mode>-fold<k>).")
def finetune(config_path, overrides, fold, out):
    """Contrastive encoder stage on one cold fold (training labels only); writes tuned embeddings and a plot."""
    from .config import load_config
    from .contrastive.command import finetune_command

    cfg = load_config(config_path, list(overrides))
    for line in finetune_command(cfg, fold, out):
        click.echo(line)


@main.command()
@_CONFIG
@_OVERRIDE
@click.option("--out", type=click.Path(), default="models/default", show_default=True, help="Model folder to write (weights, settings, encoder identity).")
@click.option("--quiet", is_flag=True, help="No progress bars.")
def train(config_path, overrides, out, quiet):
    """Train on all known pairs of every learnable drug and save a model folder for `predict`."""
    from .config import load_config
    from .serving.train_full import train_full

    info = train_full(load_config(config_path, list(overrides)), out, progress=not quiet)
    click.echo(f"model saved to {info['out']} (best epoch {info['best_epoch']}, validation score {info['best_val_score']:.3f})")


@main.command()
@click.option("--model", "model_dir", type=click.Path(), default="models/default", show_default=True, help="Model folder from `llmpredgraph train`.")
@click.option("--smiles", default=None, help="One molecule's SMILES.")
@click.option("--input", "input_csv", type=click.Path(), default=None, help="CSV with columns name,smiles.")
@click.option("--drugs", type=click.Choice(["all"]), default=None, help="Score every benchmark drug x side effect (each with its own labels hidden).")
@click.option("--top", default=20, show_default=True, help="Side effects per molecule (0 = all).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--out", type=click.Path(), default=None, help="Write to this file instead of printing.")
def predict(model_dir, smiles, input_csv, drugs, top, fmt, out):
    """Ranked side effects for new molecules: association probability, predicted frequency class
    (with its expected value) and high-frequency probability."""
    from .serving.command import predict_command

    text = predict_command(model_dir, smiles, input_csv, drugs, top, fmt, out)
    if text:
        click.echo(text)


@main.command()
@_CONFIG
@_OVERRIDE
@click.option("--variant", "variants", multiple=True, help="Variant name (repeatable); 'required' or 'all' for the standard sets. See --list.")
@click.option("--grid", type=click.Path(), default=None, help="YAML file: variants: {name: {dotted.key: value}}.")
@click.option("--out", type=click.Path(), default=None, help="Ablation folder (default: runs/ablate-<config name>).")
@click.option("--list", "list_only", is_flag=True, help="List the built-in variants and exit.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
def ablate(config_path, overrides, variants, grid, out, list_only, quiet):
    """Run variants of a base config on identical folds (finished variants are reused) and write
    ablation.md/.csv with deltas vs base, paired Wilcoxon p-values and a forest plot."""
    from .config import load_config
    from .experiment.ablation import VARIANTS, resolve_variants, run_ablation

    if list_only:
        for name, ov in VARIANTS.items():
            click.echo(f"{name:22s} {ov or '(the base config)'}")
        return
    cfg = load_config(config_path, list(overrides))
    chosen = resolve_variants(list(variants) or ["required"], grid)
    folder = out or f"runs/ablate-{cfg.name}"
    run_ablation(cfg, chosen, folder, progress=not quiet)
    from pathlib import Path

    click.echo((Path(folder) / "ablation.md").read_text())


@main.command()
@click.argument("runs", nargs=-1, type=click.Path())
def compare(runs):
    """Side-by-side mean ± sd of finished runs; refuses runs whose folds differ."""
    from .experiment.compare import compare_runs

    click.echo(compare_runs(list(runs)))
