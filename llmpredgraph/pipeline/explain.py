"""Why a new molecule gets its scores: the model's own evidence, read from the same graph pass.

For each (molecule, side effect) the decoder's heads are  z_h = logit(prior_h) + correction_h
(`EdgeDecoder.combine`), and the priors come from label propagation's neighbour votes
(`LabelPropagation.votes`): row-normalised weights w_j = sim(q, j) ** power over the k most similar
support drugs. So the evidence of a side effect is the voting drugs that carry it: their vote weight
w_j, similarity, frequency class and the similarity channel that made them neighbours. With the
association share prior (model.prior.assoc_share) the association prior *is* the sum of those
weights (with a kernel of its own, model.prior.assoc_k / assoc_power, the weights listed are that
kernel's votes); the DSF prior is mu + b_se + the neighbours'
drug offset + their residual on this side effect.
"""

from __future__ import annotations

import numpy as np
import torch

from ..graph.decoder import drug_means
from .explanation import Evidence, Explanation, atc_share, explanation_of, similarity_channels
from .molecules import MoleculeGraph

__all__ = ["Evidence", "Explanation", "explain_molecules"]


@torch.no_grad()
def explain_molecules(pipe, mg: MoleculeGraph, se_idx: list) -> list[list[Explanation]]:
    """Per molecule i of `mg`, the explanations of the side effects se_idx[i] (indices into
    pipe.support.se_names), from one graph and message-passing pass, decoded as scoring decodes."""
    model = pipe.model.eval()
    dev = next(model.parameters()).device
    data = mg.builder.build(np.arange(mg.n_support), mg.query).to(dev)
    h = model.node_vectors(data)
    return [_explain_row(pipe, mg, data, h, i, idx) for i, idx in enumerate(se_idx)]


def _explain_row(pipe, mg: MoleculeGraph, data, h: dict, i: int, se_idx) -> list[Explanation]:
    model, sup = pipe.model, pipe.support
    n, n_se, q = mg.n_support, sup.n_side_effects, int(mg.query[i])
    dev = h["drug"].device
    rows = torch.full((n_se,), q, device=dev)  # whole row: a centring decoder needs the drug's mean
    all_se = torch.arange(n_se, device=dev)
    pair = model.pair_features(data, rows, all_se)
    dec = model.decoder
    z = dec.learned(h["drug"][rows], h["side_effect"][all_se], pair)
    out = dec.combine(z, pair, drug_means(z, rows, n_se) if dec.centre.any() else None)
    prop = model.propagation
    L = prop.votes(data, torch.tensor([q], device=dev)) if prop is not None else None
    cols = dict(zip(prop.column_names, pair.columns.T)) if prop is not None else {}
    w = L[0, :n].cpu().numpy() if L is not None else np.zeros(n)  # new molecules never vote
    weights = pipe.cfg.encoders.drug.structure_weights
    know = similarity_channels(pipe.cfg.graph, sup, mg.fingerprints, mg.atc[i], mg.proteins[i], i, weights)
    share = atc_share(sup, mg.atc[i])
    priors = {p: getattr(pair, p, None) for p in ("assoc_prior", "dsf_prior", "dshf_prior")} if pair is not None else {}
    named = {k: v for k, v in {**cols, **priors}.items() if v is not None}
    sim_row = mg.S[mg.n_support + i]
    return [
        explanation_of(
            sup,
            s,
            {k: float(v[s]) for k, v in named.items()},
            float(out["assoc"][s]),
            float(out["dshf"][s]),
            float(out["dsf"][s]),
            w,
            sim_row,
            know,
            share,
        )
        for s in (int(x) for x in se_idx)
    ]
