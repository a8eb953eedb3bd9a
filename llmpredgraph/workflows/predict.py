"""The `predict` command's work: read molecules, score them with a saved pipeline, format, write atomically."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..atomic import write_text
from ..errors import UserError
from ..paths import raw_dir
from ..pipeline.loading import load_predictor
from ..reporting.molecule_report import report_html
from .explain_table import explanation_columns, report_molecule
from .molecules import attach_drugbank, channels_used, knowledge_of, molecule_texts, read_molecules
from .oof import out_of_fold_table
from .tables import benchmark_table, label_columns, ranked_table


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
    atc: str | None = None,
    targets: str | None = None,
    name: str = "query",
    description: str | None = None,
    explain: bool = False,
    report: str | None = None,
    loaded=None,
) -> tuple[str, list[str]]:
    """(the output text or a 'wrote ...' line, notes for stderr such as rejected input rows).
    explain: add each side effect's evidence and score split (`explain_table`); report: also write
    a self-contained HTML page (`reporting.molecule_report`); loaded: the model already loaded from
    model_dir (`serve`): a `Pipeline` or a `PortableModel`."""
    notes: list[str] = []
    chosen = sum(x is not None for x in (smiles, input_csv, drugs))
    if chosen != 1:
        raise UserError("predict needs exactly one of --smiles, --input or --drugs all", "choose one")
    if drugs == "all" and (explain or report):
        raise UserError("--explain and --report explain new molecules", "use them with --smiles or --input")
    if out_of_fold and drugs != "all":
        raise UserError("--out-of-fold serves scores of benchmark drugs", "use it with --drugs all")
    if drugs == "all" and not out:
        raise UserError("--drugs all writes a large table", "add --out scores.csv")
    if drugs == "all" and out_of_fold:
        df = out_of_fold_table(out_of_fold, method)
    elif drugs == "all":
        pipe = loaded or load_predictor(model_dir, notes.append)
        if pipe.cfg.protocol.holds_out_drugs:
            raise UserError(
                "this cold model was trained on every benchmark drug, so its scores for them would be in-sample",
                "pass --out-of-fold RUN for scores from the folds where each drug was unseen, or a warm model "
                "(`llmpredgraph train --config configs/warm.yaml`) to complete known drugs",
            )
        s = pipe.support
        df = benchmark_table(s.drug_names, s.se_names, s.R, pipe.complete())
    else:
        mols, rejected = read_molecules(smiles, input_csv, atc, targets, name, description)
        mols = attach_drugbank(mols, raw_dir() / "drugbank")
        pipe = loaded or load_predictor(model_dir, notes.append)
        style = "json" if fmt == "json" else "csv" if fmt == "csv" or out else "table"
        tables, expls = molecule_tables(pipe, mols, top, rank, explain or bool(report))
        notes += [f"rejected row {r.row} ({r.name}): {r.reason}" for r in rejected.itertuples()]
        if report:
            pages = [report_molecule(m, t, x, pipe.support) for m, t, x in zip(mols, tables, expls)]
            title = f"Predicted side effects ({Path(model_dir).name} model)"
            note = f"{len(pages)} molecule(s), top {top or 'all'} side effects"
            write_text(report, report_html(pages, title, note))
            notes.append(f"wrote the report to {report}")
        if explain:
            tables = [pd.concat([t, explanation_columns(x, style)], axis=1) for t, x in zip(tables, expls)]
        df = pd.concat(tables, ignore_index=True)
        if out and len(rejected):
            rejects = Path(str(out) + ".rejects.csv")
            write_text(rejects, rejected.to_csv(index=False))
            notes.append(f"wrote {len(rejected)} rejected rows to {rejects}")
    if fmt == "json":
        text = df.to_json(orient="records", indent=1)
    elif fmt == "csv" or (out and fmt == "table"):
        text = df.to_csv(index=False)
    else:
        text = df.to_string(index=False)
    if out:
        write_text(out, text)
        return f"wrote {len(df)} rows to {out}", notes
    return text, notes


def molecule_tables(pipe, mols: list, top: int | None, rank: str = "association", explain: bool = False):
    """(per molecule its ranked table with predict's columns, per molecule the `Explanation`s of its
    shown side effects or None): one graph pass scores and explains every molecule. `mols`: valid
    `Molecule`s with their DrugBank knowledge attached; `pipe`: a loaded model (either path)."""
    texts = None
    if pipe.cfg.encoders.drug.add_text:
        texts = molecule_texts(mols, pipe.support.se_names, raw_dir() / "atc/who_atc_ddd_2026-04-25.csv")
    mg = pipe.molecule_graph([m.smiles for m in mols], knowledge_of(mols), texts, standardised=True)
    scores = pipe.score_graph(mg)
    base = pipe.typical_rates()
    tables = []
    for i, m in enumerate(mols):
        t = ranked_table(pipe.support.se_names, {k: v[i] for k, v in scores.items()}, top or None, base, rank)
        t.insert(0, "molecule", m.name)
        t["knowledge"] = m.source or "none"
        t["channels"] = channels_used(m, pipe.cfg) + ("+text" if texts is not None else "")
        t["on_label"], t["label_frequency"] = label_columns(pipe.support, m, t["side_effect"])
        tables.append(t.reset_index(drop=True))
    if not explain:
        return tables, None
    idx = [[pipe.support.se_names.index(x) for x in t["side_effect"]] for t in tables]
    return tables, pipe.explain(mg, idx)
