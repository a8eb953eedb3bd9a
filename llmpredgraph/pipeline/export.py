"""Write a fitted pipeline's inference part as plain arrays (`pipeline.portable` reads them).

`Pipeline.save` calls `export_inference` for every model folder; `llmpredgraph export` adds the
export to a folder saved before it existed. A model the numpy forward does not cover (knowledge
nodes, GAT / GraphConv layers, an LM-tuned drug tower, drug text, a SMILES LM run under torch) gets
a spec that says why, and loads through torch.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..atomic import write_json, write_with
from ..frequency import has_class, is_high
from ..graph.build import REV, SIMILAR
from ..graph.offsets import offset_residuals
from .portable import ARRAYS, FORMAT, HEADS, SPEC

RELATION_NAMES = {SIMILAR: "similar", REV: "rev_has"}  # the relations into drugs the numpy forward knows


def not_portable(pipe) -> str | None:
    """Why this pipeline cannot run torch-free (one line), or None when it can."""
    cfg, model = pipe.cfg, pipe.model
    d = cfg.encoders.drug
    if pipe.features.tower.kind == "lm":
        return "its drug tower tunes the SMILES LM (contrastive.mode lora/full)"
    if d.add_text:
        return "its drug vectors include drug text (encoders.drug.add_text)"
    if d.kind == "lm" and d.runtime != "onnx":
        return "its SMILES LM runs under torch (encoders.drug.runtime: torch)"
    if pipe.kgraph is not None:
        return "its graph has ATC or protein nodes"
    mp = model.message_passing
    if mp is not None and mp.conv_kind != "sage":
        return f"its message passing uses {mp.conv_kind!r} layers (the numpy forward has SAGE)"
    if model.encoder.drug_emb is not None:
        return "it learns a vector per drug (model.drug_embedding)"
    if model.propagation is not None and model.propagation.own:
        return "its priors read a drug's own labels (a warm model with propagation own terms)"
    return None


def export_inference(pipe, folder: str | Path) -> str | None:
    """Write `inference.npz` and `inference.json` into `folder` (the json last); returns None when
    the model is portable, else the reason it is not (written into the spec too)."""
    folder = Path(folder)
    spec: dict = {"format": FORMAT}
    reason = not_portable(pipe) if pipe.cfg.protocol.holds_out_drugs else None
    if reason is not None:
        write_json(folder / SPEC, spec | {"portable": False, "reason": reason})
        return reason
    arrays = _warm_arrays(pipe) if not pipe.cfg.protocol.holds_out_drugs else _cold_arrays(pipe, spec)
    write_with(folder / ARRAYS, lambda p: _save_npz(p, arrays))
    if pipe.cfg.encoders.drug.kind == "lm":
        from ..encoders.portable_lm import save_tokenizer

        d, enc = pipe.cfg.encoders.drug, pipe.drug_encoder()
        save_tokenizer(enc.tokenizer, folder, d.max_length, d.batch_size)
    write_json(folder / SPEC, spec | {"portable": True})
    return None


def _save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    with open(path, "wb") as f:  # a file object: np.savez would add ".npz" to `write_with`'s temporary name
        np.savez_compressed(f, **arrays)


def _warm_arrays(pipe) -> dict[str, np.ndarray]:
    """A warm model answers for benchmark drugs only: its completion, computed once."""
    done = pipe.complete()
    return {f"complete_{h}": done[h].astype(np.float32) for h in HEADS} | {"S_drug": pipe.features.S_drug}


@torch.no_grad()
def _cold_arrays(pipe, spec: dict) -> dict[str, np.ndarray]:
    model = pipe.model.eval()
    n = pipe.support.n_drugs
    data = pipe.builder.build(np.arange(n), np.zeros(0, dtype=np.int64)).cpu()
    dev = next(model.parameters()).device
    a: dict[str, torch.Tensor | np.ndarray] = {}
    head = pipe.features.tower.head
    if pipe.features.tower.kind == "projection":
        norm, net = head.norm, head.net
        a |= {"tower_w1": net[0].weight, "tower_b1": net[0].bias, "tower_w2": net[3].weight, "tower_b2": net[3].bias}
    else:
        norm = head
    a |= {"tower_mean": norm.mean, "tower_std": norm.std}
    spec["tower"] = pipe.features.tower.kind
    enc = model.encoder
    a |= {"in_w": enc.drug[0].weight, "in_b": enc.drug[0].bias, "in_ln_w": enc.drug[1].weight}
    a["in_ln_b"] = enc.drug[1].bias
    h = enc(data["drug"].x.to(dev), data["side_effect"].x.to(dev))
    mp = model.message_passing
    into_drug = [et for et in (mp.edge_types if mp is not None else []) if et[2] == "drug" and et in data.edge_types]
    unknown = [et for et in into_drug if et not in RELATION_NAMES]
    if unknown:
        raise ValueError(f"no numpy forward for relation {unknown[0]}")  # not_portable refuses such models first
    spec["drug_relations"] = [RELATION_NAMES[et] for et in into_drug]
    spec["layers"] = len(mp.layers) if mp is not None else 0
    spec["knn"] = SIMILAR in data.edge_types
    states = mp.states(h, data.to(dev)) if mp is not None else [h]
    for layer in range(spec["layers"]):
        p = f"mp{layer}_"
        a[f"{p}h_support"] = states[layer]["drug"][:n]
        for et in into_drug:
            conv = mp.layers[layer].convs[et]
            r = RELATION_NAMES[et]
            a |= {f"{p}{r}_wl": conv.lin_l.weight, f"{p}{r}_bl": conv.lin_l.bias, f"{p}{r}_wr": conv.lin_r.weight}
        a |= {f"{p}ln_w": mp.norms[layer]["drug"].weight, f"{p}ln_b": mp.norms[layer]["drug"].bias}
    a["h_se"] = states[-1]["side_effect"]
    dec = model.decoder
    a |= {"dec_w1": dec.mlp[0].weight, "dec_b1": dec.mlp[0].bias, "dec_w2": dec.mlp[3].weight}
    a |= {"dec_b2": dec.mlp[3].bias, "dec_wh": dec.heads.weight, "dec_bh": dec.heads.bias}
    a |= {"dec_correction": dec.correction, "dec_centre": dec.centre}
    spec["prior"], spec["high_prior"] = bool(dec.prior), bool(dec.high_prior)
    prop = model.propagation
    spec["propagation"] = prop.settings if prop is not None else None
    spec["pair_columns"] = []
    if prop is not None:
        priors = (["dshf_prior"] if prop.offsets else []) + ["assoc_prior", "dsf_prior"]
        spec["pair_columns"] = prop.column_names + priors
        R = pipe.support.R
        kc = torch.as_tensor(has_class(R), dtype=torch.float32)
        Yc = torch.as_tensor(R, dtype=torch.float32) * kc
        if prop.offsets:  # the support's ridge fits, as label propagation computes them
            for name, Y in (("fit", Yc), ("high", is_high(Yc).float())):
                mu, bd, bs, E, _ = offset_residuals(Y, kc, prop.bias_shrink)
                a |= {f"{name}_mu": mu, f"{name}_bd": bd, f"{name}_bs": bs, f"{name}_E": E}
    return {
        k: np.asarray(v.detach().cpu() if isinstance(v, torch.Tensor) else v, dtype=np.float32) for k, v in a.items()
    }
