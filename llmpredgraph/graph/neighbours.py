"""FAISS index over the support drugs: each new molecule's k nearest support drugs without the dense
[molecules + drugs]^2 similarity matrix, so screening cost grows with the library, not its square.

Retrieval is by inner product on L2-normalised vectors (faiss.IndexFlatIP, exact), then the top
`candidates` are re-ranked by the model's own similarity, so the neighbours and their edge weights are
the ones the dense path gives whenever the true top k lie among the candidates (cosine and Tanimoto of
bit vectors rank nearly alike; `recall_at_k` measures it)."""

from __future__ import annotations

import numpy as np

KINDS = ("fingerprint", "embedding", "mean")


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.ascontiguousarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


class SupportIndex:
    """kNN of new molecules among support drugs by graph.knn_similarity ('fingerprint' = Tanimoto,
    'embedding' = cosine of drug vectors, 'mean' = their mean).

    x_support: [n, d] drug vectors; fp_support: [n, bits] fingerprints (either may be None when the
    kind does not read it); weights of b > 1 fingerprints: fp_support holds b fingerprints side by side
    and the Tanimoto is their weighted mean (`similarity.tanimoto_between`): candidates come from the
    cosine of the whole bit vectors, then are re-ranked by the exact mean."""

    def __init__(
        self,
        kind: str,
        x_support: np.ndarray | None,
        fp_support: np.ndarray | None,
        candidates: int = 128,
        weights: tuple[float, ...] | None = None,
    ):
        import faiss  # a declared dependency; imported here so the graph package loads without it

        if kind not in KINDS:
            raise ValueError(f"no FAISS index for similarity {kind!r}; kinds: {', '.join(KINDS)}")
        self.kind, self.candidates = kind, candidates
        self.weights = tuple(weights) if weights is not None and len(weights) > 1 else None
        self.x = None if x_support is None else _unit(x_support)
        if kind != "embedding":
            bits = (fp_support > 0).astype(np.float32)
            self.count = bits.sum(1)  # [n] bits set per support drug
            self.bits = bits if self.weights else None  # the exact mean's re-ranking reads them
        base = self.x if kind == "embedding" else _unit(bits)
        self.n = len(base)
        self.index = faiss.IndexFlatIP(base.shape[1])
        self.index.add(base)

    def search(self, x_query: np.ndarray | None, fp_query: np.ndarray | None, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(similarity [m, k] float32 descending, support row [m, k] int64) for m query molecules."""
        k = min(k, self.n)
        if self.kind == "embedding":
            sim, idx = self.index.search(_unit(x_query), k)
            return sim.astype(np.float32), idx.astype(np.int64)
        c = min(max(self.candidates, k), self.n)
        bits = (fp_query > 0).astype(np.float32)
        cos, cand = self.index.search(_unit(bits), c)  # [m, c] cosine of bit vectors
        if self.weights:
            sim = self._mean_tanimoto(bits, cand)
        else:
            qa, sb = bits.sum(1)[:, None], self.count[cand]
            inter = np.rint(cos * np.sqrt(qa * sb))  # shared bits: cosine = inter / sqrt(|a| |b|)
            sim = inter / np.maximum(qa + sb - inter, 1e-12)  # Tanimoto
        if self.kind == "mean":
            xq = _unit(x_query)
            sim = (sim + np.einsum("md,mcd->mc", xq, self.x[cand])) / 2
        top = np.argsort(-sim, axis=1, kind="stable")[:, :k]
        return np.take_along_axis(sim, top, 1).astype(np.float32), np.take_along_axis(cand, top, 1).astype(np.int64)

    def _mean_tanimoto(self, bits: np.ndarray, cand: np.ndarray, chunk: int = 16) -> np.ndarray:
        """[m, c] the exact mean block Tanimoto of query bits [m, bits] and their candidates [m, c] (in
        chunks of queries: the candidates' bits are [chunk, c, bits]); the same values as
        `tanimoto_between(..., weights)`: the counts are exact and `mix_blocks` adds the blocks alike."""
        from .similarity import mix_blocks

        w = bits.shape[1] // len(self.weights)
        out = np.empty(cand.shape, dtype=np.float32)
        for lo in range(0, len(bits), chunk):
            q, c = bits[lo : lo + chunk], self.bits[cand[lo : lo + chunk]]
            parts = []
            for j in range(len(self.weights)):
                qj, cj = q[:, j * w : (j + 1) * w], c[:, :, j * w : (j + 1) * w]
                inter = np.einsum("mb,mcb->mc", qj, cj)
                union = qj.sum(1)[:, None] + cj.sum(2) - inter
                parts.append((inter / np.maximum(union, 1e-12)).astype(np.float32))
            out[lo : lo + chunk] = mix_blocks(parts, self.weights)
        return out


def recall_at_k(found: np.ndarray, S_exact: np.ndarray, k: int) -> float:
    """Share of each query's exact top-k (by S_exact [m, n]) that `found` [m, k] contains, ties counted
    as found: a neighbour whose similarity equals the k-th exact value is as good as any other."""
    kth = -np.partition(-S_exact, k - 1, axis=1)[:, k - 1]
    got = np.take_along_axis(S_exact, found, 1) >= kth[:, None] - 1e-6
    return float(got.mean())
