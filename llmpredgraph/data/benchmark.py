"""The Benchmark object every later stage takes: matrix, drug and side-effect tables, texts, hierarchy."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from ..atomic import atomic_path, sha256_file
from ..errors import UserError
from ..frequency import CLASSES, is_high

FILES = ("R.npy", "drugs.csv", "side_effects.csv", "hierarchy.csv", "manifest.json")


@dataclass
class Benchmark:
    """R[i, j] = 0 (unknown) or frequency class 1..5 of drug i and side effect j."""

    R: np.ndarray
    drugs: pd.DataFrame  # name, cid, smiles, canonical_smiles, has_smiles, atc, dup_group, ...
    side_effects: pd.DataFrame  # name, pt_code, text, hlt, hlgt, soc
    hierarchy: nx.DiGraph = field(default_factory=nx.DiGraph)
    manifest: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.R.shape != (len(self.drugs), len(self.side_effects)):
            raise ValueError(f"R shape {self.R.shape} does not match {len(self.drugs)} drugs x {len(self.side_effects)} side effects")

    @property
    def n_drugs(self) -> int:
        return self.R.shape[0]

    @property
    def n_side_effects(self) -> int:
        return self.R.shape[1]

    @property
    def drug_names(self) -> list[str]:
        return self.drugs["name"].tolist()

    @property
    def se_names(self) -> list[str]:
        return self.side_effects["name"].tolist()

    @property
    def smiles(self) -> list[str]:
        return self.drugs["canonical_smiles"].fillna("").tolist()

    @property
    def se_texts(self) -> list[str]:
        return self.side_effects["text"].tolist()

    def drug_texts_of(self, kind: str = "guarded") -> list[str]:
        """Drug texts: 'guarded' (the circularity-guarded DrugBank text, data/drug_text.py), 'full'
        (nothing removed) or 'short' ("name. ATC: codes", all a benchmark without DrugBank has)."""
        if kind != "short":
            col = "text" if kind == "guarded" else "text_full"
            if col not in self.drugs.columns:
                raise UserError(
                    f"the processed benchmark has no drug text column {col!r} (prepared by an older version)",
                    "run `llmpredgraph data prepare` again, or set encoders.drug.text: short",
                )
            return [str(t) for t in self.drugs[col]]
        atc = self.drugs["atc"].fillna("")
        return [f"{n}. ATC: {a}" if a else n for n, a in zip(self.drugs["name"], atc)]

    def learnable(self) -> "Benchmark":
        """Only the drugs that have a valid SMILES (the others cannot be embedded)."""
        keep = self.drugs["has_smiles"].to_numpy(bool)
        return Benchmark(self.R[keep].copy(), self.drugs[keep].reset_index(drop=True), self.side_effects, self.hierarchy, self.manifest)

    def without(self, names: list[str]) -> tuple["Benchmark", list[str]]:
        """This benchmark without the named drugs and every drug sharing a structure group with one
        (a salt, an enantiomer: the same molecule for a model), and the names left out."""
        groups = self.drugs["structure_group"].to_numpy() if "structure_group" in self.drugs else None
        idx = [self.drug_index(n) for n in names]
        drop = np.isin(groups, groups[idx]) if groups is not None else np.isin(np.arange(self.n_drugs), idx)
        keep = ~drop
        out = Benchmark(
            self.R[keep].copy(), self.drugs[keep].reset_index(drop=True), self.side_effects, self.hierarchy, self.manifest
        )
        return out, self.drugs.loc[drop, "name"].tolist()

    def drug_index(self, name: str) -> int:
        hits = np.flatnonzero(self.drugs["name"].str.lower().to_numpy() == name.lower())
        if len(hits) == 0:
            raise UserError(f"unknown drug {name!r}", "use a name from `llmpredgraph data stats` or pass its SMILES")
        return int(hits[0])

    def stats(self) -> dict:
        known = self.R > 0
        classes = self.R[known]
        return {
            "drugs": int(self.n_drugs),
            "side_effects": int(self.n_side_effects),
            "known_pairs": int(known.sum()),
            "class_histogram": {int(c): int((classes == c).sum()) for c in CLASSES},
            "high_frequency_share": float(is_high(classes).mean()) if len(classes) else 0.0,
            "density": float(known.mean()),
        }

    # --- persistence -------------------------------------------------------------------------
    def save(self, folder: str | Path) -> Path:
        """Write all files into `folder` atomically (the whole folder appears at once)."""
        folder = Path(folder)
        with atomic_path(folder, is_dir=True) as tmp:
            np.save(tmp / "R.npy", self.R.astype(np.uint8))
            self.drugs.to_csv(tmp / "drugs.csv", index=False)
            self.side_effects.to_csv(tmp / "side_effects.csv", index=False)
            edges = [(u, v, self.hierarchy.nodes[u].get("name", ""), self.hierarchy.nodes[v].get("name", "")) for u, v in self.hierarchy.edges]
            pd.DataFrame(edges, columns=["parent", "child", "parent_name", "child_name"]).to_csv(tmp / "hierarchy.csv", index=False)
            manifest = dict(self.manifest)
            manifest["outputs"] = {f: sha256_file(tmp / f) for f in FILES[:-1]}
            manifest["stats"] = self.stats()
            (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n")
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> "Benchmark":
        folder = Path(folder)
        missing = [f for f in FILES if not (folder / f).is_file()]
        if missing:
            raise UserError(f"processed benchmark in {folder} is missing {', '.join(missing)}", "run `llmpredgraph data fetch && llmpredgraph data prepare`")
        manifest = json.loads((folder / "manifest.json").read_text())
        for f, digest in manifest.get("outputs", {}).items():
            if sha256_file(folder / f) != digest:
                raise UserError(f"processed file {folder / f} does not match its manifest (corrupt or edited)", "run `llmpredgraph data prepare` again")
        drugs = pd.read_csv(folder / "drugs.csv", keep_default_na=False, na_values=[""])
        drugs["has_smiles"] = drugs["has_smiles"].astype(bool)
        ses = pd.read_csv(folder / "side_effects.csv", keep_default_na=False)
        g = nx.DiGraph()
        for row in pd.read_csv(folder / "hierarchy.csv", keep_default_na=False).itertuples(index=False):
            g.add_node(row.parent, level=row.parent.split(":")[0], name=row.parent_name)
            g.add_node(row.child, level=row.child.split(":")[0], name=row.child_name)
            g.add_edge(row.parent, row.child)
        return cls(np.load(folder / "R.npy"), drugs, ses, g, manifest)

