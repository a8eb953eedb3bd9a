"""Drug-drug similarity from structure and knowledge (ATC classes, protein targets): what kNN edges
and the neighbour baselines rank drugs by. Only drug attributes are read, never labels. numpy and
scipy only: torch-free inference computes a new molecule's similarity here too."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse


def cosine_matrix(X: np.ndarray) -> np.ndarray:
    """X: [n, d] -> [n, n] cosine similarity (float32)."""
    U = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
    return (U @ U.T).astype(np.float32)


def tanimoto_matrix(F: np.ndarray, weights: tuple[float, ...] | None = None) -> np.ndarray:
    """F: [n, bits] fingerprints (non-zero = set) -> [n, n] Tanimoto similarity (float32); weights: of
    several fingerprints side by side (`tanimoto_between`)."""
    return tanimoto_between(F, F, weights)


def tanimoto_between(A: np.ndarray, B: np.ndarray, weights: tuple[float, ...] | None = None) -> np.ndarray:
    """A: [m, bits], B: [n, bits] fingerprints (non-zero = set) -> [m, n] Tanimoto similarity (float32).
    Bit counts are exact integers in float32, so the result does not depend on the product's order.

    weights (w_1..w_b), b > 1: the columns are b equal blocks, one fingerprint each, and the similarity
    is the weighted mean of their Tanimoto similarities (`mix_blocks`), each block on its own, so a
    fingerprint with many bits set does not outweigh the others."""
    if weights is not None and len(weights) > 1:
        b = len(weights)
        if A.shape[1] % b or B.shape[1] != A.shape[1]:
            raise ValueError(f"fingerprints of {A.shape[1]} and {B.shape[1]} columns do not split into {b} blocks")
        w = A.shape[1] // b
        return mix_blocks(
            [tanimoto_between(A[:, j * w : (j + 1) * w], B[:, j * w : (j + 1) * w]) for j in range(b)], weights
        )
    A, B = (A > 0).astype(np.float32), (B > 0).astype(np.float32)
    inter = A @ B.T
    ca, cb = A.sum(1), B.sum(1)
    return (inter / np.maximum(ca[:, None] + cb[None, :] - inter, 1e-12)).astype(np.float32)


def mix_blocks(parts: list[np.ndarray], weights: tuple[float, ...]) -> np.ndarray:
    """T = sum_j w_j T_j / sum_j w_j over per-fingerprint Tanimoto blocks T_j (all one shape), added in
    order: the one rule for whole matrices, new molecules' rows and the FAISS re-ranking, so they agree
    exactly. A zero weight leaves the other blocks' mean unchanged (w = (1, 0, 0): the first alone)."""
    total = parts[0] * np.float32(weights[0])
    for T, wj in zip(parts[1:], weights[1:]):
        total = total + T * np.float32(wj)
    return (total / np.float32(sum(weights))).astype(np.float32)


def drug_similarity(kind: str, x: np.ndarray, tanimoto: np.ndarray) -> np.ndarray:
    """[n, n] similarity that drug-drug kNN edges rank by (graph.knn_similarity): cosine of x [n, d],
    Tanimoto [n, n], or their mean."""
    if kind == "embedding":
        return cosine_matrix(x)
    if kind == "fingerprint":
        return tanimoto
    return (cosine_matrix(x) + tanimoto) / 2


def nearest_support(
    S: np.ndarray, query: np.ndarray, support: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each query drug's k most similar *support* drugs (never itself), as (src [q * k] support
    drugs, dst [q * k] query drugs, similarity [q * k]); S: [n_drug, n_drug]. The kNN edges'
    selection (`edges.knn_edges`); rows are selected independently, so a new molecule gets the same
    neighbours scored alone or among others."""
    query, support = np.asarray(query), np.asarray(support)
    sub = S[np.ix_(query, support)].copy()
    sub[query[:, None] == support[None, :]] = -np.inf  # no self loops
    k = min(k, len(support) - 1) if np.isin(query, support).any() else min(k, len(support))
    nbr, sim = top_k_rows(sub, k)
    return support[nbr].ravel(), np.repeat(query, k), sim.ravel()


def top_k_rows(sub: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """([rows, k] column indices, [rows, k] values) of each row's k largest values of sub (the kNN
    selection; each row on its own, so a row's neighbours do not depend on the other rows)."""
    nbr = np.argpartition(-sub, kth=k - 1, axis=1)[:, :k]
    return nbr, np.take_along_axis(sub, nbr, axis=1)


def own_assoc_kernel(
    k: int | None, power: float, assoc_k: int | None = None, assoc_power: float | None = None
) -> tuple[int | None, float] | None:
    """(k, power) of the association share's own neighbour kernel (`model.prior.assoc_k` /
    `assoc_power`, each None: the frequency priors' k or power), or None when it has none."""
    if assoc_k is None and assoc_power is None:
        return None
    return (k if assoc_k is None else assoc_k, power if assoc_power is None else assoc_power)


def neighbour_reach(n_support: int, knn_k: int, *prior_ks: int | None) -> int:
    """How many support neighbours a new molecule must index: the kNN edges' k, or more when a prior
    kernel reads more (k None: the kNN edges; 0: every support drug)."""
    return n_support if 0 in prior_ks else min(n_support, max([knn_k, *(k or 0 for k in prior_ks)]))


def stable_top(S: np.ndarray, k: int) -> np.ndarray:
    """[rows, k] column indices of each row's k largest values, ties broken by the lower index
    (what `torch.sort(..., descending=True, stable=True)` gives): new molecules' prior voters."""
    return np.argsort(-S, axis=1, kind="stable")[:, :k]


@dataclass
class Channel:
    """S: [n, n] similarity in [0, 1]; has: [n] whether the drug has this channel at all. A block of
    rows against other columns (new molecules against the support drugs): S [m, n], has [m] for the
    rows and has_cols [n] for the columns."""

    S: np.ndarray
    has: np.ndarray
    has_cols: np.ndarray | None = None


def _incidence(sets: list[list[str]], vocab: dict[str, int]):
    rows = [i for i, s in enumerate(sets) for _ in set(s)]
    cols = [vocab[x] for s in sets for x in set(s)]
    return sparse.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(sets), max(len(vocab), 1)))


def set_jaccard(sets: list[list[str]], cols: list[list[str]] | None = None) -> Channel:
    """Jaccard similarity of per-drug item sets ([n] lists) -> Channel ([n, n]; 0 where a set is
    empty); with cols ([k] lists), the block of `sets` against them ([n, k]; the same values as the
    rows and columns of the stacked sets' matrix: the counts are exact)."""
    other = sets if cols is None else cols
    vocab = {item: j for j, item in enumerate(sorted({x for s in (*sets, *other) for x in s}))}
    M = _incidence(sets, vocab)
    N = M if cols is None else _incidence(other, vocab)
    inter = (M @ N.T).toarray()
    cnt, cnt_cols = np.asarray(M.sum(1)).ravel(), np.asarray(N.sum(1)).ravel()
    union = cnt[:, None] + cnt_cols[None, :] - inter
    S = (inter / np.maximum(union, 1e-12)).astype(np.float32)
    return Channel(S, cnt > 0, None if cols is None else cnt_cols > 0)


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
        cols = ch.has if ch.has_cols is None else ch.has_cols
        m = (ch.has[:, None] & cols[None, :]).astype(np.float32) * w
        num = num + m * ch.S
        den = den + m
    if isinstance(den, float):
        raise ValueError("similarity weights are all zero; give at least one channel a positive weight")
    return (num / np.maximum(den, 1e-12)).astype(np.float32)
