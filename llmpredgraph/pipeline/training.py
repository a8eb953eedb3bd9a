"""The epoch loop of the link model: full-batch steps on what a protocol's sampler draws, early
stopping on its validator (samplers and validators live with their protocol)."""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from ..config import Config
from ..devices import resolve_device
from ..errors import UserError
from ..frequency import has_class, is_high
from ..graph.model import LinkModel
from ..metrics.registry import HEAD_CRITERION, names, selection_score
from ..progress import bar as progress_bar

# sampler(rng) -> (graph, drug idx [n], side-effect idx [n], classes of the positives [n_pos]); positives first
Sampler = Callable[[np.random.Generator], tuple]
# validator(model) -> metrics dict
Validator = Callable[[LinkModel], dict]


def task_loss(out: dict, cls: torch.Tensor, label: torch.Tensor, n_pos: int, w) -> torch.Tensor:
    """Weighted sum of the three heads' losses. out: [n] tensors; cls: [n_pos] classes of the
    positives (the first n_pos pairs; LISTED: on the label without a class); label: [n] 1 = known
    pair, 0 = sampled unknown pair. The frequency heads learn from the positives with a class only,
    the association head from every pair."""
    pos = has_class(cls)
    assoc = F.binary_cross_entropy_with_logits(out["assoc"], label)
    if not bool(pos.any()):
        return w.assoc * assoc
    cls = cls[pos]
    dsf = F.mse_loss(out["dsf"][:n_pos][pos], cls)
    dshf = F.binary_cross_entropy_with_logits(out["dshf"][:n_pos][pos], is_high(cls).float())
    return w.dsf * dsf + w.dshf * dshf + w.assoc * assoc


def fit_model(
    model: LinkModel,
    sampler: Sampler,
    validate: Validator,
    cfg: Config,
    seed: int,
    progress: bool = True,
    desc: str = "train",
) -> tuple[LinkModel, dict]:
    """Full-batch epochs on what `sampler(rng)` returns; keeps the weights with the best
    `validate(model)` score (the registry's selection criterion)."""
    t = cfg.train
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    dev = resolve_device(cfg.device)
    model = model.to(dev)  # once; each epoch's sampled graph and pairs go over in one copy each
    opt = torch.optim.AdamW(model.parameters(), lr=t.lr, weight_decay=t.weight_decay)
    best, best_score, best_epoch, bad = None, -np.inf, 0, 0
    history = []
    if model.decoder.prior and model.decoder.start_at_prior:  # the untrained model is its priors: epoch 0
        best_score = selection_score(validate(model))
        best = copy.deepcopy(model.state_dict())
        history.append({"epoch": 0, "loss": None, "val_score": best_score})
    bar = progress_bar(range(1, t.epochs + 1), desc=desc, enabled=progress, leave=False)
    for epoch in bar:
        model.train()
        data, d, s, pos_cls = sampler(rng)
        n_pos = len(pos_cls)
        label = torch.cat([torch.ones(n_pos), torch.zeros(len(d) - n_pos)]).to(dev)
        cls = torch.as_tensor(pos_cls, dtype=torch.float32).to(dev)
        d, s = torch.as_tensor(d).to(dev), torch.as_tensor(s).to(dev)
        loss = task_loss(model(data.to(dev), d, s), cls, label, n_pos, cfg.model.loss_weights)
        if not torch.isfinite(loss):
            raise UserError(
                f"training loss became NaN/inf at epoch {epoch} ({desc})",
                "lower train.lr or check the input features for NaN",
            )
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        if epoch % t.eval_every == 0 or epoch == t.epochs:
            m = validate(model)
            score = selection_score(m)
            history.append(
                {
                    "epoch": epoch,
                    "loss": float(loss.detach()),
                    "val_score": score,
                    **{f"val_{k}": m[k] for k in names("selection")},
                }
            )
            bar.set_postfix(loss=f"{float(loss.detach()):.3f}", val=f"{score:.3f}")
            if score > best_score:
                best, best_score, best_epoch, bad = copy.deepcopy(model.state_dict()), score, epoch, 0
            else:
                bad += t.eval_every
                if bad >= t.patience:
                    break
    if best is not None:
        model.load_state_dict(best)
    return model, {"best_epoch": best_epoch, "best_val_score": best_score, "history": history}


HEAD_ORDER = ("dsf", "dshf", "assoc")  # the order of EdgeDecoder.correction


@torch.no_grad()
def choose_correction(model: LinkModel, validate: Validator, scales: list[float], centring: list[bool]) -> dict:
    """Per head, how much of the learned correction to keep on top of the head's neighbour prior:
    the share `scale` (logit scale) and whether its drug-level mean is removed (`centre`, so the
    drug's overall level is the prior's), the pair that scores best on validation drugs by the head's
    own metric (HEAD_CRITERION); the first of equal scores wins, in the order given. Sets
    model.decoder's buffers and returns the record: the choice, every pair's validation metrics and
    the selection score after."""
    dec = model.decoder
    heads = [h for h in HEAD_ORDER if dec.has_prior(h)]
    options = [(float(a), bool(c)) for c in centring for a in scales]
    if len(options) < 2 or not heads:
        return {}
    tried = []
    for a, c in options:
        dec.correction.fill_(a)
        dec.centre.fill_(float(c))
        tried.append(validate(model))
    chosen = {}
    for i, h in enumerate(HEAD_ORDER):
        vals = np.array([m[HEAD_CRITERION[h]] for m in tried], dtype=float)
        best = int(np.nanargmax(vals)) if h in heads and np.isfinite(vals).any() else 0
        a, c = options[best] if h in heads else (1.0, False)
        chosen[h] = {"scale": a, "centre": c}
        dec.correction[i], dec.centre[i] = a, float(c)
    after = validate(model)
    return {
        "chosen": chosen,
        "validation": [
            {"scale": a, "centre": c, **{HEAD_CRITERION[h]: m[HEAD_CRITERION[h]] for h in heads}}
            for (a, c), m in zip(options, tried)
        ],
        "val_score": selection_score(after),
    }
