"""A tiny synthetic benchmark (about 20 drugs x 30 side effects, valid SMILES) for fast tests."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

from .benchmark import Benchmark, SiderLabels
from .audit import add_structure_columns
from .smiles import canonical, duplicate_groups

# Real, small molecules in a few chemical families, so structure carries signal.
SMILES = [
    "CCO", "CCCO", "CCCCO", "CC(C)O", "OCCO",
    "c1ccccc1", "Cc1ccccc1", "CCc1ccccc1", "Oc1ccccc1", "Nc1ccccc1",
    "CC(=O)O", "CCC(=O)O", "CCCC(=O)O", "OC(=O)CC(=O)O", "CC(=O)Oc1ccccc1C(=O)O",
    "CN", "CCN", "CCCN", "CN(C)C", "NCCN",
    "C1CCCCC1", "C1CCNCC1", "C1CCOCC1", "c1ccncc1",
]
SOCS = ["Gastrointestinal disorders", "Nervous system disorders", "Skin disorders"]


def synthetic_benchmark(n_drugs: int = 20, n_side_effects: int = 30, seed: int = 0) -> Benchmark:
    """Frequencies follow a drug family x side-effect group pattern plus noise."""
    if n_drugs > len(SMILES):
        raise ValueError(f"at most {len(SMILES)} synthetic drugs")
    rng = np.random.default_rng(seed)
    family = np.arange(n_drugs) // 5 % 4
    group = np.arange(n_side_effects) % len(SOCS)
    affinity = rng.normal(size=(4, len(SOCS)))
    logits = affinity[family][:, group] + 0.5 * rng.normal(size=(n_drugs, n_side_effects))
    known = logits > np.quantile(logits, 0.6)
    known[np.arange(n_drugs), rng.integers(0, n_side_effects, n_drugs)] = True  # every drug has a pair
    cls = np.clip(np.round(3 + 1.2 * logits), 1, 5).astype(np.uint8)
    R = np.where(known, cls, 0).astype(np.uint8)

    smiles = SMILES[:n_drugs]
    drugs = pd.DataFrame({
        "name": [f"drug{i:02d}" for i in range(n_drugs)],
        "cid": [f"CID{100000000 + i}" for i in range(n_drugs)],
        "smiles": smiles,
        "smiles_file_name": [f"drug{i:02d}" for i in range(n_drugs)],
        "misnamed": False,
        "canonical_smiles": [canonical(s) for s in smiles],
        "has_smiles": True,
    })
    drugs["dup_group"] = duplicate_groups(drugs["canonical_smiles"])
    drugs["corrected"] = ""
    drugs = add_structure_columns(drugs)
    drugs["atc"] = ["ABCN"[f] + "01AA0" + str(i % 10) for i, f in enumerate(family)]
    # family targets; the last drug has none (a drug unknown to DrugBank)
    drugs["text"] = [f"drug{i:02d}. A family {f} agent. ATC: family {f}." for i, f in enumerate(family)]
    drugs["text_full"] = [f"{t} It may cause effect {i % 7:02d}." for i, t in enumerate(drugs["text"])]
    drugs["proteins"] = [
        f"target:P{f}{i % 2}0000|enzyme:E{i % 3}00000" if i < n_drugs - 1 else "" for i, f in enumerate(family)
    ]

    g = nx.DiGraph()
    names, rows = [], []
    for k, soc in enumerate(SOCS):
        g.add_node(f"soc:{k}", level="soc", name=soc)
        g.add_node(f"hlgt:{k}", level="hlgt", name=f"{soc} group")
        g.add_edge(f"soc:{k}", f"hlgt:{k}")
    for j in range(n_side_effects):
        name, hlt = f"effect {j:02d}", f"hlt:{j % 6}"
        g.add_node(hlt, level="hlt", name=f"terms {j % 6}")
        g.add_edge(f"hlgt:{group[j]}", hlt) if (j % 6) % len(SOCS) == group[j] else None
        g.add_node(f"pt:{j}", level="pt", name=name)
        g.add_edge(hlt, f"pt:{j}")
        names.append(name)
        rows.append({"name": name, "pt_code": str(j), "hlt": f"terms {j % 6}", "hlgt": "", "soc": SOCS[group[j]],
                     "text": f"{name}. HLT: terms {j % 6}. SOC: {SOCS[group[j]]}"})
    ses = pd.DataFrame(rows)
    return Benchmark(R, drugs, ses, g, {"synthetic": {"seed": seed}}, synthetic_labels(R, drugs, ses, seed))


def synthetic_labels(R, drugs, ses, seed: int = 0, n_extra: int = 3) -> SiderLabels:
    """SIDER-like labels for the synthetic benchmark (their own random stream, so R is unchanged):
    every known pair and a random quarter of the others are mentioned, a few are indications,
    and `n_extra` drugs from the unused SMILES have mentions only."""
    rng = np.random.default_rng([seed, 31])
    n_drugs, n_se = R.shape
    more = rng.random(R.shape) < 0.25
    M = ((R > 0) | more).astype(np.uint8)
    I = (rng.random(R.shape) < 0.05).astype(np.uint8)
    spare = SMILES[n_drugs : n_drugs + n_extra]
    extra = pd.DataFrame({
        "name": [f"extra{i}" for i in range(len(spare))],
        "cid": [f"CID{200000000 + i}" for i in range(len(spare))],
        "smiles": spare,
        "canonical_smiles": [canonical(x) for x in spare],
        "has_smiles": True,
    })
    extra["dup_group"], extra["corrected"] = -1, ""
    extra = add_structure_columns(extra)
    fam = np.arange(len(spare)) % 4
    extra["atc"] = ["ABCN"[f] + "01AA09" for f in fam]
    extra["proteins"] = [f"target:P{f}00000" for f in fam]
    extra["text"] = extra["text_full"] = [f"extra{i}." for i in range(len(spare))]
    M_extra = (rng.random((len(spare), n_se)) < 0.4).astype(np.uint8)
    freq = pd.DataFrame({"cid": [drugs["cid"][0]], "side_effect": [ses["name"][int(np.flatnonzero(M[0])[0])]],
                         "texts": ["12%"], "lower": [0.12], "upper": [0.12]})
    return SiderLabels(M, I, extra, M_extra, freq)
