"""Node features: fold-independent encoder inputs, and per-fold tuned vectors with their drug tower."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ..config import Config
from ..contrastive.stage import run_contrastive
from ..contrastive.towers import Standardize
from ..devices import resolve_device
from ..errors import UserError
from ..graph.similarity import mix_blocks, tanimoto_between, tanimoto_matrix
from .knowledge import DrugKnowledge, similarity_of, weighted_similarity
from .tower import DrugTower


@dataclass
class Inputs:
    """Everything fold-independent: raw encoder output X_drug [n_drug, d], X_se [n_se, d'],
    structure fingerprints [n_drug, bits], their Tanimoto matrix [n_drug, n_drug], and each drug's
    ATC classes and target ids (None when the processed benchmark predates them)."""

    X_drug: np.ndarray
    X_se: np.ndarray
    fingerprints: np.ndarray
    tanimoto: np.ndarray
    identities: dict = field(default_factory=dict)
    knowledge: DrugKnowledge | None = None
    student: Any = None  # fast_path: the distilled SMILES encoder (`pretraining.student.Distilled`), label-free

    # [n_drug, n_drug] Tanimoto of each structure fingerprint (encoders.drug.structure), when several
    tanimoto_blocks: list[np.ndarray] | None = None

    def structure(self, others: float | None = None) -> np.ndarray:
        """The structure similarity with each fingerprint after the first weighted `others` (None: as
        loaded); the same values as `tanimoto_matrix` of the fingerprints under those weights."""
        if others is None or not self.tanimoto_blocks:
            return self.tanimoto
        return mix_blocks(self.tanimoto_blocks, (1.0,) + (float(others),) * (len(self.tanimoto_blocks) - 1))

    def similarity(self, weights: dict[str, float], others: float | None = None) -> np.ndarray:
        """[n_drug, n_drug] drug similarity under channel weights (see `weighted_similarity`); others:
        the structure fingerprints' weight after the first (`structure`)."""
        return weighted_similarity(self.structure(others), self.knowledge, weights)


@dataclass
class NodeFeatures:
    """One fold's node vectors x_drug [n_drug, d], x_se [n_se, d], the drug-drug similarity S_drug
    [n_drug, n_drug] the kNN edges rank by, and the tower that maps a new drug the same way."""

    x_drug: np.ndarray
    x_se: np.ndarray
    S_drug: np.ndarray
    tower: DrugTower
    info: dict | None = None  # the contrastive stage's record (None without it)
    identities: dict = field(default_factory=dict)  # encoder identities the raw vectors came from
    raw_drug: np.ndarray | None = None  # lora/full: the frozen LM's vectors the joint fine-tuning starts from


def contrastive_stage(
    inputs: Inputs, R: np.ndarray, fit_idx: np.ndarray, cfg: Config, smiles: list[str], seed: int, progress: bool = True
):
    """The contrastive stage of `cfg` on the fit drugs' rows of R (a ContrastiveResult)."""
    dev = str(resolve_device(cfg.device))
    return run_contrastive(
        R, fit_idx, inputs.X_drug, inputs.X_se, cfg.contrastive, seed, smiles, cfg.encoders.drug, progress, dev
    )


def fit_features(
    inputs: Inputs, R: np.ndarray, fit_idx: np.ndarray, cfg: Config, smiles: list[str], seed: int, progress: bool = True
) -> NodeFeatures:
    """Features that depend only on fit drugs' labels (statistics and pairs never read other rows).

    lora/full modes: the contrastive stage tunes heads over the frozen LM here; the LM itself is
    fine-tuned end to end with the link model afterwards (pipeline.joint), from `raw_drug`."""
    raw = None
    if cfg.contrastive.enabled:
        c = cfg.contrastive
        joint = c.mode in ("lora", "full")
        if joint and (cfg.encoders.drug.kind != "lm" or cfg.encoders.drug.add_text):
            raise UserError(
                f"contrastive.mode {c.mode!r} fine-tunes the SMILES language model, which this drug encoder is not",
                "set encoders.drug.kind: lm and encoders.drug.add_text: false, or contrastive.mode: projection",
            )
        if joint:
            cfg = cfg.model_copy(update={"contrastive": c.model_copy(update={"mode": "projection"})})
            raw = inputs.X_drug
        res = contrastive_stage(inputs, R, fit_idx, cfg, smiles, seed, progress)
        x_drug, x_se, info = res.drug, res.se, res.info
        tower = DrugTower.from_contrastive(res, cfg.contrastive.mode, c.lora_r, c.lora_alpha)
    else:
        norm = Standardize.fit(inputs.X_drug[fit_idx])
        tower, info = DrugTower("standardize", norm), None
        x_drug = tower.transform(inputs.X_drug)
        seen = np.flatnonzero((R[fit_idx] > 0).any(0))
        x_se = Standardize.fit(inputs.X_se[seen])(torch.as_tensor(inputs.X_se, dtype=torch.float32)).numpy()
    g = cfg.graph
    S = similarity_of(g, x_drug, inputs.structure(cfg.encoders.drug.structure_others), inputs.knowledge)
    x_drug, x_se = x_drug.astype(np.float32), x_se.astype(np.float32)
    return NodeFeatures(x_drug, x_se, S, tower, info, dict(inputs.identities), raw)


def load_inputs(bench, cfg: Config, progress: bool = True) -> Inputs:
    """Embed drugs and side effects (cached) and compute the structure fingerprints (`encoders.drug.structure`)
    and their Tanimoto matrix."""
    from ..encoders.cache import EmbeddingCache
    from ..encoders.factory import embed_benchmark
    from ..encoders.fixed import structure_encoder

    cache = EmbeddingCache()
    X_drug, X_se, idents = embed_benchmark(bench, cfg.encoders, cache, progress, device=str(resolve_device(cfg.device)))
    d = cfg.encoders.drug
    fp = cache.embed(structure_encoder(d), bench.smiles, progress=False)
    student = fast_path_student(cfg, progress) if cfg.fast_path.enabled else None
    blocks = structure_blocks(fp, len(d.structure))
    T = mix_blocks(blocks, d.structure_weights) if blocks else tanimoto_matrix(fp)
    return Inputs(X_drug, X_se, fp, T, idents, DrugKnowledge.from_benchmark(bench), student, blocks)


def structure_blocks(fp: np.ndarray, n: int) -> list[np.ndarray] | None:
    """The Tanimoto matrix of each of the n fingerprints side by side in fp [n_drug, n * bits] (None
    for one): what a per-fold structure weight (knob w_fp) recombines without recomputing."""
    if n < 2:
        return None
    w = fp.shape[1] // n
    return [tanimoto_between(fp[:, j * w : (j + 1) * w], fp[:, j * w : (j + 1) * w]) for j in range(n)]


def fast_path_student(cfg: Config, progress: bool = True):
    """The student of the configured SMILES LM on the fast_path corpus (fitted once, then cached):
    unlabelled corpus molecules only, so one student serves every fold."""
    from ..encoders.factory import build_drug_encoder
    from ..paths import students_dir
    from ..pretraining.student import distil_corpus

    teacher = build_drug_encoder(cfg.encoders, str(resolve_device(cfg.device)))
    f, d = cfg.fast_path, cfg.encoders.drug
    return distil_corpus(
        teacher,
        teacher.identity,
        d.fp_radius,
        d.fp_bits,
        tuple(f.corpora),
        f.n,
        f.check,
        f.hidden,
        f.epochs,
        f.seed,
        progress,
        students_dir(),
    )
