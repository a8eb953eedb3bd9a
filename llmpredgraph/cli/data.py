"""`data fetch | prepare | stats`: the benchmark files."""

from __future__ import annotations

import json

import click


@click.group()
def data():
    """Fetch, prepare and describe the benchmark files."""


@data.command("fetch")
@click.option(
    "--mirror",
    type=click.Path(),
    default=None,
    help="Copy from this folder instead of downloading (default: $LLMPREDGRAPH_DATA_MIRROR).",
)
@click.option("--dest", type=click.Path(), default=None, help="Where raw files go (default: data/raw).")
def data_fetch(mirror, dest):
    """Get every raw file from its pinned URL (or a mirror) and verify its sha256."""
    from ..data.fetch import fetch_raw

    status = fetch_raw(mirror=mirror, dest=dest)
    for path, how in status.items():
        click.echo(f"{how:>10}  {path}")


@data.command("prepare")
@click.option("--raw", type=click.Path(), default=None, help="Raw folder (default: data/raw).")
@click.option("--out", type=click.Path(), default=None, help="Processed folder (default: data/processed).")
def data_prepare(raw, out):
    """Build the processed benchmark atomically: the matrix R, aligned SMILES, texts, hierarchy, ATC and
    DrugBank knowledge, and beside R the SIDER 4.1 label mentions, indications, label frequencies and
    the extra SIDER drugs with a DrugBank structure (docs/data.md)."""
    from ..data.prepare import prepare
    from ..data.report import format_report

    bench, report = prepare(raw, out)
    click.echo(format_report(bench.learnable().stats(), report))


@data.command("stats")
@click.option("--data", "source", type=click.Path(), default=None, help="Processed folder (default: data/processed).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def data_stats(source, as_json):
    """Counts on the 750 learnable drugs, class histogram and the alignment report."""
    from ..data import load_benchmark
    from ..data.report import format_report

    bench = load_benchmark(source, learnable=False)
    stats = bench.learnable().stats()
    report = bench.manifest.get("report", {})
    click.echo(json.dumps({"stats": stats, "report": report}, indent=2) if as_json else format_report(stats, report))
