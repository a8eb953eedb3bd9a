#!/usr/bin/env python
"""The drug-encoder comparison report (issue 13) from a finished encoder ablation; writes DOCS/:

- maps_mlm.png, maps_mtr.png: t-SNE of the benchmark drugs' frozen embeddings, shipped SMILES BERT
  (before) and after continued MLM / MTR pretraining, coloured by ATC first level;
- atc_neighbours.csv: for each encoder, the share of a drug's 10 nearest drugs (cosine; Tanimoto for
  fingerprints) that share its ATC first level (drugs with an ATC code only), a label-free check of
  what the embedding space encodes;
- fine_tuning.csv: per fine-tuned variant and fold, the step validation kept (0 = the frozen start),
  the validation gain over the frozen start and the joint phase's seconds;
- the ablation table (ablation.md/.csv, forest plot) copied from the run.
Usage: python scripts/encoder_report.py [--run runs/encoders] [--docs docs/results/encoders]
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click
import numpy as np
import pandas as pd

from llmpredgraph.data import load_benchmark
from llmpredgraph.data.atc import atc_level1_labels
from llmpredgraph.encoders.cache import EmbeddingCache
from llmpredgraph.encoders.fixed import MorganEncoder
from llmpredgraph.encoders.smiles_lm import SmilesLMEncoder
from llmpredgraph.graph.similarity import cosine_matrix, tanimoto_matrix
from llmpredgraph.reporting.plots import embedding_map

ENCODERS = {"shipped": "rxnfp-bert", "mlm": "models/pre_mlm/model", "mtr": "models/pre_mtr/model"}


def atc_agreement(S: np.ndarray, labels: np.ndarray, k: int = 10) -> float:
    """Mean share of each labelled drug's k most similar other drugs (by S) with its label."""
    S = S.astype(np.float64).copy()
    np.fill_diagonal(S, -np.inf)
    known = np.flatnonzero(labels != "unknown")
    sub = S[np.ix_(known, known)]
    top = np.argsort(-sub, axis=1)[:, :k]
    lab = labels[known]
    return float((lab[top] == lab[:, None]).mean())


def fine_tuning_table(run: Path) -> pd.DataFrame:
    rows = []
    for info in sorted(run.glob("*/folds/fold_*/info.json")):
        ft = json.loads(info.read_text()).get("graph", {}).get("fine_tune")
        if ft:
            rows.append(
                {
                    "variant": info.parts[-4],
                    "fold": int(info.parts[-2].split("_")[1]),
                    "kept_step": ft["best_step"],
                    "val_gain": ft["best_val_score"] - ft["start_val_score"],
                    "seconds": round(ft["seconds"], 1),
                }
            )
    return pd.DataFrame(rows)


@click.command()
@click.option("--run", "run", default="runs/encoders", type=click.Path(path_type=Path), show_default=True)
@click.option("--docs", default="docs/results/encoders", type=click.Path(path_type=Path), show_default=True)
def main(run: Path, docs: Path) -> None:
    docs.mkdir(parents=True, exist_ok=True)
    bench = load_benchmark()
    labels = np.asarray(atc_level1_labels(bench))
    cache = EmbeddingCache()
    X = {name: cache.embed(SmilesLMEncoder(model), bench.smiles, progress=True) for name, model in ENCODERS.items()}
    fp = cache.embed(MorganEncoder(2, 2048), bench.smiles, progress=False)
    agree = {name: atc_agreement(cosine_matrix(x), labels) for name, x in X.items()}
    agree["fingerprints"] = atc_agreement(tanimoto_matrix(fp), labels)
    pd.DataFrame({"encoder": list(agree), "atc_level1_share_of_10_nearest": np.round(list(agree.values()), 3)}).to_csv(
        docs / "atc_neighbours.csv", index=False
    )
    for name in ("mlm", "mtr"):
        titles = ("shipped SMILES BERT (rxnfp)", f"after continued {name.upper()} pretraining")
        embedding_map(X["shipped"], X[name], list(labels), docs / f"maps_{name}.png", 0, titles=titles)
    ft = fine_tuning_table(run)
    ft.to_csv(docs / "fine_tuning.csv", index=False)
    for f in ("ablation.md", "ablation.csv", "ablation_forest.png"):
        if (run / f).is_file():
            shutil.copy(run / f, docs / f)
    click.echo(f"ATC agreement: {agree}")
    if len(ft):
        kept = ("kept_step", lambda s: int((s > 0).sum()))
        summary = ft.groupby("variant").agg(kept=kept, folds=("fold", "size"), gain=("val_gain", "mean"))
        click.echo(summary.to_string())
    click.echo(f"-> {docs}")


if __name__ == "__main__":
    main()
