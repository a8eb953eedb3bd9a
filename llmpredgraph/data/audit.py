"""Structure audit of the benchmark drugs: corrections, standardised keys, groups, DrugBank agreement."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from rdkit import Chem

from .corrections import CORRECTIONS, REVIEWED, VERSION, as_rows
from .drugbank import DrugBank, compare_structures
from .smiles import canonical
from .structures import Standardised, scaffold_groups, standardise, structure_groups


def apply_corrections(drugs: pd.DataFrame) -> pd.DataFrame:
    """Replace the structures listed in `corrections.CORRECTIONS`; a row whose current structure is
    not the one the correction was written for is an error (the table is out of date)."""
    drugs = drugs.copy()
    drugs["corrected"] = ""
    for c in CORRECTIONS:
        hit = np.flatnonzero(drugs["name"].to_numpy() == c.drug)
        if len(hit) != 1:
            raise ValueError(f"correction for {c.drug!r}: the benchmark has {len(hit)} drugs of that name")
        i = hit[0]
        std = standardise(drugs.at[i, "smiles"])
        if std is None or std.inchikey != c.wrong_inchikey:
            raise ValueError(f"correction for {c.drug!r} expects structure {c.wrong_inchikey}, found {std.inchikey if std else 'none'}")
        drugs.at[i, "smiles"], drugs.at[i, "canonical_smiles"] = c.smiles, canonical(c.smiles)
        drugs.at[i, "corrected"] = f"{c.reason} ({c.source})"
    return drugs


def add_structure_columns(drugs: pd.DataFrame) -> pd.DataFrame:
    """inchikey, connectivity, scaffold, structure_group and scaffold_group from the (corrected) SMILES."""
    drugs = drugs.copy()
    std = [standardise(s) if has else None for s, has in zip(drugs["canonical_smiles"].fillna(""), drugs["has_smiles"])]
    drugs["std_smiles"] = [s.smiles if s else "" for s in std]
    drugs["inchikey"] = [s.inchikey if s else "" for s in std]
    drugs["connectivity"] = [s.connectivity if s else "" for s in std]
    drugs["scaffold"] = [s.scaffold if s else "" for s in std]
    comps = [s.components if s else (f"none:{i}",) for i, s in enumerate(std)]
    drugs["structure_group"] = structure_groups(comps)
    drugs["scaffold_group"] = scaffold_groups(drugs["scaffold"].tolist(), drugs["structure_group"].to_numpy())
    return drugs


def drugbank_audit(drugs: pd.DataFrame, db: DrugBank | str | Path) -> tuple[pd.DataFrame, dict]:
    """Match every drug to DrugBank (a DrugBank or its folder) and compare structures. Returns the
    drugs with drugbank_id, drugbank_match and structure_check columns, and the audit report."""
    db = db if isinstance(db, DrugBank) else DrugBank.read(db)
    heavy = [Chem.MolFromSmiles(s).GetNumHeavyAtoms() if isinstance(s, str) and s else 0 for s in drugs["canonical_smiles"].fillna("")]
    m = db.match(drugs["name"].tolist(), drugs["cid"].tolist(), drugs["inchikey"].tolist(), heavy)
    drugs = drugs.copy()
    drugs["drugbank_id"], drugs["drugbank_match"] = m["drugbank_id"].to_numpy(), m["match"].to_numpy()
    levels, differing, no_structure = [], [], []
    for row in drugs.itertuples(index=False):
        if not row.drugbank_id or not row.has_smiles:
            levels.append("no DrugBank match" if row.has_smiles else "no SMILES")
            continue
        entry = db.drugs.loc[row.drugbank_id]
        # the benchmark side was standardised by add_structure_columns: reuse it
        std = Standardised(row.std_smiles, row.inchikey, row.connectivity, (), row.scaffold)
        level, sim, _ = compare_structures(std, entry["inchi"])
        levels.append(level)
        if level == "different":
            verdict = "corrected: " + row.corrected if row.corrected else REVIEWED.get(row.name, "not reviewed: kept as published")
            differing.append({"drug": row.name, "drugbank_id": row.drugbank_id, "tanimoto": sim, "verdict": verdict})
        elif level == "no DrugBank structure":
            no_structure.append(f"{row.name} ({entry['type']})")
    drugs["structure_check"] = levels
    learn = drugs[drugs["has_smiles"]]
    corrected = set(drugs.loc[drugs["corrected"] != "", "name"])
    # a corrected drug now agrees with DrugBank; its "different" row records what was wrong
    report = {
        "corrections_version": VERSION,
        "corrections": as_rows(),
        "drugbank_matches": {k: int(v) for k, v in learn["drugbank_match"].replace("", "none").value_counts().items()},
        "name_cid_conflicts": drugs.loc[m["name_cid_conflict"].to_numpy(), "name"].tolist(),
        "structure_agreement": {k: int(v) for k, v in learn["structure_check"].value_counts().items()},
        "structure_disagreements": differing + _was_wrong(drugs, db, corrected),
        "no_drugbank_structure": no_structure,
        "structure_groups": [sorted(g["name"]) for _, g in learn.groupby("structure_group") if len(g) > 1],
        "scaffold_groups": int(learn["scaffold_group"].nunique()),
    }
    return drugs, report


def _was_wrong(drugs: pd.DataFrame, db: DrugBank, corrected: set[str]) -> list[dict]:
    """Corrected drugs agree with DrugBank after the fix; list them too, with what was replaced."""
    rows = []
    for c in CORRECTIONS:
        if c.drug in corrected:
            i = np.flatnonzero(drugs["name"].to_numpy() == c.drug)[0]
            level = drugs.at[i, "structure_check"]
            rows.append({"drug": c.drug, "drugbank_id": drugs.at[i, "drugbank_id"], "tanimoto": float("nan"),
                         "verdict": f"corrected (was {c.wrong_inchikey}): {c.reason}; now {level} with DrugBank"})
    return rows
