"""The contrastive encoder stage: tune drug and side-effect vectors on training-drug pairs."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch

from ..config import ContrastiveCfg, DrugEncoderCfg
from ..errors import UserError
from ..progress import bar as progress_bar
from .losses import CombinedLoss
from .pairs import PairSet, build_pairs
from .towers import FrozenTower, LMTower, ProjectionHead, Standardize, adapt_lm, trainable_lm_state


@dataclass
class ContrastiveResult:
    drug: np.ndarray  # tuned vectors of every drug (test drugs only pass through the trained towers)
    se: np.ndarray
    drug_head: ProjectionHead | None = None  # projection mode: maps a new drug's raw vector inductively
    se_head: ProjectionHead | None = None
    lm_state: dict | None = None  # lora/full: trainable LM weights
    info: dict = field(default_factory=dict)


def _sample(ps: PairSet, n: int, rng: np.random.Generator, dev: torch.device):
    i = rng.integers(0, len(ps), size=min(n, len(ps)))
    return tuple(torch.as_tensor(x[i]).to(dev) for x in (ps.a, ps.b, ps.score, ps.positive))


def _lm_tower(
    mode: str, lm_cfg: DrugEncoderCfg, smiles: list[str], fit_idx: np.ndarray, cfg: ContrastiveCfg, device: str
):
    from ..encoders.smiles_lm import SmilesLMEncoder

    enc = SmilesLMEncoder(lm_cfg.model, lm_cfg.pooling, lm_cfg.max_length, lm_cfg.batch_size, device)
    model = adapt_lm(enc.model, mode, cfg.lora_r, cfg.lora_alpha)
    raw_fit = enc.encode([smiles[i] for i in fit_idx], model=model)
    head = ProjectionHead(Standardize.fit(raw_fit), raw_fit.shape[1], cfg.hidden, cfg.dim)
    return LMTower(enc, model, smiles, head)


def run_contrastive(
    R: np.ndarray,
    fit_idx: np.ndarray,
    X_drug: np.ndarray,
    X_se: np.ndarray,
    cfg: ContrastiveCfg,
    seed: int = 0,
    smiles: list[str] | None = None,
    lm_cfg: DrugEncoderCfg | None = None,
    progress: bool = True,
    device: str = "cpu",
) -> ContrastiveResult:
    """Train towers on pairs from R[fit_idx] only, then project every drug and side effect. The
    towers train on `device` (bf16 autocast for the LM on CUDA); results come back as CPU arrays."""
    dev = torch.device(device)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    fit_idx = np.asarray(fit_idx)
    kinds = [k for k in ("drug_drug", "se_se", "drug_se") if getattr(cfg.pairs, k)]
    if not kinds:
        raise UserError(
            "the contrastive stage has every pair type switched off",
            "enable one of contrastive.pairs.*, or set contrastive.enabled: false",
        )
    pairs = build_pairs(R, fit_idx, kinds, cfg.pairs.per_anchor, seed)
    se_seen = np.flatnonzero((R[fit_idx] > 0).any(0))
    se_head = ProjectionHead(Standardize.fit(X_se[se_seen]), X_se.shape[1], cfg.hidden, cfg.dim)
    se_tower = FrozenTower(X_se, se_head)
    lm_mode = cfg.mode in ("lora", "full")
    if lm_mode:
        if smiles is None or lm_cfg is None or lm_cfg.kind != "lm":
            raise UserError(
                f"contrastive mode {cfg.mode!r} needs a SMILES language model",
                "set encoders.drug.kind: lm or contrastive.mode: projection",
            )
        drug_tower = _lm_tower(cfg.mode, lm_cfg, smiles, fit_idx, cfg, device)
        steps = cfg.lm_steps
    else:
        drug_tower = FrozenTower(
            X_drug, ProjectionHead(Standardize.fit(X_drug[fit_idx]), X_drug.shape[1], cfg.hidden, cfg.dim)
        )
        steps = cfg.steps
    drug_tower.to(dev), se_tower.to(dev)  # FrozenTower's X is a buffer: moves once
    towers = {"drug": drug_tower, "se": se_tower}
    sides = {"drug_drug": ("drug", "drug"), "se_se": ("se", "se"), "drug_se": ("drug", "se")}
    loss_fn = CombinedLoss(cfg.losses.cosent, cfg.losses.mnrl, cfg.losses.angle, cfg.scale)
    head_params = list(drug_tower.head.parameters()) + list(se_head.parameters())
    groups = [{"params": head_params, "lr": cfg.lr}]
    if lm_mode:
        groups.append({"params": [p for p in drug_tower.model.parameters() if p.requires_grad], "lr": cfg.lm_lr})
    opt = torch.optim.AdamW(groups, weight_decay=1e-4)
    history = []
    t0 = time.perf_counter()
    drug_tower.train(), se_tower.train()
    batch = cfg.lm_batch_size if lm_mode else cfg.batch_size
    for step in progress_bar(range(steps), desc=f"contrastive ({cfg.mode})", enabled=progress, leave=False):
        opt.zero_grad()
        total = 0.0
        for ps in pairs:
            a, b, score, pos = _sample(ps, batch, rng, dev)
            left, right = sides[ps.kind]
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=dev.type == "cuda"):
                za, zb = towers[left](a), towers[right](b)
            loss = loss_fn(za.float(), zb.float(), score, pos)
            if not torch.isfinite(loss):
                raise UserError(
                    f"contrastive loss became NaN/inf at step {step} ({cfg.mode} mode, {ps.kind} pairs)",
                    "lower contrastive.lr or contrastive.scale",
                )
            loss.backward()  # per pair type: frees each LM graph before the next (memory)
            total += float(loss.detach())
        opt.step()
        history.append(total)
    drug_tower.eval(), se_tower.eval()
    with torch.no_grad():
        if lm_mode:
            raw = drug_tower.encoder.encode(smiles, model=drug_tower.model)
            drug = drug_tower.head(torch.as_tensor(raw).to(dev)).cpu().numpy()
        else:
            drug = drug_tower(torch.arange(len(X_drug), device=dev)).cpu().numpy()
        se = se_tower(torch.arange(len(X_se), device=dev)).cpu().numpy()
    drug_tower.head.cpu(), se_head.cpu()  # kept for new molecules, which are mapped on the CPU
    info = {
        "mode": cfg.mode,
        "steps": steps,
        "pairs": {p.kind: len(p) for p in pairs},
        "seconds": time.perf_counter() - t0,
        "loss_first": history[0] if history else None,
        "loss_last": float(np.mean(history[-10:])) if history else None,
    }
    lm_state = {k: v.cpu() for k, v in trainable_lm_state(drug_tower.model, cfg.mode).items()} if lm_mode else None
    return ContrastiveResult(drug.astype(np.float32), se.astype(np.float32), drug_tower.head, se_head, lm_state, info)
