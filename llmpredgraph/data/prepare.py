"""Build the processed benchmark from the raw files: matrix, aligned SMILES, texts, hierarchy, ATC."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import scipy.io as sio

from ..atomic import sha256_file
from ..paths import processed_dir, raw_dir
from .audit import add_structure_columns, apply_corrections, drugbank_audit
from .benchmark import Benchmark, SiderLabels
from .drugbank import DrugBank
from .fetch import verify_raw
from .knowledge import add_knowledge_columns
from .meddra import primary_socs, ancestors_by_level, pt_index, read_hierarchy, restrict_to
from .registry import RAW_FILES
from .sider import (
    FREQ_FILE,
    IND_FILE,
    SE_FILE,
    extra_drugs,
    merged_matrix,
    pair_matrix,
    read_frequencies,
    read_pt_pairs,
)
from .smiles import canonical, duplicate_groups


def _norm(name: str) -> str:
    return str(name).replace(".", " ").strip().lower()


def read_matrix(path: Path) -> tuple[np.ndarray, list[str], list[str]]:
    mat = sio.loadmat(path)
    flat = lambda arr: [str(x[0][0]) if len(x[0]) else "" for x in arr]  # noqa: E731
    return mat["R"].astype(np.uint8), flat(mat["drugs"]), flat(mat["sideeffects"])


def align_smiles(drug_names: list[str], id_table: pd.DataFrame, smiles_table: pd.DataFrame) -> pd.DataFrame:
    """Align SMILES to benchmark drugs by row order of the id table (whose names are Galeano's).

    Row i of the SMILES table is the same drug as row i of the id table; the SMILES table's own
    names are not trusted. A row is reported as mis-named when its SMILES-file name is another
    benchmark drug's name.
    """
    if len(id_table) != len(smiles_table):
        raise ValueError(f"id table has {len(id_table)} rows but SMILES table has {len(smiles_table)}")
    by_name = {_norm(n): i for i, n in enumerate(drug_names)}
    rows = {}
    for (id_name, cid), (sm_name, smi) in zip(
        id_table.iloc[:, :2].itertuples(index=False), smiles_table.iloc[:, :2].itertuples(index=False)
    ):
        key = _norm(id_name)
        if key not in by_name:
            raise ValueError(f"drug {id_name!r} of the id table is not in the benchmark")
        other = by_name.get(_norm(sm_name))
        rows[by_name[key]] = {
            "cid": str(cid),
            "smiles": str(smi),
            "smiles_file_name": str(sm_name),
            "misnamed": other is not None and other != by_name[key],
        }
    out = pd.DataFrame(
        [
            rows.get(i, {"cid": "", "smiles": "", "smiles_file_name": "", "misnamed": False})
            for i in range(len(drug_names))
        ]
    )
    out.insert(0, "name", drug_names)
    out["canonical_smiles"] = [canonical(s) if s else None for s in out["smiles"]]
    out["has_smiles"] = out["canonical_smiles"].notna()
    return out


def side_effect_table(se_names: list[str], hierarchy, primary: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per side effect: its PT code, every HLT, HLGT and SOC above it, its primary SOC
    (`primary`: PT code -> SOC name) and the text the side-effect encoder reads."""
    idx = pt_index(hierarchy)
    primary = primary or {}
    rows = []
    for name in se_names:
        node = idx.get(name.lower())
        anc = ancestors_by_level(hierarchy, node) if node else {"hlt": [], "hlgt": [], "soc": []}
        parts = [name]
        for lvl, label in (("hlt", "HLT"), ("hlgt", "HLGT"), ("soc", "SOC")):
            if anc[lvl]:
                parts.append(f"{label}: {'; '.join(anc[lvl])}")
        rows.append(
            {
                "name": name,
                "pt_code": node.split(":")[1] if node else "",
                "hlt": "|".join(anc["hlt"]),
                "hlgt": "|".join(anc["hlgt"]),
                "soc": "|".join(anc["soc"]),
                "primary_soc": primary.get(node.split(":")[1], "") if node else "",
                "text": ". ".join(parts),
            }
        )
    return pd.DataFrame(rows)


def prepare(raw: str | Path | None = None, out: str | Path | None = None) -> tuple[Benchmark, dict]:
    """Build and atomically write the processed benchmark. Returns it and the alignment report."""
    raw = verify_raw(raw)
    R, drug_names, se_names = read_matrix(raw / "galeano/FrequencyData.mat")
    ids = pd.read_excel(raw / "mgpred/drug_id.xlsx", header=None)
    smi = pd.read_excel(raw / "mgpred/drug_SMILES.xlsx", header=None)
    drugs = apply_corrections(align_smiles(drug_names, ids, smi))
    drugs["dup_group"] = duplicate_groups(drugs["canonical_smiles"])
    drugs = add_structure_columns(drugs)
    atc = pd.read_csv(raw / "atc/drug_atc.tsv", sep="\t", header=None, dtype=str)
    atc_by_cid = atc.groupby(0)[1].apply(lambda s: ";".join(sorted(set(s)))).to_dict()
    drugs["atc"] = [atc_by_cid.get(c, "") for c in drugs["cid"]]

    full = read_hierarchy(raw / "meddra")
    ses = side_effect_table(se_names, full, primary_socs(raw / "meddra"))
    pts = [f"pt:{c}" for c in ses["pt_code"] if c]
    hierarchy = restrict_to(full, pts)

    drugbank = DrugBank.read(raw / "drugbank")
    drugs, audit = drugbank_audit(drugs, drugbank)
    drugs, coverage = add_knowledge_columns(drugs, drugbank, raw, se_names)

    sup = pd.read_excel(raw / "mgpred/Sup_1.xlsx", header=None)
    d_idx = {n: i for i, n in enumerate(drug_names)}
    s_idx = {n: j for j, n in enumerate(se_names)}
    sup_agree = int(
        sum(R[d_idx[d], s_idx[s]] == c for d, s, c in sup.itertuples(index=False) if d in d_idx and s in s_idx)
    )

    labels, label_report = sider_labels(raw, drugs, se_names, R, drugbank)
    report = {
        "drugs_total": len(drug_names),
        "drugs_with_smiles": int(drugs["has_smiles"].sum()),
        "drugs_without_smiles": drugs.loc[~drugs["has_smiles"], "name"].tolist(),
        "misnamed_smiles_rows": [f"{r.smiles_file_name} -> {r.name}" for r in drugs[drugs["misnamed"]].itertuples()],
        "duplicate_structure_groups": [
            sorted(g["name"]) for _, g in drugs[drugs["dup_group"] >= 0].groupby("dup_group")
        ],
        "side_effects_without_meddra_pt": ses.loc[ses["pt_code"] == "", "name"].tolist(),
        "drugs_with_atc": int((drugs["atc"] != "").sum()),
        "sup1_rows": len(sup),
        "sup1_rows_matching_R": sup_agree,
        "known_pairs_learnable": int((R[drugs["has_smiles"].to_numpy(bool)] > 0).sum()),
        "structure_audit": audit,
        "knowledge_coverage": coverage,
        "sider": label_report,
    }
    manifest = {"inputs": {f.path: sha256_file(raw / f.path) for f in RAW_FILES}, "report": report}
    bench = Benchmark(R, drugs, ses, hierarchy, manifest, labels)
    bench.save(out if out is not None else processed_dir())
    return bench, report


def sider_labels(
    raw: Path, drugs: pd.DataFrame, se_names: list[str], R: np.ndarray, drugbank
) -> tuple[SiderLabels, dict]:
    """SIDER 4.1 mentions and indications of the benchmark drugs, the extra drugs (structure from
    DrugBank through the PubChem mapping, twins of benchmark drugs left out) with their knowledge
    and mentions, the label frequencies of every pair, and the audit numbers of docs/data.md."""
    se_pairs = read_pt_pairs(raw / SE_FILE)
    ind_pairs = read_pt_pairs(raw / IND_FILE, "indications")
    cids = drugs["cid"].tolist()
    M, I = pair_matrix(se_pairs, cids, se_names), pair_matrix(ind_pairs, cids, se_names)
    mapping = pd.read_csv(raw / "drugbank/pubchem-mapping.tsv", sep="\t", dtype=str, keep_default_na=False)
    extra, extra_report = extra_drugs(se_pairs, drugs[drugs["has_smiles"]], drugbank, mapping)
    extra["dup_group"], extra["corrected"] = -1, ""
    extra = add_structure_columns(extra)
    atc = pd.read_csv(raw / "atc/drug_atc.tsv", sep="\t", header=None, dtype=str)
    atc_by_cid = atc.groupby(0)[1].apply(lambda s: ";".join(sorted(set(s)))).to_dict()
    extra["atc"] = [
        ";".join(sorted({a for c in cell.split(";") for a in atc_by_cid.get(c, "").split(";") if a}))
        for c, cell in zip(extra["cid"], extra["cids"])
    ]
    extra["drugbank_match"] = "cid"
    extra, extra_coverage = add_knowledge_columns(extra, drugbank, raw, se_names)
    M_extra = merged_matrix(se_pairs, extra["cids"].tolist(), se_names)
    keep = M_extra.sum(1) > 0  # an extra drug with no mention on the benchmark's side effects teaches nothing
    extra, M_extra = extra[keep].reset_index(drop=True), M_extra[keep]
    all_cids = cids + extra["cid"].tolist()
    freq = read_frequencies(raw / FREQ_FILE, all_cids, se_names)
    freq = pd.DataFrame(
        {
            "cid": np.asarray(all_cids)[freq["drug"].to_numpy(int)],
            "side_effect": np.asarray(se_names)[freq["side_effect"].to_numpy(int)],
            "texts": freq["texts"],
            "lower": freq["lower"],
            "upper": freq["upper"],
        }
    )
    learn = drugs["has_smiles"].to_numpy(bool)
    known, listed = R[learn] > 0, M[learn] > 0
    ind = I[learn] > 0
    r_zero_freq = [
        (cid, se)
        for cid, se, t in zip(freq["cid"], freq["side_effect"], freq["texts"])
        if t.replace("postmarketing", "").strip("; ")
    ]
    d_idx, s_idx = {c: i for i, c in enumerate(cids)}, {s: j for j, s in enumerate(se_names)}
    report = {
        "benchmark_pairs_R": int(known.sum()),
        "benchmark_pairs_mentioned": int(listed.sum()),
        "benchmark_pairs_R_or_mentioned": int((known | listed).sum()),
        "R_pairs_not_mentioned": int((known & ~listed).sum()),
        "mentioned_pairs_not_in_R": int((listed & ~known).sum()),
        "drugs_with_mentions": int(listed.any(1).sum()),
        "indication_pairs": int(ind.sum()),
        "indications_also_mentioned": int((ind & listed).sum()),
        "indications_also_in_R": int((ind & known).sum()),
        "R_zero_pairs_with_a_label_frequency": int(
            sum(1 for c, s in r_zero_freq if c in d_idx and learn[d_idx[c]] and R[d_idx[c], s_idx[s]] == 0)
        ),
        "extra_drugs": {**extra_report, "kept_with_mentions": len(extra), "mentions": int(M_extra.sum())},
        "extra_knowledge": {k: v for k, v in extra_coverage.items() if k != "no_knowledge"},
    }
    return SiderLabels(M, I, extra, M_extra, freq), report
