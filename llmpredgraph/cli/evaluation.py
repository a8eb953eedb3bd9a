"""Evaluation commands: experiment, ablate, compare."""

from __future__ import annotations

import click

from ..runfolder import RunFolder
from .common import CONFIG, DEVICE, OVERRIDE, TRACK, build_executor, executor_options, with_device


@click.command()
@CONFIG
@OVERRIDE
@click.option("--out", type=click.Path(), default=None, help="Run folder (default: runs/<config name>).")
@click.option("--resume", is_flag=True, help="Continue an interrupted run at its next unfinished fold.")
@click.option("--overwrite", is_flag=True, help="Delete an existing run folder first.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@DEVICE
@executor_options
@TRACK
def experiment(
    config_path,
    overrides,
    out,
    resume,
    overwrite,
    quiet,
    device,
    executor,
    workers,
    ray_address,
    ray_cpus,
    ray_gpus,
    track,
):
    """Graph model, plain MLP and baselines on identical folds.

    protocol.kind picks the folds: cold (configs/cold.yaml) holds out 10% of the drugs per fold,
    drugs of one standardised structure together; scaffold (configs/scaffold.yaml) holds out whole
    Bemis-Murcko scaffolds; warm (configs/warm.yaml) holds out 10% of the known pairs.
    protocol.repeats repeats the folds with new seeds; selection.candidates / selection.baselines
    choose settings per fold on its validation labels (nested). Writes config.yaml, folds.json,
    per-fold predictions, out-of-fold score matrices, metrics.json/.csv, summary.md and PNG plots.
    """
    import sys

    from ..config import load_config
    from ..workflows.experiment import run_experiment

    cfg = load_config(config_path, with_device(overrides, device))
    folder = run_experiment(
        cfg,
        out or f"runs/{cfg.name}",
        resume=resume,
        overwrite=overwrite,
        progress=not quiet,
        command="llmpredgraph " + " ".join(sys.argv[1:]),
        executor=build_executor(executor, ray_address, ray_cpus, ray_gpus, workers),
    )
    click.echo(RunFolder(folder).summary.read_text())
    click.echo(f"results in {folder}")
    if track != "none":
        from ..workflows.tracking import track_saved

        click.echo(f"logged to MLflow run {track_saved(folder, 'experiment', track)}")


@click.command()
@CONFIG
@OVERRIDE
@click.option(
    "--variant",
    "variants",
    multiple=True,
    help="Variant name (repeatable); sets: 'required', 'knowledge' (each knowledge channel added), "
    "'knowledge_off' (each removed from configs/cold_knowledge_full.yaml) or 'all'. See --list. "
    "Default: 'required', or only the --grid variants when a grid is given.",
)
@click.option("--grid", type=click.Path(), default=None, help="YAML file: variants: {name: {dotted.key: value}}.")
@click.option("--out", type=click.Path(), default=None, help="Ablation folder (default: runs/ablate-<config name>).")
@click.option("--list", "list_only", is_flag=True, help="List the built-in variants and exit.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@DEVICE
@executor_options
@TRACK
def ablate(
    config_path,
    overrides,
    variants,
    grid,
    out,
    list_only,
    quiet,
    device,
    executor,
    workers,
    ray_address,
    ray_cpus,
    ray_gpus,
    track,
):
    """Run variants of a base config on identical folds (finished variants are reused) and write
    ablation.md/.csv with deltas vs base, corrected resampled t-test p-values (valid for repeated
    folds), per-repeat deltas and a forest plot."""
    from ..config import load_config
    from ..workflows.ablation import VARIANTS, resolve_variants, run_ablation

    if list_only:
        for name, ov in VARIANTS.items():
            click.echo(f"{name:22s} {ov or '(the base config)'}")
        return
    cfg = load_config(config_path, with_device(overrides, device))
    chosen = resolve_variants(list(variants), grid)
    folder = out or f"runs/ablate-{cfg.name}"
    run_ablation(
        cfg,
        chosen,
        folder,
        progress=not quiet,
        executor=build_executor(executor, ray_address, ray_cpus, ray_gpus, workers),
    )
    from pathlib import Path

    click.echo((Path(folder) / "ablation.md").read_text())
    if track != "none":
        from ..workflows.tracking import track_saved

        for name in chosen:  # one MLflow run per variant, in the base config's experiment
            click.echo(
                f"{name}: logged to MLflow run {track_saved(Path(folder) / name, 'experiment', track, cfg.name)}"
            )


@click.command()
@click.argument("runs", nargs=-1, type=click.Path())
@click.option(
    "--reference",
    default=None,
    help="RUN:METHOD the others are tested against (default: the first run's graph model), e.g. cold:graph.",
)
@click.option("--out", type=click.Path(), default=None, help="Also write the table to this Markdown file.")
def compare(runs, reference, out):
    """Side-by-side mean ± sd of finished runs, with corrected resampled t-tests against a reference.

    RUNS are run folders evaluated on identical folds (same seed, folds, repeats and run_folds);
    runs on different folds are refused. Rows are RUN:METHOD, RUN being the folder name.
    """
    from ..atomic import write_text
    from ..reporting.compare import compare_runs

    table = compare_runs(list(runs), reference)
    if out:
        write_text(out, table + "\n")
    click.echo(table)
