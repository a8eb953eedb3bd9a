"""Drug-drug similarity from structure and knowledge (ATC classes, protein targets): what kNN edges
and the neighbour baselines rank drugs by. Only drug attributes are read, never labels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse


@dataclass
class Channel:
    """S: [n, n] similarity in [0, 1]; has: [n] whether the drug has this channel at all."""

    S: np.ndarray
    has: np.ndarray


def set_jaccard(sets: list[list[str]]) -> Channel:
    """Jaccard similarity of per-drug item sets ([n] lists) -> Channel ([n, n]; 0 where a set is empty)."""
    vocab = {item: j for j, item in enumerate(sorted({x for s in sets for x in s}))}
    rows = [i for i, s in enumerate(sets) for _ in set(s)]
    cols = [vocab[x] for s in sets for x in set(s)]
    M = sparse.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(sets), max(len(vocab), 1)))
    inter = (M @ M.T).toarray()
    cnt = np.asarray(M.sum(1)).ravel()
    union = cnt[:, None] + cnt[None, :] - inter
    return Channel((inter / np.maximum(union, 1e-12)).astype(np.float32), cnt > 0)


def knowledge_channels(atc: list[list[str]], targets: list[list[str]]) -> dict[str, Channel]:
    """atc (Jaccard of ATC classes at levels 1-4) and target (Jaccard of target UniProt ids); the
    structure channel is the caller's Tanimoto matrix."""
    return {"atc": set_jaccard(atc), "target": set_jaccard(targets)}


def combine(channels: dict[str, Channel], weights: dict[str, float]) -> np.ndarray:
    """Weighted mean over the channels that *both* drugs have: [n, n].

    S(i, j) = sum_c w_c m_c(i, j) S_c(i, j) / sum_c w_c m_c(i, j), m_c(i, j) = has_c[i] and has_c[j].
    A drug without ATC or targets (a new molecule, a drug unknown to DrugBank) is compared on the
    channels it has, so missing knowledge neither helps nor hurts its neighbours' ranking."""
    unknown = [c for c, w in weights.items() if w and c not in channels]
    if unknown:
        raise ValueError(f"unknown similarity channel {unknown[0]!r}; channels: {', '.join(channels)}")
    num, den = 0.0, 0.0
    for name, ch in channels.items():
        w = float(weights.get(name, 0.0))
        if w <= 0:
            continue
        m = (ch.has[:, None] & ch.has[None, :]).astype(np.float32) * w
        num = num + m * ch.S
        den = den + m
    if isinstance(den, float):
        raise ValueError("similarity weights are all zero; give at least one channel a positive weight")
    return (num / np.maximum(den, 1e-12)).astype(np.float32)
