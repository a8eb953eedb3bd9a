"""Build encoders from config and embed the benchmark's drugs and side effects (through the cache)."""

from __future__ import annotations

import numpy as np

from ..config import EncodersCfg
from .base import Encoder
from .cache import EmbeddingCache
from .fixed import HashEncoder, MorganEncoder, OneHotEncoder


def build_drug_encoder(cfg: EncodersCfg, device: str = "cpu", onnx_file=None, onnx_identity=None) -> Encoder:
    """The configured drug encoder; `onnx_file` / `onnx_identity`: a model folder's exported SMILES LM."""
    d = cfg.drug
    if d.kind == "hash":
        return HashEncoder(cfg.hash_dim)
    if d.kind == "fingerprint":
        return MorganEncoder(d.fp_radius, d.fp_bits)
    from .smiles_lm import SmilesLMEncoder

    return SmilesLMEncoder(d.model, d.pooling, d.max_length, d.batch_size, device, d.runtime, onnx_file, onnx_identity)


def build_text_encoder(cfg: EncodersCfg, vocabulary: list[str] | None = None, device: str = "cpu") -> Encoder:
    t = cfg.side_effect
    if t.kind == "hash":
        return HashEncoder(cfg.hash_dim)
    if t.kind == "onehot":
        return OneHotEncoder(vocabulary or [])
    from .text import TextEncoder

    return TextEncoder(t.model, t.batch_size, device)


def embed_benchmark(
    bench,
    cfg: EncodersCfg,
    cache: EmbeddingCache | None = None,
    progress: bool = True,
    drug_enc: Encoder | None = None,
    device: str = "cpu",
) -> tuple[np.ndarray, np.ndarray, dict]:
    """(drug matrix, side-effect matrix, identities) for the benchmark, cached on disk; the language
    models run on `device` (a cache hit loads none)."""
    cache = cache or EmbeddingCache()
    drug_enc = drug_enc or build_drug_encoder(cfg, device)
    X_drug = cache.embed(drug_enc, bench.smiles, progress=progress)
    se_enc = build_text_encoder(cfg, vocabulary=bench.se_texts, device=device)
    X_se = cache.embed(se_enc, bench.se_texts, progress=progress)
    idents = {"drug": drug_enc.identity, "side_effect": se_enc.identity}
    if cfg.drug.add_text:
        text_enc = se_enc if cfg.side_effect.kind != "onehot" else drug_text_encoder(cfg)
        texts = bench.drug_texts_of(cfg.drug.text)
        X_drug = np.concatenate([X_drug, cache.embed(text_enc, texts, progress=progress)], axis=1)
        idents["drug_text"] = text_enc.identity
    return X_drug, X_se, idents


def drug_text_encoder(cfg: EncodersCfg) -> Encoder:
    """The encoder of drug texts: the side-effect text model (a sentence model when that is one-hot)."""
    if cfg.side_effect.kind != "onehot":
        return build_text_encoder(cfg)
    return build_text_encoder(
        cfg.model_copy(update={"side_effect": cfg.side_effect.model_copy(update={"kind": "text"})})
    )
