"""Drug knowledge beside structure: ATC classes, DrugBank proteins, categories and description text.

These are attributes of a drug, never labels, so a test drug keeps them. DrugBank content is
CC BY-NC 4.0; the WHO ATC index (atcd project) CC BY-NC-SA 4.0.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from .drug_text import atc_path, drug_text, se_name_pattern

ATC_PREFIXES = (1, 3, 4, 5)  # code lengths of ATC levels 1-4 (level 5, 7 characters, is the substance)


def atc_classes(codes: str) -> list[str]:
    """Sorted ATC classes at levels 1-4 of ';'-joined codes, e.g. 'N02AA01' -> N, N02, N02A, N02AA;
    a class code given by a user ('N02') contributes the levels it has."""
    out = {c[:n] for c in (x.strip() for x in str(codes).split(";")) for n in ATC_PREFIXES if c and len(c) >= n}
    return sorted(out)


def read_atc_names(path: str | Path) -> dict[str, str]:
    """ATC code -> name from the WHO index (one row per DDD route: the first name wins)."""
    t = pd.read_csv(path, dtype=str, keep_default_na=False)
    return dict(zip(t["atc_code"][::-1], t["atc_name"][::-1]))


def protein_table(path: str | Path, ids: list[str] | None = None) -> dict[str, list[str]]:
    """drugbank_id -> sorted 'category:uniprot' entries (target, enzyme, carrier, transporter); with
    ids, those drugs only. One vectorised pass (a per-drug groupby took 4 s of every `predict`)."""
    t = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    t = t[t["uniprot_id"] != ""]
    if ids is not None:
        t = t[t["drugbank_id"].isin(set(ids))]
    out: dict[str, set[str]] = {}
    for db, entry in zip(t["drugbank_id"], t["category"] + ":" + t["uniprot_id"]):
        out.setdefault(db, set()).add(entry)
    return {db: sorted(v) for db, v in out.items()}


@lru_cache(maxsize=4)
def cached_protein_table(path: str, mtime_ns: int) -> dict[str, list[str]]:
    """`protein_table` of every drug, read once per process and file version (`predict` and `serve`
    look new molecules up in it per request)."""
    return protein_table(path)


def targets_of(proteins: str) -> list[str]:
    """UniProt ids of the 'target' entries of a '|'-joined proteins cell."""
    return [p.split(":", 1)[1] for p in str(proteins).split("|") if p.startswith("target:")]


def add_knowledge_columns(drugs: pd.DataFrame, drugbank, raw: Path, se_names: list[str]) -> tuple[pd.DataFrame, dict]:
    """Adds atc (benchmark codes, DrugBank's where the benchmark has none), proteins, categories,
    text (the guarded drug text) and text_full (nothing removed). Returns them and channel coverage."""
    drugs = drugs.copy()
    entries = drugbank.drugs
    db = [entries.loc[i] if i else None for i in drugs["drugbank_id"].fillna("")]
    filled = [not a and e is not None and bool(e["atc_codes"]) for a, e in zip(drugs["atc"], db)]
    drugs["atc"] = [e["atc_codes"].replace("|", ";") if f else a for a, e, f in zip(drugs["atc"], db, filled)]
    prot = protein_table(raw / "drugbank/proteins.tsv")
    drugs["proteins"] = ["|".join(prot.get(i, [])) if i else "" for i in drugs["drugbank_id"].fillna("")]
    drugs["categories"] = [e["categories"] if e is not None else "" for e in db]
    names = read_atc_names(raw / "atc/who_atc_ddd_2026-04-25.csv")
    pattern = se_name_pattern(se_names)
    texts, full, removed = [], [], 0
    for row, e in zip(drugs.itertuples(index=False), db):
        desc = e["description"] if e is not None else ""
        codes = [c for c in str(row.atc).split(";") if c]
        text, n = drug_text(row.name, desc, row.categories, [atc_path(c, names, pattern) for c in codes], pattern)
        texts.append(text)
        full.append(drug_text(row.name, desc, row.categories, [atc_path(c, names) for c in codes], None)[0])
        removed += n
    drugs["text"], drugs["text_full"] = texts, full
    drugs["has_description"] = [e is not None and bool(e["description"]) for e in db]
    learn = drugs[drugs["has_smiles"]]
    has = {
        "atc": learn["atc"] != "",
        "targets": learn["proteins"].map(lambda p: bool(targets_of(p))),
        "description": learn["has_description"],
    }
    coverage = {
        "drugs": len(learn),
        **{c: int(h.sum()) for c, h in has.items()},
        "any_protein": int((learn["proteins"] != "").sum()),
        "categories": int((learn["categories"] != "").sum()),
        "atc_from_drugbank": int(pd.Series(filled)[drugs["has_smiles"].to_numpy(bool)].sum()),
        "no_knowledge": learn.loc[~(has["atc"] | has["targets"] | has["description"]), "name"].tolist(),
        "sentences_removed_by_guard": removed,
    }
    return drugs, coverage
