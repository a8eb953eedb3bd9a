"""`predict --explain` columns: each ranked side effect's evidence and score split, readable in the
table format and complete in CSV and JSON (see `pipeline.explain`)."""

from __future__ import annotations

from dataclasses import asdict

import pandas as pd

from ..frequency import LISTED, class_text
from ..pipeline.explanation import Evidence, Explanation
from ..reporting.molecule_report import ReportMolecule, ReportRow

SHOWN = 3  # evidence drugs in the table format; CSV and JSON keep every voter


def _short(e: Evidence) -> str:
    c = "listed" if e.known_class == LISTED else f"c{e.known_class}"
    return f"{e.drug} ({c}, sim {e.similarity:.2f}, {e.channel})"


def _full(e: Evidence) -> str:
    chans = ",".join(f"{c}={v:.3f}" for c, v in e.channels.items())
    return f"{e.drug}|{class_text(e.known_class)}|sim {e.similarity:.4f}|weight {e.weight:.4f}|{e.channel}|{chans}"


def explanation_columns(expls: list[Explanation], style: str) -> pd.DataFrame:
    """One row per explanation. style 'table': the prior, the learned correction, the ATC-class share
    and the first SHOWN evidence drugs; 'csv': every term and every voter ('; '-joined); 'json': the
    same with the evidence as a list of records."""
    rows = []
    for x in expls:
        share = x.atc_share
        row = {
            "assoc_prior": round(x.assoc_prior, 4),
            "assoc_correction": round(x.assoc_correction, 3),  # logit units
            "dsf_prior": round(x.dsf_prior, 3),
            "atc_share": "" if share is None else f"{share[1]:.2f} of {share[2]} in {share[0]}",
        }
        if style != "table":
            row |= {
                "dsf_base": round(x.dsf_base, 3),
                "dsf_neighbour_offset": round(x.dsf_neighbour_offset, 3),
                "dsf_neighbour_residual": round(x.dsf_neighbour_residual, 3),
                "dsf_correction": round(x.dsf_correction, 3),
                "dshf_prior": None if x.dshf_prior is None else round(x.dshf_prior, 4),
                "evidence_weight": round(sum(e.weight for e in x.evidence), 4),
            }
        if style == "json":
            row["evidence"] = [asdict(e) for e in x.evidence]
        elif style == "csv":
            row["evidence"] = "; ".join(_full(e) for e in x.evidence)
        else:
            more = len(x.evidence) - SHOWN
            row["evidence"] = "; ".join(_short(e) for e in x.evidence[:SHOWN]) + (f"; +{more} more" if more > 0 else "")
        rows.append(row)
    return pd.DataFrame(rows)


def report_molecule(m, table: pd.DataFrame, expls: list[Explanation], support) -> ReportMolecule:
    """One molecule's report section from its ranked table (predict's columns) and explanations."""
    soc = dict(zip(support.se_names, support.se_soc)) if support.se_soc else {}
    rows = [
        ReportRow(
            r.side_effect,
            soc.get(r.side_effect, ""),
            float(r.association_prob),
            float(r.expected_class),
            float(r.high_frequency_prob),
            [(e.drug, e.known_class, e.similarity, e.channel) for e in x.evidence],
            "" if x.atc_share is None else f"{x.atc_share[1]:.0%} of its {x.atc_share[2]} drugs in {x.atc_share[0]}",
        )
        for r, x in zip(table.itertuples(index=False), expls)
    ]
    return ReportMolecule(m.name, m.smiles, m.source or "none", str(table["channels"].iloc[0]), rows)
