"""`predict --report FILE.html`: one self-contained HTML page (inline CSS and SVG, no script, nothing
fetched when viewed). Per molecule: its structure (RDKit SVG), the knowledge channels used, and the
predicted side effects grouped by MedDRA system organ class, each as a bar of association
probability and of expected frequency class, with the training drugs that voted for it."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

CLASS_NAMES = {1: "very rare", 2: "rare", 3: "infrequent", 4: "frequent", 5: "very frequent"}


@dataclass
class ReportRow:
    side_effect: str
    soc: str  # system organ class ('' = not recorded)
    association_prob: float
    expected_class: float  # 1..5
    high_frequency_prob: float
    evidence: list[tuple[str, int, float, str]] = field(default_factory=list)  # drug, class, similarity, channel
    atc_share: str = ""


@dataclass
class ReportMolecule:
    name: str
    smiles: str
    knowledge: str  # where the knowledge came from ('none', 'given', 'DrugBank DB...')
    channels: str  # e.g. 'structure+atc+target'
    rows: list[ReportRow]


CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1c2430;background:#fff}
h1{font-size:22px;margin:0 0 4px} h2{font-size:18px;margin:28px 0 8px;border-top:2px solid #dde3ea;padding-top:16px}
h3{font-size:14px;margin:14px 0 4px;color:#44516a;text-transform:uppercase;letter-spacing:.04em}
.meta{color:#5b6678;font-size:13px}.head{display:flex;gap:24px;align-items:flex-start}
.mol{border:1px solid #dde3ea;border-radius:6px;background:#fafbfc}
table{border-collapse:collapse;font-size:13px;width:100%;table-layout:fixed}
td,th{padding:3px 6px;vertical-align:middle;text-align:left}
th{color:#5b6678;font-weight:600;border-bottom:1px solid #dde3ea} tr:nth-child(even) td{background:#f6f8fa}
.bar{position:relative;height:12px;width:160px;background:#eef1f5;border-radius:3px}
.fill{position:absolute;left:0;top:0;bottom:0;border-radius:3px}
.a{background:#3b78c3}.c{background:#d9822b}.num{font-variant-numeric:tabular-nums;width:42px}
.ev{color:#44516a;font-size:12px}.legend{font-size:12px;color:#5b6678;margin:8px 0}
"""


def structure_svg(smiles: str, size: int = 260) -> str:
    """The molecule drawn by RDKit as inline SVG ('' when it cannot be parsed)."""
    from rdkit import Chem
    from rdkit.Chem.Draw import rdMolDraw2D

    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return ""
    d = rdMolDraw2D.MolDraw2DSVG(size, size)
    d.drawOptions().clearBackground = False
    d.DrawMolecule(mol)
    d.FinishDrawing()
    svg = d.GetDrawingText()
    return svg[svg.index("<svg") :]  # drop the XML declaration: the SVG sits inside HTML


def _bar(value: float, lo: float, hi: float, kind: str) -> str:
    pct = 100 * min(max((value - lo) / (hi - lo), 0.0), 1.0)
    return f'<div class="bar"><div class="fill {kind}" style="width:{pct:.1f}%"></div></div>'


def _row(r: ReportRow) -> str:
    e = html.escape
    ev = ", ".join(f"{e(d)} (class {c}, sim {s:.2f}, {e(ch)})" for d, c, s, ch in r.evidence[:5])
    more = f" +{len(r.evidence) - 5} more" if len(r.evidence) > 5 else ""
    cls = CLASS_NAMES.get(int(round(r.expected_class)), "")
    return (
        f"<tr><td>{e(r.side_effect)}</td><td>{_bar(r.association_prob, 0, 1, 'a')}</td>"
        f'<td class="num">{r.association_prob:.2f}</td><td>{_bar(r.expected_class, 1, 5, "c")}</td>'
        f'<td class="num">{r.expected_class:.2f}</td><td>{e(cls)}</td>'
        f'<td class="ev">{ev or "no voting drug has it"}{more}'
        f"{'<br>ATC class: ' + e(r.atc_share) if r.atc_share else ''}</td></tr>"
    )


def molecule_section(m: ReportMolecule) -> str:
    e = html.escape
    groups: dict[str, list[ReportRow]] = {}
    for r in m.rows:  # a side effect in several SOCs is shown under its first
        groups.setdefault(r.soc.split("|")[0] or "SOC not recorded", []).append(r)
    order = sorted(groups, key=lambda g: -max(r.association_prob for r in groups[g]))
    cols = "".join(f'<col style="width:{w}">' for w in ("15%", "170px", "46px", "170px", "46px", "90px", "auto"))
    head = (
        f"<colgroup>{cols}</colgroup><tr><th>side effect</th><th>association</th><th></th>"
        "<th>expected class (1-5)</th><th></th>"
        "<th></th><th>evidence: training drugs that voted for it</th></tr>"
    )
    tables = "".join(f"<h3>{e(g)}</h3><table>{head}{''.join(_row(r) for r in groups[g])}</table>" for g in order)
    return (
        f'<h2>{e(m.name)}</h2><div class="head"><div class="mol">{structure_svg(m.smiles)}</div>'
        f'<div class="meta"><p><b>SMILES</b> {e(m.smiles)}</p><p><b>Knowledge</b> {e(m.knowledge)}</p>'
        f"<p><b>Channels used</b> {e(m.channels)}</p><p>{len(m.rows)} side effects shown, "
        f"{len(groups)} system organ classes</p></div></div>{tables}"
    )


def report_html(molecules: list[ReportMolecule], title: str, note: str = "") -> str:
    """The whole page as one string."""
    e = html.escape
    legend = (
        '<p class="legend">Blue: probability that the side effect occurs at all (association). '
        "Orange: expected frequency class, 1 very rare to 5 very frequent. Evidence: the training drugs "
        "whose votes make the model's prior, with their known class, similarity and the similarity "
        "channel that made them neighbours.</p>"
    )
    body = "".join(molecule_section(m) for m in molecules)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>'
        f"<style>{CSS}</style></head><body><h1>{e(title)}</h1><p class='meta'>{e(note)}</p>{legend}{body}</body></html>"
    )
