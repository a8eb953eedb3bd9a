"""Versioned corrections of benchmark structures, applied by `data prepare` and printed by `data stats`.

Each row names the drug, the standardised InChIKey of the wrong structure it replaces (so a
correction never applies to a structure it was not written for), the corrected SMILES, its source
and why. Only structures of *another drug* are corrected; every other disagreement with DrugBank
is kept and listed with its verdict in the structure audit (see `REVIEWED`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

VERSION = 1


@dataclass(frozen=True)
class Correction:
    drug: str
    wrong_inchikey: str
    smiles: str
    source: str
    reason: str


CORRECTIONS: tuple[Correction, ...] = (
    Correction(
        "dexmethylphenidate",
        "CUHVIMMYOGQXCV-UHFFFAOYSA-N",
        "COC(=O)[C@H](c1ccccc1)[C@H]1CCCCN1",
        "DrugBank DB06701 (InChI)",
        "the benchmark row carries dexmedetomidine's structure",
    ),
    Correction(
        "levofloxacin",
        "MYSWGUAQZAJSOK-UHFFFAOYSA-N",
        "C[C@H]1COc2c(N3CCN(C)CC3)c(F)cc3c(=O)c(C(=O)O)cn1c23",
        "DrugBank DB01137 (InChI)",
        "the benchmark row carries ciprofloxacin's structure (its STITCH flat id reaches ciprofloxacin)",
    ),
)

# Benchmark structures whose skeleton differs from DrugBank's for the same drug, reviewed by hand
# (structure audit of DrugBank 4.x, standardised keys) and kept as published.
REVIEWED: dict[str, str] = {
    "arsenic trioxide": "same substance: ionic notation in the benchmark, covalent in DrugBank",
    "tigecycline": "same tetracycline: enol tautomer / zwitterion notation that canonicalisation does not unify",
    "minocycline": "same tetracycline: enol tautomer / zwitterion notation that canonicalisation does not unify",
    "conjugated estrogens": "a mixture: the benchmark holds equilin sulfate, DrugBank estrone sulfate (both components)",
    "mometasone": "the benchmark holds mometasone furoate, the ester in marketed products",
    "candesartan": "the benchmark holds candesartan cilexetil, the ester prodrug that is taken",
    "hydrocortisone": "the benchmark holds hydrocortisone butyrate, a marketed ester",
    "megestrol": "both are megestrol acetate; DrugBank 4.x draws the 6-methyl diene differently",
    "fludarabine": "the benchmark holds the nucleoside, DrugBank the 5'-phosphate prodrug that is infused",
    "iloprost": "the benchmark holds iloprost; DrugBank 4.x's structure carries an extra ester",
    "fluticasone": "the benchmark holds the parent steroid, DrugBank the propionate ester",
    "estramustine": "the benchmark holds estramustine phosphate, the marketed prodrug",
    "dexamethasone": "the benchmark holds dexamethasone phosphate, a marketed prodrug",
    "moexipril": "the benchmark holds moexiprilat, the active diacid of the ethyl-ester prodrug: kept, as fludarabine",
}


def as_rows() -> list[dict]:
    return [asdict(c) for c in CORRECTIONS]
