"""The `embed` command's work: embed the benchmark and report shapes, cache hits and [UNK] counts."""

from __future__ import annotations

import time

from ..config import Config
from ..data import load_benchmark
from ..encoders.cache import EmbeddingCache
from ..encoders.factory import build_drug_encoder, embed_benchmark
from ..errors import UserError


def embed_command(cfg: Config, check_unk: bool = True) -> list[str]:
    bench = load_benchmark(cfg.data, labels=cfg.labels)
    cache = EmbeddingCache()
    t0 = time.perf_counter()
    drug_enc = build_drug_encoder(cfg.encoders)  # one instance: the [UNK] check reuses its loaded model
    X_drug, X_se, idents = embed_benchmark(bench, cfg.encoders, cache, drug_enc=drug_enc)
    took = time.perf_counter() - t0
    lines = [
        f"drugs: {X_drug.shape[0]} x {X_drug.shape[1]}  ({idents['drug']})",
        f"side effects: {X_se.shape[0]} x {X_se.shape[1]}  ({idents['side_effect']})",
        f"cache: {cache.hits} hit(s), {cache.misses} miss(es) in {cache.root}; {took:.1f}s",
    ]
    if check_unk and cfg.encoders.drug.kind == "lm":
        unk = drug_enc.unk_count(bench.smiles)
        if unk:
            raise UserError(
                f"{unk} SMILES tokens map to [UNK] with {cfg.encoders.drug.model}",
                "use a checkpoint whose vocabulary covers these atoms",
            )
        lines.append("[UNK] tokens over all SMILES: 0")
    return lines
