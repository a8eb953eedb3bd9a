"""The Benchmark object every later stage takes: matrix, drug and side-effect tables, texts, hierarchy."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from ..atomic import atomic_path, sha256_file
from ..errors import UserError
from ..frequency import CLASSES, LISTED, has_class, is_high

FILES = ("R.npy", "drugs.csv", "side_effects.csv", "hierarchy.csv", "manifest.json")
# SIDER 4.1 labels beside R (optional: a folder prepared before them loads without)
LABEL_FILES = ("mentions.npy", "indications.npy", "extra_drugs.csv", "extra_mentions.npy", "label_frequencies.csv")


@dataclass
class Benchmark:
    """R[i, j] = 0 (unknown) or frequency class 1..5 of drug i and side effect j."""

    R: np.ndarray
    drugs: pd.DataFrame  # name, cid, smiles, canonical_smiles, has_smiles, atc, dup_group, ...
    side_effects: pd.DataFrame  # name, pt_code, text, hlt, hlgt, soc
    hierarchy: nx.DiGraph = field(default_factory=nx.DiGraph)
    manifest: dict = field(default_factory=dict)
    labels: "SiderLabels | None" = None  # SIDER 4.1 mentions, indications, extra drugs, label frequencies

    def __post_init__(self):
        if self.R.shape != (len(self.drugs), len(self.side_effects)):
            raise ValueError(
                f"R shape {self.R.shape} does not match {len(self.drugs)} drugs x {len(self.side_effects)} side effects"
            )
        if self.labels is not None and "extra" not in self.drugs and self.labels.mentions.shape != self.R.shape:
            raise ValueError(f"mentions shape {self.labels.mentions.shape} does not match R {self.R.shape}")

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
        return self._rows(keep)

    def _rows(self, keep: np.ndarray) -> "Benchmark":
        # once with_labels has folded the mentions into R, only the frequency table (keyed by cid) is read
        expanded = "extra" in self.drugs.columns
        labels = self.labels.rows(keep) if self.labels is not None and not expanded else self.labels
        drugs = self.drugs[keep].reset_index(drop=True)
        return Benchmark(self.R[keep].copy(), drugs, self.side_effects, self.hierarchy, self.manifest, labels)

    @property
    def is_extra(self) -> np.ndarray:
        """[n_drug] True for drugs that joined from SIDER without benchmark labels (never tested)."""
        if "extra" not in self.drugs.columns:
            return np.zeros(self.n_drugs, dtype=bool)
        return self.drugs["extra"].to_numpy(bool)

    def benchmark_drugs(self) -> "Benchmark":
        """Only the benchmark's own drugs (the extra SIDER drugs left out): what folds test."""
        return self._rows(~self.is_extra) if self.is_extra.any() else self

    def with_labels(self, association: str = "benchmark", extra_drugs: bool = False) -> "Benchmark":
        """The benchmark whose R is the label matrix the protocols read. association 'benchmark': R
        as published; 'mentions': R's classes, and LISTED where SIDER lists a pair R leaves at 0.
        extra_drugs: the SIDER drugs outside the benchmark appended as rows (drugs['extra'] True),
        all LISTED. The frequency labels are always R's classes (`frequency.classes_only`)."""
        if association == "benchmark":
            return self
        if self.labels is None:
            raise UserError(
                "labels.association: mentions needs the SIDER 4.1 label files, which this processed benchmark lacks",
                "run `llmpredgraph data fetch && llmpredgraph data prepare` again, or set labels.association: benchmark",
            )
        lab = self.labels
        R = np.where(self.R > 0, self.R, np.where(lab.mentions > 0, LISTED, 0)).astype(np.uint8)
        drugs = self.drugs.assign(extra=False)
        if extra_drugs and len(lab.extra):
            extra = lab.extra.copy()
            extra["structure_group"] = extra["structure_group"] + int(drugs["structure_group"].max()) + 1
            if "scaffold_group" in extra and "scaffold_group" in drugs:
                extra["scaffold_group"] = joint_scaffold_groups(drugs, extra)
            drugs = pd.concat([drugs, extra.assign(extra=True)], ignore_index=True)
            R = np.concatenate([R, np.where(lab.extra_mentions > 0, LISTED, 0).astype(np.uint8)])
        return Benchmark(R, drugs, self.side_effects, self.hierarchy, self.manifest, lab)

    def label_frequency(self, drug: int, se: int) -> str:
        """The frequency texts SIDER prints for drug row `drug` and side effect `se` ('' if none)."""
        return self.labels.frequency(str(self.drugs.at[drug, "cid"]), self.se_names[se]) if self.labels else ""

    def without(self, names: list[str]) -> tuple["Benchmark", list[str]]:
        """This benchmark without the named drugs and every drug sharing a structure group with one
        (a salt, an enantiomer: the same molecule for a model), and the names left out."""
        groups = self.drugs["structure_group"].to_numpy() if "structure_group" in self.drugs else None
        idx = [self.drug_index(n) for n in names]
        drop = np.isin(groups, groups[idx]) if groups is not None else np.isin(np.arange(self.n_drugs), idx)
        out = self._rows(~drop)
        return out, self.drugs.loc[drop, "name"].tolist()

    def drug_index(self, name: str) -> int:
        hits = np.flatnonzero(self.drugs["name"].str.lower().to_numpy() == name.lower())
        if len(hits) == 0:
            raise UserError(f"unknown drug {name!r}", "use a name from `llmpredgraph data stats` or pass its SMILES")
        return int(hits[0])

    def stats(self) -> dict:
        known = self.R > 0
        classes = self.R[has_class(self.R)]
        return {
            "drugs": int(self.n_drugs),
            "side_effects": int(self.n_side_effects),
            "known_pairs": int(known.sum()),
            "class_histogram": {int(c): int((classes == c).sum()) for c in CLASSES},
            "high_frequency_share": float(is_high(classes).mean()) if len(classes) else 0.0,
            "density": float(known.mean()),
            "listed_without_class": int((self.R == LISTED).sum()),
        }

    # --- persistence -------------------------------------------------------------------------
    def save(self, folder: str | Path) -> Path:
        """Write all files into `folder` atomically (the whole folder appears at once)."""
        folder = Path(folder)
        with atomic_path(folder, is_dir=True) as tmp:
            np.save(tmp / "R.npy", self.R.astype(np.uint8))
            self.drugs.to_csv(tmp / "drugs.csv", index=False)
            self.side_effects.to_csv(tmp / "side_effects.csv", index=False)
            edges = [
                (u, v, self.hierarchy.nodes[u].get("name", ""), self.hierarchy.nodes[v].get("name", ""))
                for u, v in self.hierarchy.edges
            ]
            pd.DataFrame(edges, columns=["parent", "child", "parent_name", "child_name"]).to_csv(
                tmp / "hierarchy.csv", index=False
            )
            written = list(FILES[:-1])
            if self.labels is not None:
                self.labels.save(tmp)
                written += list(LABEL_FILES)
            manifest = dict(self.manifest)
            manifest["outputs"] = {f: sha256_file(tmp / f) for f in written}
            manifest["stats"] = self.stats()
            (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n")
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> "Benchmark":
        folder = Path(folder)
        missing = [f for f in FILES if not (folder / f).is_file()]
        if missing:
            raise UserError(
                f"processed benchmark in {folder} is missing {', '.join(missing)}",
                "run `llmpredgraph data fetch && llmpredgraph data prepare`",
            )
        manifest = json.loads((folder / "manifest.json").read_text())
        for f, digest in manifest.get("outputs", {}).items():
            if sha256_file(folder / f) != digest:
                raise UserError(
                    f"processed file {folder / f} does not match its manifest (corrupt or edited)",
                    "run `llmpredgraph data prepare` again",
                )
        drugs = pd.read_csv(folder / "drugs.csv", keep_default_na=False, na_values=[""])
        drugs["has_smiles"] = drugs["has_smiles"].astype(bool)
        ses = pd.read_csv(folder / "side_effects.csv", keep_default_na=False)
        g = nx.DiGraph()
        for row in pd.read_csv(folder / "hierarchy.csv", keep_default_na=False).itertuples(index=False):
            g.add_node(row.parent, level=row.parent.split(":")[0], name=row.parent_name)
            g.add_node(row.child, level=row.child.split(":")[0], name=row.child_name)
            g.add_edge(row.parent, row.child)
        labels = SiderLabels.load(folder) if all((folder / f).is_file() for f in LABEL_FILES) else None
        return cls(np.load(folder / "R.npy"), drugs, ses, g, manifest, labels)


@dataclass
class SiderLabels:
    """SIDER 4.1 beside R. mentions / indications: [n_drug, n_se] uint8 (1 = the label lists the pair
    as a side effect / as an indication); extra: the SIDER drugs outside the benchmark with a
    structure (a drugs table of their own) and extra_mentions [n_extra, n_se]; frequencies: one row
    per (cid, side_effect name) with the label's frequency texts and their widest numeric bounds."""

    mentions: np.ndarray
    indications: np.ndarray
    extra: pd.DataFrame
    extra_mentions: np.ndarray
    frequencies: pd.DataFrame  # cid, side_effect, texts, lower, upper

    def rows(self, keep: np.ndarray) -> "SiderLabels":
        return SiderLabels(
            self.mentions[keep], self.indications[keep], self.extra, self.extra_mentions, self.frequencies
        )

    @cached_property
    def _by_pair(self) -> dict[tuple[str, str], str]:
        f = self.frequencies
        return dict(zip(zip(f["cid"].astype(str), f["side_effect"]), f["texts"]))

    def frequency(self, cid: str, se_name: str) -> str:
        """The frequency texts the label of `cid` prints for side effect `se_name` ('' if none)."""
        return self._by_pair.get((cid, se_name), "")

    def save(self, folder: Path) -> None:
        np.save(folder / "mentions.npy", self.mentions.astype(np.uint8))
        np.save(folder / "indications.npy", self.indications.astype(np.uint8))
        self.extra.to_csv(folder / "extra_drugs.csv", index=False)
        np.save(folder / "extra_mentions.npy", self.extra_mentions.astype(np.uint8))
        self.frequencies.to_csv(folder / "label_frequencies.csv", index=False)

    @classmethod
    def load(cls, folder: Path) -> "SiderLabels":
        extra = pd.read_csv(folder / "extra_drugs.csv", keep_default_na=False, na_values=[""])
        if "has_smiles" in extra:
            extra["has_smiles"] = extra["has_smiles"].astype(bool)
        return cls(
            np.load(folder / "mentions.npy"),
            np.load(folder / "indications.npy"),
            extra,
            np.load(folder / "extra_mentions.npy"),
            pd.read_csv(folder / "label_frequencies.csv", keep_default_na=False),
        )


def joint_scaffold_groups(drugs: pd.DataFrame, extra: pd.DataFrame) -> np.ndarray:
    """The extra drugs' scaffold groups beside the benchmark's: an extra group (drugs sharing a
    scaffold among themselves) whose Bemis-Murcko scaffold is a benchmark drug's joins that drug's
    group, so a scaffold fold leaves it out with its test drugs; the others get new ids. The
    benchmark's own groups, and so its folds, do not move (twins were left out when preparing, so
    an extra group holds one scaffold and joins at most one benchmark group)."""
    own = {s: g for s, g in zip(drugs["scaffold"], drugs["scaffold_group"]) if isinstance(s, str) and s}
    fresh = extra["scaffold_group"].to_numpy() + int(drugs["scaffold_group"].max()) + 1
    joined = {}
    for s, g in zip(extra["scaffold"], fresh):
        if isinstance(s, str) and s in own:
            joined.setdefault(g, own[s])
    return np.array([joined.get(g, g) for g in fresh], dtype=np.int64)
