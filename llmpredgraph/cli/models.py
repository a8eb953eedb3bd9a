"""Model commands: embed, contrastive, train, predict."""

from __future__ import annotations

import click

from .common import CONFIG, DEVICE, OVERRIDE, TRACK, model_folder, with_device


@click.command()
@CONFIG
@OVERRIDE
@click.option("--check-unk/--no-check-unk", default=True, help="Fail if any SMILES token maps to [UNK].")
def embed(config_path, overrides, check_unk):
    """Embed all drugs (SMILES LM) and side effects (text model), cached on disk."""
    from ..config import load_config
    from ..workflows.embed import embed_command

    cfg = load_config(config_path, list(overrides))
    for line in embed_command(cfg, check_unk=check_unk):
        click.echo(line)


@click.command()
@CONFIG
@OVERRIDE
@click.option("--fold", default=0, show_default=True, help="Which cold fold's training drugs to tune on.")
@click.option(
    "--out", type=click.Path(), default=None, help="Output folder (default: runs/contrastive-<mode>-fold<k>)."
)
def contrastive(config_path, overrides, fold, out):
    """Contrastive encoder stage on one cold fold (training labels only): projection heads, or with
    --set contrastive.mode=lora|full the SMILES LM too; writes tuned embeddings and a plot.
    (End-to-end fine-tuning with the link model runs inside `experiment` and `train`.)"""
    from ..config import load_config
    from ..workflows.contrastive import contrastive_command

    cfg = load_config(config_path, list(overrides))
    for line in contrastive_command(cfg, fold, out):
        click.echo(line)


# the command's old name, kept working for existing scripts; not listed in --help
finetune = click.Command(
    "finetune", params=contrastive.params, callback=contrastive.callback, hidden=True, help="Old name of `contrastive`."
)


@click.command()
@CONFIG
@OVERRIDE
@click.option(
    "--out",
    type=click.Path(),
    default="models/default",
    show_default=True,
    help="Model folder to write (weights, settings, encoder identity).",
)
@click.option(
    "--protocol",
    type=click.Choice(["cold", "warm"]),
    default=None,
    help="Shorthand for --set protocol.kind=...: cold (new molecules) or warm (completion of known drugs).",
)
@click.option(
    "--hold-out",
    "hold_out",
    multiple=True,
    metavar="DRUG",
    help="Leave this benchmark drug (and drugs of the same structure) out of training, so that "
    "`predict --smiles` scores it as a new molecule; repeatable. Cold models only.",
)
@click.option("--quiet", is_flag=True, help="No progress bars.")
@DEVICE
@TRACK
def train(config_path, overrides, protocol, out, hold_out, quiet, device, track):
    """Train on all known pairs of every learnable drug and save a model folder for `predict`.

    A cold config (default) gives a model for new molecules; a warm one (configs/warm.yaml, or
    --protocol warm) a completion model that scores benchmark drugs' not-yet-known side effects."""
    if protocol:
        overrides = (*overrides, f"protocol.kind={protocol}")
    from ..config import load_config
    from ..workflows.train import train_full

    cfg = load_config(config_path, with_device(overrides, device))
    info = train_full(cfg, out, progress=not quiet, hold_out=hold_out)
    held = f"; held out: {', '.join(info['held_out'])}" if info.get("held_out") else ""
    click.echo(
        f"model saved to {info['out']} (best epoch {info['best_epoch']}, "
        f"validation score {info['best_val_score']:.3f}{held})"
    )
    if track != "none":
        from ..workflows.tracking import track_saved

        click.echo(f"logged to MLflow run {track_saved(info['out'], 'model', track)}")


@click.command()
@model_folder("Model folder from `llmpredgraph train`.")
@click.option("--smiles", default=None, help="One molecule's SMILES.")
@click.option(
    "--input",
    "input_csv",
    type=click.Path(),
    default=None,
    help="CSV with columns name,smiles and optional atc,targets,description; a bad row is rejected with its reason "
    "(FILE.rejects.csv beside --out) while the rest go on.",
)
@click.option("--name", default="query", show_default=True, help="With --smiles: its name (for DrugBank lookup).")
@click.option("--atc", default=None, help="With --smiles: ATC codes, e.g. N02AA01,N02AB03.")
@click.option("--targets", default=None, help="With --smiles: target UniProt accessions, e.g. P35372,P41145.")
@click.option("--description", default=None, help="With --smiles: a description (drug text models).")
@click.option(
    "--drugs",
    type=click.Choice(["all"]),
    default=None,
    help="Score every benchmark drug x side effect: out of fold with --out-of-fold RUN, or completed by a warm model.",
)
@click.option(
    "--out-of-fold",
    "out_of_fold",
    type=click.Path(),
    default=None,
    help="With --drugs all: a finished cold/scaffold run folder; each drug scored by the folds where it was unseen.",
)
@click.option(
    "--method",
    default="graph",
    show_default=True,
    help="With --out-of-fold: which method's scores (graph, mlp, knn_offset...).",
)
@click.option("--top", default=20, show_default=True, help="Side effects per molecule (0 = all).")
@click.option(
    "--rank",
    type=click.Choice(["association", "lift"]),
    default="association",
    show_default=True,
    help="New molecules: association = by probability (side effects every drug has come first); lift = "
    "likely side effects (probability >= 0.5) by probability / the model's typical probability for a "
    "benchmark drug. Lift is only as specific as the model: see docs/predict.md.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="table: aligned text to read; csv and json: every column, for other tools.",
)
@click.option("--out", type=click.Path(), default=None, help="Write to this file instead of printing.")
@click.option(
    "--explain",
    is_flag=True,
    help="New molecules: per side effect the training drugs that voted for it (class, similarity, the "
    "channel that made them neighbours), the share of the molecule's ATC class that has it, and how the "
    "score splits into prior and learned correction. Table: the first 3 drugs; CSV and JSON: all.",
)
@click.option(
    "--report",
    type=click.Path(),
    default=None,
    help="New molecules: also write a self-contained HTML page (structure drawing, side effects by "
    "system organ class as bars, evidence drugs) to this file.",
)
@click.option(
    "--no-server",
    is_flag=True,
    help="Score in this process even when `llmpredgraph serve` runs for this model (by default a running "
    "server answers: no imports, no model loading).",
)
def predict(
    model_dir,
    no_server,
    smiles,
    input_csv,
    name,
    atc,
    targets,
    description,
    drugs,
    out_of_fold,
    method,
    top,
    rank,
    fmt,
    out,
    explain,
    report,
):
    """Ranked side effects: association probability, the model's typical probability for a benchmark
    drug and the lift over it, predicted frequency class (with its expected value) and
    high-frequency probability.

    \b
    New molecules (--smiles / --input) need a cold model. Knowledge (ATC codes, targets) given with
    --atc/--targets or CSV columns, or found in a local DrugBank copy (data/raw/drugbank) by name or
    structure, links the molecule to pharmacologically similar drugs when the model ranks neighbours
    by graph.knn_similarity: combined; the columns `knowledge` and `channels` say what was used.
    For benchmark drugs (--drugs all):
      --out-of-fold RUN   "what would the model say had it never seen this drug?" (honest scores
                          from the experiment's folds, averaged over repeats);
      a warm model        "which side effects might this drug have that are not yet on its label?"
                          (completion from all its known pairs).
    """
    args = dict(
        smiles=smiles,
        input_csv=input_csv,
        drugs=drugs,
        top=top,
        fmt=fmt,
        out=out,
        out_of_fold=out_of_fold,
        method=method,
        rank=rank,
        atc=atc,
        targets=targets,
        name=name,
        description=description,
        explain=explain,
        report=report,
    )
    result = None
    if not no_server:  # before any heavy import: a running `serve` answers in a fraction of a second
        from ..serving import served_predict

        result = served_predict(model_dir, args)
    if result is None:
        from ..workflows.predict import predict_command

        result = predict_command(model_dir, **args)
    text, notes = result
    for note in notes:
        click.echo(note, err=True)
    if text:
        click.echo(text)


@click.command()
@model_folder("Model folder to add the torch-free inference part to.")
def export(model_dir):
    """Add the torch-free inference part (inference.npz / inference.json, the SMILES tokenizer) to a
    model folder saved before `train` wrote it, so `predict`, `screen`, `ask` and `serve` run on
    numpy and ONNX Runtime alone. `train` writes it for every new folder; a model the numpy forward
    does not cover (say, one with an LM-tuned drug tower) keeps loading through torch, and this
    command says why.
    """
    from ..workflows.train import export_folder

    click.echo(export_folder(model_dir))
