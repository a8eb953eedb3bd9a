"""End-to-end fine-tuning (contrastive.mode lora | full): the SMILES LM, the drug head and the link
model train together on the task loss, with the contrastive losses as weighted auxiliary terms.

Recipe: `Pipeline.fit` first trains the link model on the frozen LM's vectors; then `lm_steps` joint
steps each take the protocol's sample, keep `lm_batch_size` of its drugs and pass their SMILES through
the LM once; every other drug reads its vector from the last refresh. Every `lm_eval_every` steps all
drugs are re-encoded and the protocol's validator scores the model. The best state by validation (the
frozen start, step 0, included) is kept. Only rows of the support labels are read (the sampler's pairs
and the auxiliary pairs), so a cold fold's test drugs reach neither the LM nor the link model.
"""

from __future__ import annotations

import copy
import dataclasses
import time

import numpy as np
import torch

from ..contrastive.losses import CombinedLoss
from ..contrastive.pairs import build_pairs
from ..contrastive.towers import adapt_lm, trainable_lm_state
from ..devices import resolve_device
from ..errors import UserError
from ..metrics.registry import selection_score
from ..progress import bar as progress_bar
from .tower import DrugTower
from .training import Sampler, Validator, task_loss

DRUG_PAIRS = ("drug_drug", "drug_se")  # auxiliary pair kinds anchored on a drug of the mini-batch


class AuxiliaryPairs:
    """Contrastive pairs of the labelled drugs, drawn for the anchors of one drug mini-batch."""

    def __init__(self, cfg, R: np.ndarray, seed: int):
        kinds = [k for k in DRUG_PAIRS if getattr(cfg.pairs, k)]
        labelled = np.flatnonzero((R > 0).any(1))  # rows training may read: fit drugs (cold), all drugs (warm)
        self.sets = build_pairs(R, labelled, kinds, cfg.pairs.per_anchor, seed) if kinds and len(labelled) > 1 else []
        self.loss = CombinedLoss(cfg.losses.cosent, cfg.losses.mnrl, cfg.losses.angle, cfg.scale)
        self.batch = cfg.batch_size

    def __call__(self, x: torch.Tensor, x_se: torch.Tensor, batch: np.ndarray, rng) -> torch.Tensor:
        """x [n_drug, dim] drug vectors (rows of `batch` carry the LM's gradient), x_se [n_se, dim]."""
        total = x.new_zeros(())
        for ps in self.sets:
            rows = np.flatnonzero(np.isin(ps.a, batch))
            if len(rows) < 2:
                continue
            rows = rng.choice(rows, size=min(self.batch, len(rows)), replace=False)
            other = x if ps.kind == "drug_drug" else x_se
            a, b = (torch.as_tensor(v[rows], device=x.device) for v in (ps.a, ps.b))
            score, pos = (torch.as_tensor(v[rows], device=x.device) for v in (ps.score, ps.positive))
            total = total + self.loss(x[a], other[b], score, pos)
        return total


def fine_tune(
    pipe,
    sampler: Sampler,
    validate: Validator,
    seed: int,
    progress: bool = True,
    desc: str = "",
    labels: np.ndarray | None = None,
) -> dict:
    """Joint fine-tuning of `pipe` after its frozen fit; updates pipe.model, pipe.features (vectors and
    an 'lm' tower holding the adapters) and pipe.builder in place. Returns the phase's record.
    labels: what the auxiliary pairs may read (the split's R_fit: no validation or test rows)."""
    from ..encoders.factory import build_drug_encoder

    cfg, c, f = pipe.cfg, pipe.cfg.contrastive, pipe.features
    if f.raw_drug is None or f.tower.kind != "projection":
        raise UserError(
            "end-to-end fine-tuning needs the frozen LM vectors and a projection drug tower",
            "set encoders.drug.kind: lm, contrastive.enabled: true and encoders.drug.add_text: false",
        )
    dev = resolve_device(cfg.device)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed + 1)
    enc = build_drug_encoder(cfg.encoders, str(dev))  # the configured SMILES LM, on the device
    lm = adapt_lm(enc.model, c.mode, c.lora_r, c.lora_alpha).to(dev)
    head, model = copy.deepcopy(f.tower.head).to(dev), pipe.model.to(dev)
    smiles = list(pipe.support.drug_smiles)
    raw = torch.as_tensor(f.raw_drug, dtype=torch.float32, device=dev)
    x_se = torch.as_tensor(f.x_se, device=dev)
    aux = AuxiliaryPairs(c, pipe.support.R if labels is None else labels, seed)
    opt = torch.optim.AdamW(
        [
            {"params": list(model.parameters()), "lr": cfg.train.lr},
            {"params": list(head.parameters()), "lr": c.lr},
            {"params": [p for p in lm.parameters() if p.requires_grad], "lr": c.lm_lr},
        ],
        weight_decay=cfg.train.weight_decay,
    )
    snapshot = lambda step, score: {  # noqa: E731
        "step": step,
        "score": score,
        "model": copy.deepcopy(model.state_dict()),
        "head": copy.deepcopy(head.state_dict()),
        "lm": {k: v.detach().clone() for k, v in trainable_lm_state(lm, c.mode).items()},
        "raw": raw.clone(),
    }
    start = float(pipe.history.get("best_val_score", -np.inf))
    best, history, seqs, t0 = snapshot(0, start), [], 0, time.perf_counter()
    params = [p for g in opt.param_groups for p in g["params"]]
    bar = progress_bar(range(1, c.lm_steps + 1), desc=f"{desc} fine-tune ({c.mode})".strip(), enabled=progress)
    for step in bar:
        model.train(), head.train(), lm.train()
        data, dd, ss, pos_cls = sampler(rng)
        n_pos = len(pos_cls)
        drugs = np.unique(dd)
        batch = np.sort(rng.choice(drugs, size=min(c.lm_batch_size, len(drugs)), replace=False))
        keep = np.isin(dd, batch)  # the pairs of the mini-batch's drugs; positives stay first
        kp = int(keep[:n_pos].sum())
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=dev.type == "cuda"):
            pooled = enc.forward([smiles[i] for i in batch], lm)
        seqs += len(batch)
        x = head(raw.index_copy(0, torch.as_tensor(batch, device=dev), pooled.float()))
        data = data.to(dev)
        data["drug"].x = x
        label = torch.cat([torch.ones(kp), torch.zeros(int(keep.sum()) - kp)]).to(dev)
        cls = torch.as_tensor(pos_cls[keep[:n_pos]], dtype=torch.float32, device=dev)
        pd_, ps_ = (torch.as_tensor(v[keep], device=dev) for v in (dd, ss))
        loss = task_loss(model(data, pd_, ps_), cls, label, kp, cfg.model.loss_weights)
        extra = aux(x, x_se, batch, rng) if c.aux_weight > 0 else loss.new_zeros(())
        total = loss + c.aux_weight * extra
        if not torch.isfinite(total):
            raise UserError(
                f"fine-tuning loss became NaN/inf at step {step} ({c.mode})", "lower contrastive.lm_lr or train.lr"
            )
        opt.zero_grad()
        total.backward()
        torch.nn.utils.clip_grad_norm_(params, 5.0)
        opt.step()
        if step % c.lm_eval_every == 0 or step == c.lm_steps:
            raw = torch.as_tensor(enc.encode(smiles, model=lm), device=dev)  # every drug through the tuned LM
            score = _validate(pipe, head, raw, model, validate)
            history.append(
                {"step": step, "loss": float(loss.detach()), "aux": float(extra.detach()), "val_score": score}
            )
            bar.set_postfix(loss=f"{float(loss.detach()):.3f}", val=f"{score:.3f}")
            if score > best["score"]:
                best = snapshot(step, score)
    seconds = time.perf_counter() - t0
    model.load_state_dict(best["model"])
    head.load_state_dict(best["head"])
    lm.load_state_dict(best["lm"], strict=c.mode == "full")
    x_drug = _vectors(head, best["raw"])
    head = head.cpu().eval()
    lm_state = {k: v.cpu() for k, v in best["lm"].items()}
    tower = DrugTower("lm", head, c.mode, lm_state, {"lora_r": c.lora_r, "lora_alpha": c.lora_alpha})
    pipe.features = dataclasses.replace(f, x_drug=x_drug, tower=tower, raw_drug=best["raw"].cpu().numpy())
    pipe.builder.x_drug = torch.as_tensor(x_drug)
    return {
        "mode": c.mode,
        "steps": c.lm_steps,
        "best_step": best["step"],
        "start_val_score": start,
        "best_val_score": best["score"],
        "seconds": seconds,
        "sequences_per_second": seqs / max(seconds, 1e-9),
        "history": history,
    }


@torch.no_grad()
def _vectors(head: torch.nn.Module, raw: torch.Tensor) -> np.ndarray:
    was = head.training
    x = head.eval()(raw).float().cpu().numpy()
    head.train(was)
    return x.astype(np.float32)


def _validate(pipe, head, raw: torch.Tensor, model, validate: Validator) -> float:
    """Score the current state: the validator reads the builder's drug vectors (set from the refresh)."""
    pipe.builder.x_drug = torch.as_tensor(_vectors(head, raw))
    return selection_score(validate(model))
