"""SIDER 4.1 label mentions, frequencies and indications (Kuhn et al. 2016, CC BY-NC-SA 4.0).

R holds a frequency class where Galeano et al. found one; SIDER lists every side effect a label
mentions, with or without a frequency. Everything here is read at MedDRA PT level and matched to the
benchmark's side effects by lower-case name; drugs are STITCH flat ids (the benchmark's `cid`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from rdkit import Chem

from .drugbank import STITCH_OFFSET, DrugBank
from .structures import standardise

SE_FILE, FREQ_FILE, IND_FILE = (
    "sider/meddra_all_se.tsv.gz",
    "sider/meddra_freq.tsv.gz",
    "sider/meddra_all_indications.tsv.gz",
)


def read_pt_pairs(path: str | Path, kind: str = "se") -> pd.DataFrame:
    """Distinct (cid, term) PT-level pairs of a SIDER file (kind 'se' or 'indications'); term lower case."""
    t = pd.read_csv(path, sep="\t", header=None, dtype=str, keep_default_na=False)
    level, name = (3, 5) if kind == "se" else (4, 6)
    t = t[t[level] == "PT"]
    return pd.DataFrame({"cid": t[0], "term": t[name].str.lower()}).drop_duplicates().reset_index(drop=True)


def pair_matrix(pairs: pd.DataFrame, cids: list[str], se_names: list[str]) -> np.ndarray:
    """[len(cids), len(se_names)] uint8: 1 where SIDER lists the pair (names matched case-insensitively)."""
    d_idx = {c: i for i, c in enumerate(cids)}
    s_idx = {s.lower(): j for j, s in enumerate(se_names)}
    out = np.zeros((len(cids), len(se_names)), dtype=np.uint8)
    hit = pairs[pairs["cid"].isin(d_idx) & pairs["term"].isin(s_idx)]
    out[hit["cid"].map(d_idx).to_numpy(int), hit["term"].map(s_idx).to_numpy(int)] = 1
    return out


def read_frequencies(path: str | Path, cids: list[str], se_names: list[str]) -> pd.DataFrame:
    """The label frequencies of the drugs' pairs on the benchmark's side effects, one row per pair:
    drug (row index in cids), side_effect (column index), texts ('; '-joined distinct frequency
    texts as printed, placebo arms left out), lower / upper (the widest numeric bounds given)."""
    t = pd.read_csv(path, sep="\t", header=None, dtype=str, keep_default_na=False)
    t = t[(t[7] == "PT") & (t[3] != "placebo")]
    d_idx = {c: i for i, c in enumerate(cids)}
    s_idx = {s.lower(): j for j, s in enumerate(se_names)}
    t = t.assign(term=t[9].str.lower())
    t = t[t[0].isin(d_idx) & t["term"].isin(s_idx)]
    t = t.assign(drug=t[0].map(d_idx), side_effect=t["term"].map(s_idx))
    t = t.assign(lower=pd.to_numeric(t[5], errors="coerce"), upper=pd.to_numeric(t[6], errors="coerce"))
    g = t.groupby(["drug", "side_effect"])
    out = pd.DataFrame(
        {
            "texts": g[4].agg(lambda s: "; ".join(dict.fromkeys(x for x in s if x))),
            "lower": g["lower"].min(),
            "upper": g["upper"].max(),
        }
    ).reset_index()
    return out


def extra_drugs(
    se_pairs: pd.DataFrame, bench_drugs: pd.DataFrame, drugbank: DrugBank, mapping: pd.DataFrame
) -> tuple[pd.DataFrame, dict]:
    """SIDER drugs outside the benchmark with a structure: each STITCH id's PubChem CID goes through
    DrugBank's PubChem mapping to a DrugBank entry and its InChI. A drug whose skeleton
    (InChIKey connectivity) equals a benchmark drug's is a twin and is left out; extra drugs that
    share a skeleton are merged into the first (their mentions are united by the caller through
    `cids`). Returns a table like the benchmark's drugs (name, cid, smiles, canonical_smiles,
    has_smiles, drugbank_id, cids: ';'-joined STITCH ids merged into the row) and the counts."""
    bench_cids = set(bench_drugs["cid"])
    bench_keys = set(bench_drugs["connectivity"].dropna()) - {""}
    stitch = sorted(set(se_pairs["cid"]) - bench_cids)
    by_cid: dict[int, list[str]] = {}
    for db, cid in mapping.itertuples(index=False):
        if str(cid).strip().isdigit():
            by_cid.setdefault(int(cid), []).append(db)
    reasons = {"no DrugBank entry for the PubChem CID": 0, "several DrugBank entries": 0, "no usable structure": 0}
    twins, rows, seen = [], [], {}
    for s in stitch:
        dbs = sorted(set(by_cid.get(int(s[3:]) - STITCH_OFFSET, [])))
        if not dbs:
            reasons["no DrugBank entry for the PubChem CID"] += 1
            continue
        if len(dbs) > 1:
            reasons["several DrugBank entries"] += 1
            continue
        entry = drugbank.drugs.loc[dbs[0]]
        mol = Chem.MolFromInchi(entry["inchi"]) if entry["inchi"] else None
        std = standardise(Chem.MolToSmiles(mol)) if mol is not None else None
        if std is None:
            reasons["no usable structure"] += 1
            continue
        if std.connectivity in bench_keys:
            twins.append(entry["name"])
            continue
        if std.connectivity in seen:  # one molecule under two STITCH ids: merged
            rows[seen[std.connectivity]]["cids"] += ";" + s
            continue
        seen[std.connectivity] = len(rows)
        rows.append(
            {
                "name": entry["name"],
                "cid": s,
                "cids": s,
                "smiles": std.smiles,
                "canonical_smiles": std.smiles,
                "has_smiles": True,
                "drugbank_id": dbs[0],
            }
        )
    report = {
        "sider_drugs_outside_benchmark": len(stitch),
        "with_structure": len(rows),
        "benchmark_twins_left_out": sorted(twins),
        "without_structure": reasons,
    }
    return pd.DataFrame(rows), report


def merged_matrix(pairs: pd.DataFrame, cids_cells: list[str], se_names: list[str]) -> np.ndarray:
    """`pair_matrix` for rows that may carry several ';'-joined STITCH ids (merged extra drugs)."""
    flat = [(i, c) for i, cell in enumerate(cids_cells) for c in str(cell).split(";") if c]
    M = pair_matrix(pairs, [c for _, c in flat], se_names)
    out = np.zeros((len(cids_cells), len(se_names)), dtype=np.uint8)
    np.maximum.at(out, np.array([i for i, _ in flat], dtype=int), M) if flat else None
    return out
