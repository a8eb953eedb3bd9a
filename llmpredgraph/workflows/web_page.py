"""The page `serve` shows at /: a form (SMILES or drug names, or a CSV upload) and, after it is sent,
per molecule the ranked side effects (association, frequency class, lift, label), the report's
plots and evidence drugs (`reporting.molecule_report`), and the table as a CSV download.
Server-rendered HTML with inline CSS and no script: nothing to build, nothing fetched."""

from __future__ import annotations

import base64
import html

import pandas as pd

from ..frequency import CLASS_NAMES
from ..reporting.molecule_report import CSS, molecule_section
from .explain_table import report_molecule

PAGE_CSS = (
    CSS
    + """
form{display:grid;gap:8px;max-width:760px;margin:12px 0 20px}
textarea{font-family:ui-monospace,monospace;font-size:13px;min-height:70px;padding:6px}
.row{display:flex;gap:16px;align-items:center;font-size:13px}
button{width:max-content;padding:6px 18px;font-size:14px;background:#3b78c3;color:#fff;border:0;border-radius:4px}
.error{background:#fdecea;border:1px solid #f5c2bd;padding:8px 12px;border-radius:4px;max-width:760px}
.ranked td.n{font-variant-numeric:tabular-nums} a.dl{font-size:13px}
"""
)

COLUMNS = [  # predict's column -> the page's header
    ("rank", "rank"),
    ("side_effect", "side effect"),
    ("association_prob", "association"),
    ("lift", "lift"),
    ("predicted_class", "frequency class"),
    ("expected_class", "expected class"),
    ("high_frequency_prob", "P(class ≥ 4)"),
    ("on_label", "on the label"),
]


def page(model: str, query: str = "", top: int = 20, result: dict | None = None, error: str | None = None) -> str:
    """The whole page; result: `ModelService.predict(..., explain=True)`'s reply."""
    e = html.escape
    body = _form(query, top)
    if error:
        body += f'<p class="error" id="error">{e(error)}</p>'
    if result is not None:
        body += _results(result)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>llmpredgraph</title>'
        f'<meta name="viewport" content="width=device-width"><style>{PAGE_CSS}</style></head><body>'
        f"<h1>Side effects of a molecule</h1><p class='meta'>Model {e(model)} · "
        '<a href="/docs">HTTP API</a></p>'
        f"{body}</body></html>"
    )


def _form(query: str, top: int) -> str:
    e = html.escape
    return (
        '<form method="post" action="/" enctype="multipart/form-data">'
        '<label for="query">SMILES or drug names, one per line</label>'
        f'<textarea id="query" name="query" placeholder="CC(C)Cc1ccc(cc1)C(C)C(=O)O&#10;morphine">{e(query)}</textarea>'
        '<div class="row"><label>or a CSV with columns name,smiles (atc, targets optional) '
        '<input type="file" id="csv" name="csv" accept=".csv,text/csv"></label></div>'
        f'<div class="row"><label>side effects per molecule <input type="number" id="top" name="top" value="{top}"'
        ' min="1" max="994"></label><label>order by <select name="rank" id="rank"><option value="association">'
        'association</option><option value="lift">lift over a typical drug</option></select></label></div>'
        '<button type="submit" id="submit">Predict</button></form>'
    )


def _results(result: dict) -> str:
    e = html.escape
    tables, mols, expls = result["_tables"], result["_molecules"], result["_explanations"]
    parts = ['<div id="results">']
    if result["rejected"]:
        items = "".join(f"<li>{e(str(r['input']))}: {e(r['reason'])}</li>" for r in result["rejected"])
        parts.append(f'<div class="error" id="rejected">Not scored:<ul>{items}</ul></div>')
    csv = pd.concat(tables, ignore_index=True).to_csv(index=False)
    href = "data:text/csv;base64," + base64.b64encode(csv.encode()).decode()
    parts.append(f'<p><a class="dl" id="download" href="{href}" download="side_effects.csv">Download CSV</a></p>')
    for m, t, x in zip(mols, tables, expls):
        parts.append(f'<h2 class="molecule">{e(m.name)}</h2>{_ranked(t)}')
        parts.append(molecule_section(report_molecule(m, t, x, result["_support"])).split("</h2>", 1)[1])
    return "".join(parts) + "</div>"


def _ranked(t: pd.DataFrame) -> str:
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for _, h in COLUMNS)
    rows = []
    for r in t.itertuples(index=False):
        d = r._asdict()
        cls = int(d["predicted_class"])
        cells = [
            str(d["rank"]),
            e(d["side_effect"]),
            f"{d['association_prob']:.3f}",
            f"{d['lift']:.2f}",
            f"{cls} ({CLASS_NAMES.get(cls, '')})",
            f"{d['expected_class']:.2f}",
            f"{d['high_frequency_prob']:.3f}",
            e(str(d.get("on_label") or "")),
        ]
        rows.append("<tr>" + "".join(f'<td class="n">{c}</td>' for c in cells) + "</tr>")
    return f'<table class="ranked"><tr>{head}</tr>{"".join(rows)}</table>'
