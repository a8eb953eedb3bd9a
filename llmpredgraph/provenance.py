"""Which code produced a result: the git commit of the checkout (and whether it had uncommitted
changes), the package version and the main libraries, recorded beside every run."""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path

from . import __version__


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args], cwd=Path(__file__).resolve().parent, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def code_version() -> dict:
    """{'commit': sha or None (not a git checkout), 'dirty': uncommitted changes to tracked files,
    'version', 'python', 'torch'}."""
    import torch

    commit = _git("rev-parse", "HEAD")
    dirty = bool(_git("status", "--porcelain", "--untracked-files=no")) if commit else None
    return {
        "commit": commit,
        "dirty": dirty,
        "version": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
    }


def describe(v: dict) -> str:
    """One line for summaries: 'commit 1a2b3c4 (llmpredgraph 0.x, torch 2.x)', '+ uncommitted changes'."""
    what = f"commit {v['commit'][:12]}" if v.get("commit") else "no git checkout"
    dirty = " + uncommitted changes" if v.get("dirty") else ""
    return f"{what}{dirty} (llmpredgraph {v.get('version')}, torch {v.get('torch')})"
