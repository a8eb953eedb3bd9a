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

DEVICE = click.option(
    "--device",
    type=click.Choice(["auto", "cpu", "cuda"]),
    default=None,
    help="Shorthand for --set device=...: where torch runs (auto: a CUDA GPU when torch sees one, else CPU; "
    "left out: the config's value, auto by default).",
)


def with_device(overrides: tuple, device: str | None) -> list[str]:
    """The --set overrides, plus device=... when --device was given."""
    return [*overrides, f"device={device}"] if device else list(overrides)


def choice_option(flag: str, choices: list[str], help: str):
    """An option taking one of `choices`, the first being the default."""
    return click.option(flag, type=click.Choice(choices), default=choices[0], show_default=True, help=help)


def _workers(ctx, param, value: str):
    if value == "auto":
        return value
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise click.BadParameter(f"{value!r} is not a positive number or 'auto'; pass e.g. --workers 2")
    return n


def executor_options(f=None, *, ray_unit: str = "each (variant, repeat, fold) is one Ray task", workers: bool = True):
    """--executor / --workers / --ray-address / --ray-cpus / --ray-gpus: where the work runs; ray_unit
    says what one Ray task or worker does (used bare, or as executor_options(ray_unit=...));
    workers=False leaves out --workers (commands that parallelise otherwise)."""
    if f is None:
        return lambda g: executor_options(g, ray_unit=ray_unit, workers=workers)
    if workers:
        f = click.option(
            "--workers",
            default="auto",
            show_default=True,
            callback=_workers,
            help="With --executor local: folds run at once, each in its own process (same results as one at "
            "a time). auto: one per `threads` cores of the config, memory permitting (the 2-core headline: "
            "2); 1 when the config leaves threads unset.",
        )(f)
    f = click.option(
        "--ray-gpus", default=0.0, show_default=True, help="GPU fraction each Ray task declares (0 = CPU only)."
    )(f)
    f = click.option(
        "--ray-cpus", default=1.0, show_default=True, help="CPU threads each Ray task declares (and uses)."
    )(f)
    f = click.option(
        "--ray-address",
        default=None,
        help="With --executor ray: 'auto' (the cluster this machine belongs to) or HOST:PORT of a head node; "
        "default: start a local Ray instance on this machine.",
    )(f)
    return choice_option(
        "--executor",
        ["local", "ray"],
        f"local: one after another in this process; ray: {ray_unit} (pip install 'llmpredgraph[ray]'). "
        "Same output folder, resume and results either way.",
    )(f)


def build_executor(executor: str, ray_address: str | None, ray_cpus: float, ray_gpus: float, workers=1):
    from ..workflows.executor import make_executor

    return make_executor(executor, ray_address, ray_cpus, ray_gpus, workers)


TRACK = choice_option(
    "--track",
    ["none", "mlflow"],
    "Also log to MLflow (pip install 'llmpredgraph[track]'): config as params, per-fold and summary "
    "metrics, plots, or the model folder; store: $MLFLOW_TRACKING_URI, else runs/mlruns.",
)


def model_folder(help: str):
    """The --model option of the commands that load a model folder (default models/default)."""
    return click.option(
        "--model", "model_dir", type=click.Path(), default="models/default", show_default=True, help=help
    )
