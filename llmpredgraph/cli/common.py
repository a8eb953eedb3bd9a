"""What every command shares: the error-to-one-line group and the --config / --set options."""

from __future__ import annotations

import sys

import click

from ..errors import UserError


class OneLineErrors(click.Group):
    """Turn UserError into one line on stderr and exit code 2."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except UserError as exc:
            click.echo(f"error: {exc.one_line()}", err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            click.echo("interrupted: finished folds and files are kept; rerun with --resume to continue", err=True)
            sys.exit(130)


OVERRIDE = click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a config key, e.g. --set model.conv=gat (repeatable).",
)
CONFIG = click.option(
    "--config",
    "config_path",
    type=click.Path(),
    default=None,
    help="YAML config (default: built-in defaults, one repeat without nested candidates; "
    "configs/cold.yaml is the committed protocol).",
)
