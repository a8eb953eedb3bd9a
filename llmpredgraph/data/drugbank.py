"""DrugBank 4.x extract (CC BY-NC 4.0): matching benchmark drugs and auditing their structures.

Matching order: exact name, PubChem CID, alias, InChIKey. The name wins over a CID hit: the
benchmark's STITCH "flat" ids merge stereoisomers (levofloxacin's id reaches ciprofloxacin).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator

from .structures import Standardised, standardise

MIN_KEY_ATOMS = 6  # InChIKey matches of tiny structures (salts, ions) are not identities
STITCH_OFFSET = 100_000_000  # benchmark CID1xxxxxxxx = PubChem CID xxxxxxxx


def norm_name(name: str) -> str:
    return " ".join(str(name).replace(".", " ").lower().split())


@dataclass
class DrugBank:
    drugs: pd.DataFrame  # drugbank_id, name, type, groups, atc_codes, categories, inchikey, inchi, description
    by_cid: dict[int, list[str]]
    by_alias: dict[str, list[str]]

    @classmethod
    def read(cls, folder: str | Path) -> DrugBank:
        folder = Path(folder)
        drugs = pd.read_csv(folder / "drugbank.tsv", sep="\t", dtype=str, keep_default_na=False)
        cids = pd.read_csv(folder / "pubchem-mapping.tsv", sep="\t", dtype=str, keep_default_na=False)
        by_cid: dict[int, list[str]] = {}
        for db, cid in cids.itertuples(index=False):
            if cid.strip().isdigit():
                by_cid.setdefault(int(cid), []).append(db)
        by_alias: dict[str, list[str]] = {}
        for db, names in json.loads((folder / "aliases.json").read_text()).items():
            for n in names:
                by_alias.setdefault(norm_name(n), []).append(db)
        return cls(drugs.set_index("drugbank_id", drop=False), by_cid, by_alias)

    @cached_property
    def by_name(self) -> dict[str, str]:
        return {norm_name(n): db for db, n in zip(self.drugs["drugbank_id"], self.drugs["name"])}

    @cached_property
    def by_key(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for db, key in zip(self.drugs["drugbank_id"], self.drugs["inchikey"]):
            if key:
                out.setdefault(key.removeprefix("InChIKey="), []).append(db)
        return out

    def match(self, names: list[str], cids: list[str], inchikeys: list[str], heavy_atoms: list[int]) -> pd.DataFrame:
        """drugbank_id and match method ('name', 'cid', 'alias', 'inchikey' or '') per benchmark drug;
        `name_cid_conflict` marks drugs whose CID points to another DrugBank entry than their name."""
        by_name, by_key = self.by_name, self.by_key
        rows = []
        for name, cid, key, atoms in zip(names, cids, inchikeys, heavy_atoms):
            via_cid = self.by_cid.get(_pubchem(cid), [])
            hits = [
                ("name", [by_name[norm_name(name)]] if norm_name(name) in by_name else []),
                ("cid", via_cid[:1] if len(via_cid) == 1 else []),
                ("alias", self.by_alias.get(norm_name(name), [])[:1] if len(set(self.by_alias.get(norm_name(name), []))) == 1 else []),
                ("inchikey", by_key.get(key, [])[:1] if key and atoms >= MIN_KEY_ATOMS and len(by_key.get(key, [])) == 1 else []),
            ]
            method, db = next(((m, h[0]) for m, h in hits if h), ("", ""))
            conflict = bool(hits[0][1] and via_cid and hits[0][1][0] not in via_cid)
            rows.append({"drugbank_id": db, "match": method, "name_cid_conflict": conflict})
        return pd.DataFrame(rows)


def cached_drugbank(folder: str | Path) -> DrugBank:
    """DrugBank.read once per process and version of the copy (`serve` looks molecules up per request)."""
    path = Path(folder).resolve()
    return _read_cached(str(path), (path / "drugbank.tsv").stat().st_mtime_ns)


@lru_cache(maxsize=2)
def _read_cached(folder: str, mtime_ns: int) -> DrugBank:
    return DrugBank.read(folder)


def _pubchem(cid: str) -> int:
    digits = "".join(ch for ch in str(cid) if ch.isdigit())
    return int(digits) - STITCH_OFFSET if digits else -1


def compare_structures(a: Standardised, drugbank_inchi: str) -> tuple[str, float, str]:
    """(level, Tanimoto, DrugBank SMILES) of a benchmark structure, already standardised, against
    DrugBank's: level 'identical' (full standardised InChIKey), 'connectivity' (same skeleton; salt,
    charge or stereo differ), 'different' (another skeleton), or 'no DrugBank structure'."""
    mol = Chem.MolFromInchi(drugbank_inchi) if drugbank_inchi else None
    b = standardise(Chem.MolToSmiles(mol)) if mol is not None else None
    if b is None:
        return "no DrugBank structure", float("nan"), ""
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    fps = [gen.GetFingerprint(Chem.MolFromSmiles(x.smiles)) for x in (a, b)]
    sim = DataStructs.TanimotoSimilarity(*fps)
    level = "identical" if a.inchikey == b.inchikey else "connectivity" if a.connectivity == b.connectivity else "different"
    return level, float(np.round(sim, 3)), b.smiles
