"""MedDRA hierarchy (SOC > HLGT > HLT > PT) read from the ASCII distribution files."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pandas as pd

LEVELS = ("soc", "hlgt", "hlt", "pt")


def _read(path: Path, cols: int) -> pd.DataFrame:
    df = pd.read_csv(path, sep="$", header=None, dtype=str, keep_default_na=False, encoding="latin-1")
    return df.iloc[:, :cols]


def read_hierarchy(meddra_dir: str | Path) -> nx.DiGraph:
    """Directed graph parent -> child over codes; node attrs: level, name."""
    d = Path(meddra_dir)
    g = nx.DiGraph()
    for level in LEVELS:
        for code, name in _read(d / f"{level}.asc", 2).itertuples(index=False):
            g.add_node(f"{level}:{code}", level=level, name=name)
    for parent, child in (("soc", "hlgt"), ("hlgt", "hlt"), ("hlt", "pt")):
        for p, c in _read(d / f"{parent}_{child}.asc", 2).itertuples(index=False):
            pn, cn = f"{parent}:{p}", f"{child}:{c}"
            if pn in g and cn in g:
                g.add_edge(pn, cn)
    return g


def primary_socs(meddra_dir: str | Path) -> dict[str, str]:
    """PT code -> the name of its primary SOC (pt.asc's fourth field), where the PT is classified
    (a PT sits under several SOCs; the primary one is where MedDRA counts it)."""
    d = Path(meddra_dir)
    socs = dict(_read(d / "soc.asc", 2).itertuples(index=False))
    pts = _read(d / "pt.asc", 4)
    return {code: socs.get(soc, "") for code, soc in zip(pts.iloc[:, 0], pts.iloc[:, 3])}


def pt_index(g: nx.DiGraph) -> dict[str, str]:
    """Lower-case PT name -> node id."""
    return {data["name"].lower(): n for n, data in g.nodes(data=True) if data["level"] == "pt"}


def ancestors_by_level(g: nx.DiGraph, node: str) -> dict[str, list[str]]:
    """Sorted names of every HLT, HLGT and SOC above a PT (a PT may sit under several HLTs)."""
    out: dict[str, set[str]] = {lvl: set() for lvl in LEVELS[:3]}
    for a in nx.ancestors(g, node):
        out[g.nodes[a]["level"]].add(g.nodes[a]["name"])
    return {lvl: sorted(v) for lvl, v in out.items()}


def restrict_to(g: nx.DiGraph, pts: list[str]) -> nx.DiGraph:
    """The sub-hierarchy spanned by the given PT nodes and their ancestors."""
    keep = set(pts)
    for p in pts:
        keep |= nx.ancestors(g, p)
    return g.subgraph(keep).copy()
