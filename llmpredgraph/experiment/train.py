"""Training of the link model: one epoch loop, cold sampler/validator (warm ones live in warm.py)."""

from __future__ import annotations

import copy

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from ..config import Config
from ..errors import UserError
from ..graph.build import GraphBuilder
from ..graph.model import LinkModel
from .metrics import HIGH, evaluate
from .splits import sample_negatives


def uses_graph(model: LinkModel) -> bool:
    return model.message_passing is not None or model.propagation is not None


@torch.no_grad()
def predict_pairs(model: LinkModel, builder: GraphBuilder, support: np.ndarray, query: np.ndarray, d: np.ndarray, s: np.ndarray,
                  R: np.ndarray | None = None, chunk: int = 200_000) -> dict[str, np.ndarray]:
    """Scores of the pairs (d[i], s[i]): dsf class, dshf and assoc probabilities.

    The graph shows labels of `support` drugs only (from R when given: the warm protocol passes a
    copy without its held-out pairs)."""
    model.eval()
    data = builder.build(support, query, R)
    h = model.node_vectors(data)
    d, s = torch.as_tensor(np.asarray(d, dtype=np.int64)), torch.as_tensor(np.asarray(s, dtype=np.int64))
    outs = [model(data, d[i : i + chunk], s[i : i + chunk], h) for i in range(0, len(d), chunk)]
    cat = {k: torch.cat([o[k] for o in outs]).numpy() if outs else np.zeros(0, np.float32) for k in ("dsf", "dshf", "assoc")}
    return {"dsf": cat["dsf"], "dshf": 1 / (1 + np.exp(-cat["dshf"])), "assoc": 1 / (1 + np.exp(-cat["assoc"]))}


def predict_matrix(model: LinkModel, builder: GraphBuilder, support: np.ndarray, query: np.ndarray, chunk: int = 200_000,
                   rows: np.ndarray | None = None, R: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Scores for every (drug in `rows`, side effect); rows defaults to the query drugs (cold)."""
    rows = np.asarray(query if rows is None else rows, dtype=np.int64)
    n_se = builder.x_se.shape[0]
    p = predict_pairs(model, builder, support, query, np.repeat(rows, n_se), np.tile(np.arange(n_se), len(rows)), R, chunk)
    return {k: v.reshape(len(rows), n_se) for k, v in p.items()}


def _loss(out: dict, cls: torch.Tensor, label: torch.Tensor, n_pos: int, w) -> torch.Tensor:
    pos = slice(0, n_pos)
    dsf = F.mse_loss(out["dsf"][pos], cls)
    dshf = F.binary_cross_entropy_with_logits(out["dshf"][pos], (cls >= HIGH).float())
    assoc = F.binary_cross_entropy_with_logits(out["assoc"], label)
    return w.dsf * dsf + w.dshf * dshf + w.assoc * assoc


def selection_score(m: dict) -> float:
    """Validation criterion: mean of DSF Spearman, DSHF AUROC and association AUROC (all unknowns)."""
    vals = [m["dsf_scc"], m["dshf_auroc"], m["assoc_auroc_all"]]
    return float(np.nanmean(vals))


def cold_validator(builder: GraphBuilder, R: np.ndarray, fit_idx: np.ndarray, val_idx: np.ndarray, seed: int):
    """Validation drugs are queries with fit drugs as support, exactly like test drugs."""
    nr, nc = sample_negatives(R[val_idx], np.arange(len(val_idx)), 1.0, np.random.default_rng(seed))

    def validate(model: LinkModel) -> dict:
        pred = predict_matrix(model, builder, fit_idx, val_idx)
        return evaluate(pred, R[val_idx], nr, nc, per_drug=False)

    return validate


def cold_sampler(builder: GraphBuilder, R: np.ndarray, fit_idx: np.ndarray, t, graph: bool):
    """Each epoch hides a random share of fit drugs (queries) from the graph and learns their pairs,
    so training sees exactly what a test drug sees: only kNN links to labelled drugs."""

    def draw(rng: np.random.Generator):
        # The same share of fit drugs is supervised each epoch with or without a graph, so the
        # plain MLP gets the same training budget; only the graph model needs the others as support.
        n_q = max(1, int(round(t.query_fraction * len(fit_idx))))
        query = rng.choice(fit_idx, size=n_q, replace=False)
        support = np.setdiff1d(fit_idx, query) if graph else np.zeros(0, dtype=int)
        r, c = np.nonzero(R[query])
        nd, ns = sample_negatives(R, query, t.neg_ratio, rng)
        return builder.build(support, query), np.concatenate([query[r], nd]), np.concatenate([c, ns]), R[query[r], c]

    return draw


def train_link_model(model: LinkModel, builder: GraphBuilder, R: np.ndarray, fit_idx: np.ndarray, val_idx: np.ndarray, cfg: Config, seed: int, progress: bool = True, desc: str = "train") -> tuple[LinkModel, dict]:
    """Cold protocol: pseudo-cold query drugs each epoch, early stopping on validation drugs."""
    sampler = cold_sampler(builder, R, fit_idx, cfg.train, uses_graph(model))
    return fit_model(model, sampler, cold_validator(builder, R, fit_idx, val_idx, seed), cfg, seed, progress, desc)


def fit_model(model: LinkModel, sampler, validate, cfg: Config, seed: int, progress: bool = True, desc: str = "train") -> tuple[LinkModel, dict]:
    """Full-batch epochs on what `sampler(rng)` returns -> (graph, drug idx, se idx, classes of the
    positives, which come first); keeps the weights with the best `validate(model)` score."""
    t = cfg.train
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=t.lr, weight_decay=t.weight_decay)
    best, best_score, best_epoch, bad = None, -np.inf, 0, 0
    history = []
    bar = tqdm(range(1, t.epochs + 1), desc=desc, disable=not progress, leave=False)
    for epoch in bar:
        model.train()
        data, d, s, pos_cls = sampler(rng)
        n_pos = len(pos_cls)
        label = torch.cat([torch.ones(n_pos), torch.zeros(len(d) - n_pos)])
        cls = torch.as_tensor(pos_cls, dtype=torch.float32)
        loss = _loss(model(data, torch.as_tensor(d), torch.as_tensor(s)), cls, label, n_pos, cfg.model.loss_weights)
        if not torch.isfinite(loss):
            raise UserError(f"training loss became NaN/inf at epoch {epoch} ({desc})", "lower train.lr or check the input features for NaN")
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        if epoch % t.eval_every == 0 or epoch == t.epochs:
            m = validate(model)
            score = selection_score(m)
            history.append({"epoch": epoch, "loss": float(loss.detach()), "val_score": score, **{f"val_{k}": m[k] for k in ("dsf_scc", "dshf_auroc", "assoc_auroc_all")}})
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
