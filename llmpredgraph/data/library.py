"""Molecule libraries for `screen`, read in chunks so memory stays flat in the file's size:
.smi (SMILES, then an optional name, whitespace-separated, no header), .csv (a smiles column, any
case, and optionally name) and .parquet; .smi and .csv may be gzipped."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from ..errors import UserError

SUFFIXES = (".smi", ".smi.gz", ".csv", ".csv.gz", ".parquet")


def library_kind(path: str | Path) -> str:
    name = Path(path).name.lower()
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return suffix.split(".")[1]
    raise UserError(
        f"cannot read molecule library {Path(path).name}: unknown file type",
        f"give a file ending in one of {', '.join(SUFFIXES)}",
    )


def _columns(columns: list[str], path: Path) -> tuple[str, str | None]:
    """(the smiles column, the name column or None), matched case-insensitively."""
    lower = {c.lower(): c for c in columns}
    if "smiles" not in lower:
        raise UserError(
            f"molecule library {path.name} has no smiles column (has {', '.join(map(str, columns))})",
            "name the SMILES column 'smiles' (any case)",
        )
    return lower["smiles"], lower.get("name")


def _frame(smiles, names, start: int) -> pd.DataFrame:
    rows = range(start, start + len(smiles))
    smiles = ["" if s is None or s != s else str(s) for s in smiles]  # NaN -> '' (rejected later)
    names = [f"row {r + 1}" if n is None or n != n or n == "" else str(n) for r, n in zip(rows, names)]
    return pd.DataFrame({"row": list(rows), "name": names, "smiles": smiles})


def read_library(path: str | Path, chunk_size: int, limit: int | None = None) -> Iterator[pd.DataFrame]:
    """Chunks of columns row (0-based position in the file), name, smiles; at most `limit` molecules."""
    path = Path(path)
    kind = library_kind(path)
    if not path.is_file():
        raise UserError(f"molecule library {path} not found", "pass an existing .smi, .csv or .parquet file")
    if chunk_size < 1:
        raise UserError(f"chunk size {chunk_size} is not positive", "pass --chunk-size 1000 or another positive number")
    start = 0
    for smiles, names in _raw_chunks(path, kind, chunk_size):
        if limit is not None:
            smiles, names = smiles[: max(limit - start, 0)], names[: max(limit - start, 0)]
        if not len(smiles):
            return
        yield _frame(list(smiles), list(names), start)
        start += len(smiles)


def _raw_chunks(path: Path, kind: str, chunk_size: int):
    if kind == "parquet":
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        smi, name = _columns(pf.schema_arrow.names, path)
        for batch in pf.iter_batches(batch_size=chunk_size, columns=[smi] + ([name] if name else [])):
            cols = batch.to_pydict()
            yield cols[smi], cols[name] if name else [None] * batch.num_rows
        return
    try:
        if kind == "smi":
            # first field SMILES, the rest of the line the name
            reader = pd.read_csv(  # whole lines: a separator no SMILES or name contains, no quoting
                path, sep="\x1f", quoting=3, header=None, names=["line"], dtype=str, chunksize=chunk_size
            )
            for df in reader:
                parts = df["line"].str.strip().str.split(n=1, expand=True).reindex(columns=[0, 1])
                yield parts[0].tolist(), parts[1].tolist()
            return
        reader = pd.read_csv(path, dtype=str, keep_default_na=False, chunksize=chunk_size)
        for df in reader:
            smi, name = _columns(list(df.columns), path)
            yield df[smi].tolist(), df[name].tolist() if name else [None] * len(df)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as e:
        raise UserError(
            f"molecule library {path.name} is empty or unreadable ({str(e).splitlines()[0]})",
            "write one molecule per line: SMILES [name] (.smi) or a CSV with a smiles column",
        ) from None
