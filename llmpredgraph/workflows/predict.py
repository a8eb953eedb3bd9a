"""The `predict` command's work: read molecules, score them with a saved pipeline, format, write atomically."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..atomic import write_text
from ..errors import UserError
from ..pipeline.pipeline import Pipeline
from .oof import out_of_fold_table
from .tables import benchmark_table, ranked_table


def read_molecules(smiles: str | None, input_csv: str | None) -> list[tuple[str, str]]:
    if smiles is not None:
        return [("query", smiles)]
    path = Path(input_csv)
    if not path.is_file():
        raise UserError(f"input file {path} not found", "pass an existing CSV with columns name,smiles")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.EmptyDataError, pd.errors.ParserError):
        raise UserError(
            f"input file {path} is empty or not CSV", "write a header line name,smiles and one molecule per line"
        ) from None
    if not {"name", "smiles"} <= set(df.columns):
        raise UserError(
            f"input file {path} needs columns name,smiles (has {', '.join(df.columns)})", "rename the columns"
        )
    if df.empty:
        raise UserError(f"input file {path} has no molecules", "add one line per molecule: name,smiles")
    return list(zip(df["name"], df["smiles"]))


def predict_command(
    model_dir: str,
    smiles: str | None,
    input_csv: str | None,
    drugs: str | None,
    top: int,
    fmt: str,
    out: str | None,
    out_of_fold: str | None = None,
    method: str = "graph",
    rank: str = "association",
) -> str:
    chosen = sum(x is not None for x in (smiles, input_csv, drugs))
    if chosen != 1:
        raise UserError("predict needs exactly one of --smiles, --input or --drugs all", "choose one")
    if out_of_fold and drugs != "all":
        raise UserError("--out-of-fold serves scores of benchmark drugs", "use it with --drugs all")
    if drugs == "all" and not out:
        raise UserError("--drugs all writes a large table", "add --out scores.csv")
    if drugs == "all" and out_of_fold:
        df = out_of_fold_table(out_of_fold, method)
    elif drugs == "all":
        pipe = Pipeline.load(model_dir)
        if pipe.cfg.protocol.kind != "warm":
            raise UserError(
                "this cold model was trained on every benchmark drug, so its scores for them would be in-sample",
                "pass --out-of-fold RUN for scores from the folds where each drug was unseen, or a warm model "
                "(`llmpredgraph train --config configs/warm.yaml`) to complete known drugs",
            )
        s = pipe.support
        df = benchmark_table(s.drug_names, s.se_names, s.R, pipe.complete())
    else:
        mols = read_molecules(smiles, input_csv)
        pipe = Pipeline.load(model_dir)
        scores = pipe.predict(smiles=[s for _, s in mols])
        base = pipe.typical_rates()
        tables = []
        for i, (name, _) in enumerate(mols):
            t = ranked_table(pipe.support.se_names, {k: v[i] for k, v in scores.items()}, top or None, base, rank)
            t.insert(0, "molecule", name)
            tables.append(t)
        df = pd.concat(tables, ignore_index=True)
    if fmt == "json":
        text = df.to_json(orient="records", indent=1)
    elif fmt == "csv" or (out and fmt == "table"):
        text = df.to_csv(index=False)
    else:
        text = df.to_string(index=False)
    if out:
        write_text(out, text)
        return f"wrote {len(df)} rows to {out}"
    return text
