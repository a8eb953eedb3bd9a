"""The `screen` command: a large molecule library through a saved cold model."""

from __future__ import annotations

import click

from .common import build_executor, choice_option, executor_options, model_folder


@click.command()
@model_folder("Cold model folder (`llmpredgraph train`); screen scores exactly as predict does with it.")
@click.option(
    "--input",
    "library",
    required=True,
    type=click.Path(),
    help=".smi (SMILES [name] per line), .csv (a smiles column, optionally name) or .parquet; .smi/.csv may be .gz.",
)
@click.option("--out", required=True, type=click.Path(), help="Output folder (parts/, rejects/, summary.json).")
@click.option("--chunk-size", default=1000, show_default=True, help="Molecules read, scored and written at a time.")
@click.option("--top", default=20, show_default=True, help="Side effects kept per molecule.")
@click.option("--all-pairs", is_flag=True, help="Keep every side effect of every molecule (994 rows per molecule).")
@choice_option("--rank", ["association", "lift"], "Order of the kept side effects, as in `predict`.")
@choice_option(
    "--neighbours",
    ["faiss", "exact"],
    "How each molecule finds its nearest training drugs: the FAISS index (candidates by cosine of the "
    "fingerprint bits, re-ranked by exact Tanimoto) or the dense similarity to every training drug.",
)
@click.option(
    "--fast",
    is_flag=True,
    help="The model folder's fast path (`llmpredgraph distil`): a distilled SMILES encoder and an int8 decoder, "
    "about 3x the molecules/s; its fidelity against the float path is in MODEL/fast_path.json.",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Local worker processes, each pinned to one core with one thread, chunks shared out among them.",
)
@click.option("--limit", type=int, default=None, help="Only the first N molecules of the library.")
@click.option("--overwrite", is_flag=True, help="Delete an existing screen folder first.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@executor_options(ray_unit="the chunks are sharded over Ray Data workers, each loading the model once", workers=False)
def screen(
    model_dir,
    library,
    out,
    chunk_size,
    top,
    all_pairs,
    rank,
    neighbours,
    fast,
    workers,
    limit,
    overwrite,
    quiet,
    executor,
    ray_address,
    ray_cpus,
    ray_gpus,
):
    """Score a molecule library in chunks and write Parquet parts with the top side effects.

    \b
    Each SMILES is standardised (largest fragment, neutralised) and validated; a bad row goes to
    OUT/rejects/ with its reason and the screen goes on. Every chunk becomes OUT/parts/part-NNNNNN.parquet
    (columns row, molecule, smiles, rank, side_effect, association_prob, typical_prob, lift,
    expected_class, predicted_class, high_frequency_prob); read them all with
    pandas.read_parquet("OUT/parts"). Rerun the same command after an interruption: finished parts
    are kept and the screen resumes. Molecules are compared with the training drugs on structure
    (use `predict` to add ATC codes or targets for a few molecules). Memory stays flat in the
    library's size.
    """
    from ..workflows.screen import screen_library

    s = screen_library(
        model_dir,
        library,
        out,
        chunk_size,
        None if all_pairs else top,
        rank,
        limit,
        overwrite,
        not quiet,
        neighbours,
        build_executor(executor, ray_address, ray_cpus, ray_gpus),
        fast=fast,
        workers=workers,
    )
    click.echo(
        f"screened {s['molecules']} molecules in {s['parts']} parts: {s['scored']} scored, "
        f"{s['rejected']} rejected (OUT/rejects/); {s['parts_resumed']} parts kept from before; "
        f"{s['scored_per_second_this_run'] or 0:.0f} molecules/s this run -> {out}"
    )
