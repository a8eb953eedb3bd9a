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
