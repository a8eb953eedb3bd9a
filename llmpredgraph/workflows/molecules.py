"""New molecules for `predict`: read and validate them (a bad CSV row is rejected with its reason),
attach optional knowledge (ATC codes, targets), given or looked up in a local DrugBank copy."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..data.knowledge import atc_classes
from ..data.structures import standard_smiles
from ..errors import UserError

ATC_CODE = re.compile(r"^[A-Z](\d\d([A-Z]([A-Z](\d\d)?)?)?)?$")  # A, A01, A01A, A01AA, A01AA01
UNIPROT = re.compile(r"^[A-Z0-9]{6,10}$")
_SPLIT = re.compile(r"[;,|\s]+")


@dataclass
class Molecule:
    name: str
    smiles: str  # standardised (data.structures.standard_smiles), as `screen` reads it
    atc: list[str] = field(default_factory=list)  # ATC codes
    targets: list[str] = field(default_factory=list)  # UniProt ids of targets
    proteins: list[str] = field(default_factory=list)  # 'category:uniprot' entries (targets and others)
    source: str = ""  # where the knowledge came from: "given", "DrugBank DBxxxxx" or ""
    description: str = ""  # free text about the drug (DrugBank's when looked up)


def parse_list(text: str | None, pattern: re.Pattern, what: str) -> list[str]:
    """'N02AA01, N02AB03' -> ['N02AA01', 'N02AB03']; a malformed item is a ValueError naming it."""
    items = [x.strip().upper() for x in _SPLIT.split(text or "") if x.strip()]
    bad = [x for x in items if not pattern.match(x)]
    if bad:
        raise ValueError(f"{bad[0]!r} is not {what}")
    return items


def molecule(
    name: str, smiles: str, atc: str | None = None, targets: str | None = None, description: str | None = None
) -> Molecule:
    """One validated molecule; ValueError with the reason when it is not usable."""
    can = standard_smiles(smiles)  # ValueError naming the problem
    codes = parse_list(atc, ATC_CODE, "an ATC code such as N02AA01")
    ids = parse_list(targets, UNIPROT, "a UniProt accession such as P35372")
    desc = (description or "").strip()
    source = "given" if codes or ids or desc else ""
    return Molecule(name, can, codes, ids, [f"target:{t}" for t in ids], source, desc)


def read_molecules(
    smiles: str | None,
    input_csv: str | None,
    atc: str | None = None,
    targets: str | None = None,
    name: str = "query",
    description: str | None = None,
) -> tuple[list[Molecule], pd.DataFrame]:
    """(valid molecules, rejected rows with their reason). One --smiles: any problem is an error. A CSV
    needs columns name,smiles and may have atc, targets, description; bad rows are rejected, the rest go on."""
    if smiles is not None:
        try:
            return [molecule(name, smiles, atc, targets, description)], _rejects([])
        except ValueError as e:
            raise UserError(f"{e} for {name}", "check the SMILES, --atc and --targets values") from None
    path = Path(input_csv)
    if not path.is_file():
        raise UserError(f"input file {path} not found", "pass an existing CSV with columns name,smiles")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.EmptyDataError, pd.errors.ParserError):
        raise UserError(
            f"input file {path} is empty or not CSV", "write a header line name,smiles and one molecule per line"
        ) from None
    if not {"name", "smiles"} <= set(df.columns):
        raise UserError(
            f"input file {path} needs columns name,smiles (has {', '.join(df.columns)})", "rename the columns"
        )
    if df.empty:
        raise UserError(f"input file {path} has no molecules", "add one line per molecule: name,smiles")
    mols, rejected = [], []
    for i, row in enumerate(df.to_dict("records")):
        try:
            mols.append(
                molecule(row["name"], row["smiles"], row.get("atc"), row.get("targets"), row.get("description"))
            )
        except ValueError as e:
            rejected.append({"row": i + 2, "name": row["name"], "smiles": row["smiles"], "reason": str(e)})
    if not mols:
        first = rejected[0]
        raise UserError(f"no usable molecule in {path}: row {first['row']}: {first['reason']}", "fix the rows")
    return mols, _rejects(rejected)


def _rejects(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["row", "name", "smiles", "reason"])


def attach_drugbank(mols: list[Molecule], folder: str | Path) -> list[Molecule]:
    """Molecules without given knowledge take ATC codes and targets from a local DrugBank copy
    (`data fetch` puts it in data/raw/drugbank) when their name or standardised InChIKey matches."""
    folder = Path(folder)
    if not (folder / "drugbank.tsv").is_file():
        return mols
    from rdkit import Chem

    from ..data.drugbank import cached_drugbank
    from ..data.knowledge import cached_protein_table, targets_of
    from ..data.structures import standardise

    todo = [m for m in mols if not m.source]
    if not todo:
        return mols
    db = cached_drugbank(folder)
    std = [standardise(m.smiles) for m in todo]
    heavy = [Chem.MolFromSmiles(m.smiles).GetNumHeavyAtoms() for m in todo]
    hits = db.match([m.name for m in todo], [""] * len(todo), [s.inchikey if s else "" for s in std], heavy)
    path = folder / "proteins.tsv"
    prot = cached_protein_table(str(path), path.stat().st_mtime_ns)
    for m, (db_id, how) in zip(todo, zip(hits["drugbank_id"], hits["match"])):
        if db_id:
            entry = db.drugs.loc[db_id]
            m.atc = [c for c in _SPLIT.split(entry["atc_codes"]) if c]
            m.proteins = prot.get(db_id, [])  # enzymes, carriers, transporters too, as for benchmark drugs
            m.targets = targets_of("|".join(m.proteins))
            m.description = entry["description"]
            m.source = f"DrugBank {db_id} ({how})"
    return mols


def knowledge_of(mols: list[Molecule]) -> tuple[list[list[str]], list[list[str]]]:
    """ATC classes (levels 1-4) and 'category:uniprot' entries per molecule, as the model reads them."""
    return [atc_classes(";".join(m.atc)) for m in mols], [list(m.proteins) for m in mols]


def channels_used(m: Molecule, cfg) -> str:
    """Which knowledge channels the model reads for this molecule: structure always; ATC and targets
    through the combined similarity or the ATC / protein nodes when the molecule has them."""
    g, used = cfg.graph, ["structure"]
    w = g.knn_weights if g.knn_similarity == "combined" else None
    if m.atc and ((w is not None and w.atc > 0) or g.atc_nodes):
        used.append("atc")
    if m.targets and ((w is not None and w.target > 0) or g.protein_nodes):
        used.append("target")
    return "+".join(used)


def molecule_texts(mols: list[Molecule], se_names: list[str], atc_names_file: str | Path) -> list[str]:
    """Each molecule's drug text built as `data prepare` builds it (name, guarded description, ATC
    path names from the WHO index when it is present locally, else the codes)."""
    from ..data.drug_text import atc_path, drug_text, se_name_pattern
    from ..data.knowledge import read_atc_names

    names = read_atc_names(atc_names_file) if Path(atc_names_file).is_file() else {}
    pattern = se_name_pattern(se_names)
    paths = lambda m: [atc_path(c, names, pattern) or c for c in m.atc]  # noqa: E731
    return [drug_text(m.name, m.description, "", paths(m), pattern)[0] for m in mols]
