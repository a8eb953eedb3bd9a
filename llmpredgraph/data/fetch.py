"""Get the raw files from a mirror folder or their pinned URLs, verifying every sha256."""

from __future__ import annotations

import os
import shutil
import urllib.request
from pathlib import Path
from typing import Iterable


from ..progress import bar as progress_bar
from ..atomic import atomic_path, sha256_file
from ..errors import UserError
from ..paths import raw_dir
from .registry import MIRROR_ENV, RAW_FILES, RawFile


def resolve_mirror(mirror: str | os.PathLike | None) -> Path | None:
    """The mirror folder from the argument or $LLMPREDGRAPH_DATA_MIRROR; None means download."""
    value = mirror if mirror is not None else os.environ.get(MIRROR_ENV)
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_dir():
        raise UserError(
            f"data mirror folder {path} does not exist",
            f"point --mirror or ${MIRROR_ENV} at a folder laid out like shared/data, or unset it to download",
        )
    return path


def _fetch_one(entry: RawFile, dest: Path, mirror: Path | None) -> str:
    """Copy or download one file into place atomically; returns 'ok', 'copied' or 'downloaded'."""
    if dest.exists() and sha256_file(dest) == entry.sha256:
        return "ok"
    with atomic_path(dest) as tmp:
        if mirror is not None:
            src = mirror / entry.path
            if not src.is_file():
                raise UserError(
                    f"{entry.path} is missing from the data mirror {mirror}",
                    f"restore it there, or unset ${MIRROR_ENV} to download it from {entry.url}",
                )
            shutil.copyfile(src, tmp)
            how = "copied"
        else:
            try:
                with urllib.request.urlopen(entry.url, timeout=60) as resp, open(tmp, "wb") as fh:
                    shutil.copyfileobj(resp, fh)
            except OSError as exc:
                raise UserError(
                    f"could not download {entry.path} from {entry.url} ({exc})",
                    f"check the network, or set ${MIRROR_ENV} to a folder holding the raw files",
                ) from exc
            how = "downloaded"
        got = sha256_file(tmp)
        if got != entry.sha256:
            where = mirror / entry.path if mirror is not None else entry.url
            raise UserError(
                f"checksum mismatch for {entry.path} (got {got[:12]}..., expected {entry.sha256[:12]}...) from {where}",
                "replace it with the published file (pinned URL and sha256 in llmpredgraph/data/registry.py, "
                "docs/data.md); nothing was written",
            )
    return how


def fetch_raw(
    mirror: str | os.PathLike | None = None,
    dest: str | os.PathLike | None = None,
    files: Iterable[RawFile] = RAW_FILES,
    progress: bool = True,
) -> dict[str, str]:
    """Fetch every raw file into `dest` (default data/raw). Returns {path: status}."""
    dest_root = Path(dest) if dest is not None else raw_dir()
    mirror_path = resolve_mirror(mirror)
    status = {}
    for entry in progress_bar(list(files), desc="fetch", unit="file", enabled=progress):
        status[entry.path] = _fetch_one(entry, dest_root / entry.path, mirror_path)
    return status


def verify_raw(root: str | os.PathLike | None = None) -> Path:
    """Check every raw file is present with the right hash; return the folder."""
    root = Path(root) if root is not None else raw_dir()
    for entry in RAW_FILES:
        path = root / entry.path
        if not path.is_file():
            raise UserError(f"raw file {path} is missing", "run `llmpredgraph data fetch` first")
        if sha256_file(path) != entry.sha256:
            raise UserError(f"raw file {path} has the wrong sha256", "run `llmpredgraph data fetch` to replace it")
    return root
