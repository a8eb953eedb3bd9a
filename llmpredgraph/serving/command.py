"""The `predict` command's work: read inputs, score, format, write atomically."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..atomic import write_text
from ..errors import UserError


def read_molecules(smiles: str | None, input_csv: str | None) -> list[tuple[str, str]]:
    if smiles is not None:
        return [("query", smiles)]
    path = Path(input_csv)
    if not path.is_file():
        raise UserError(f"input file {path} not found", "pass an existing CSV with columns name,smiles")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.EmptyDataError, pd.errors.ParserError):
        raise UserError(f"input file {path} is empty or not CSV", "write a header line name,smiles and one molecule per line") from None
    if not {"name", "smiles"} <= set(df.columns):
        raise UserError(f"input file {path} needs columns name,smiles (has {', '.join(df.columns)})", "rename the columns")
    if df.empty:
        raise UserError(f"input file {path} has no molecules", "add one line per molecule: name,smiles")
    return list(zip(df["name"], df["smiles"]))


def predict_command(model_dir: str, smiles: str | None, input_csv: str | None, drugs: str | None, top: int, fmt: str, out: str | None) -> str:
    from .predictor import Predictor, ranked_table, score_benchmark

    chosen = sum(x is not None for x in (smiles, input_csv, drugs))
    if chosen != 1:
        raise UserError("predict needs exactly one of --smiles, --input or --drugs all", "choose one")
    if drugs == "all":
        if not out:
            raise UserError("--drugs all writes a large table", "add --out scores.csv")
        df = score_benchmark(model_dir)
    else:
        mols = read_molecules(smiles, input_csv)
        pred = Predictor(model_dir)
        scores = pred.scores([s for _, s in mols])
        tables = []
        for i, (name, _) in enumerate(mols):
            t = ranked_table(pred.bench.se_names, {k: v[i] for k, v in scores.items()}, top or None)
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
