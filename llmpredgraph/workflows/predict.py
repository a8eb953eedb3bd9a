"""The `predict` command's work: read molecules, score them with a saved pipeline, format, write atomically."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..atomic import write_text
from ..errors import UserError
from ..pipeline.pipeline import Pipeline
from ..units import clip_class


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


def ranked_table(se_names: list[str], p: dict[str, np.ndarray], top: int | None) -> pd.DataFrame:
    """One molecule's side effects ranked by association probability, with class and DSHF."""
    dsf = clip_class(p["dsf"])
    df = pd.DataFrame(
        {
            "side_effect": se_names,
            "association_prob": p["assoc"].round(4),
            "expected_class": dsf.round(3),
            "predicted_class": np.rint(dsf).astype(int),
            "high_frequency_prob": p["dshf"].round(4),
        }
    ).sort_values("association_prob", ascending=False, kind="stable")
    df.insert(0, "rank", np.arange(1, len(df) + 1))
    return df.head(top) if top else df


def score_benchmark(pipe: Pipeline, groups: int = 10) -> pd.DataFrame:
    """Every benchmark drug x side effect. Each drug is scored with its own labels hidden from the
    graph (leave-group-out over `groups` groups); the weights did see them (in-sample)."""
    s = pipe.support
    n = s.n_drugs
    parts = np.array_split(np.random.default_rng(0).permutation(n), groups)
    rows = []
    for part in parts:
        part = np.sort(part)
        p = pipe.predict(np.setdiff1d(np.arange(n), part), part)
        for i, d in enumerate(part):
            rows.append(
                pd.DataFrame(
                    {
                        "drug": s.drug_names[d],
                        "side_effect": s.se_names,
                        "known_class": s.R[d],
                        "association_prob": p["assoc"][i].round(4),
                        "expected_class": clip_class(p["dsf"][i]).round(3),
                        "high_frequency_prob": p["dshf"][i].round(4),
                    }
                )
            )
    return pd.concat(rows, ignore_index=True).sort_values(["drug", "association_prob"], ascending=[True, False])


def predict_command(
    model_dir: str, smiles: str | None, input_csv: str | None, drugs: str | None, top: int, fmt: str, out: str | None
) -> str:
    chosen = sum(x is not None for x in (smiles, input_csv, drugs))
    if chosen != 1:
        raise UserError("predict needs exactly one of --smiles, --input or --drugs all", "choose one")
    if drugs == "all" and not out:
        raise UserError("--drugs all writes a large table", "add --out scores.csv")
    mols = read_molecules(smiles, input_csv) if drugs is None else []
    pipe = Pipeline.load(model_dir)
    if drugs == "all":
        df = score_benchmark(pipe)
    else:
        scores = pipe.predict(smiles=[s for _, s in mols])
        tables = []
        for i, (name, _) in enumerate(mols):
            t = ranked_table(pipe.support.se_names, {k: v[i] for k, v in scores.items()}, top or None)
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
