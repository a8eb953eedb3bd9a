"""Per-fold node features: contrastive tuning (or standardised raw vectors) and drug similarities."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..config import Config
from ..contrastive.stage import ContrastiveResult, run_contrastive
from ..contrastive.towers import Standardize
from ..graph.edges import drug_similarity


@dataclass
class Inputs:
    """Everything fold-independent: raw encoder output, fingerprints, fingerprint similarity."""

    X_drug: np.ndarray
    X_se: np.ndarray
    fingerprints: np.ndarray
    tanimoto: np.ndarray
    identities: dict = field(default_factory=dict)


@dataclass
class FoldFeatures:
    x_drug: np.ndarray
    x_se: np.ndarray
    S_drug: np.ndarray
    contrastive: ContrastiveResult | None


def fold_features(inputs: Inputs, R: np.ndarray, fit_idx: np.ndarray, cfg: Config, smiles: list[str], seed: int, progress: bool = True) -> FoldFeatures:
    """Features that depend only on fit drugs' labels (statistics and pairs never read other rows)."""
    res = None
    if cfg.contrastive.enabled:
        res = run_contrastive(R, fit_idx, inputs.X_drug, inputs.X_se, cfg.contrastive, seed, smiles, cfg.encoders.drug, progress)
        x_drug, x_se = res.drug, res.se
    else:
        x_drug = Standardize.fit(inputs.X_drug[fit_idx])(_t(inputs.X_drug)).numpy()
        seen = np.flatnonzero((R[fit_idx] > 0).any(0))
        x_se = Standardize.fit(inputs.X_se[seen])(_t(inputs.X_se)).numpy()
    S = drug_similarity(cfg.graph.knn_similarity, x_drug, inputs.tanimoto)
    return FoldFeatures(x_drug.astype(np.float32), x_se.astype(np.float32), S, res)


def _t(x):
    import torch

    return torch.as_tensor(x, dtype=torch.float32)


def load_inputs(bench, cfg: Config, progress: bool = True) -> Inputs:
    """Embed drugs and side effects (cached) and compute Morgan fingerprints and their Tanimoto matrix."""
    from ..encoders.cache import EmbeddingCache
    from ..encoders.factory import embed_benchmark
    from ..encoders.simple import MorganEncoder
    from ..graph.edges import tanimoto_matrix

    cache = EmbeddingCache()
    X_drug, X_se, idents = embed_benchmark(bench, cfg.encoders, cache, progress)
    fp = cache.embed(MorganEncoder(cfg.encoders.drug.fp_radius, cfg.encoders.drug.fp_bits), bench.smiles, progress=False)
    return Inputs(X_drug, X_se, fp, tanimoto_matrix(fp), idents)
