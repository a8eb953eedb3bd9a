"""Why a new molecule gets its scores: the model's own evidence, read from the same graph pass.

For each (molecule, side effect) the decoder's heads are  z_h = logit(prior_h) + correction_h
(`EdgeDecoder.combine`), and the priors come from label propagation's neighbour votes
(`LabelPropagation.votes`): row-normalised weights w_j = sim(q, j) ** power over the k most similar
support drugs. So the evidence of a side effect is the voting drugs that carry it: their vote weight
w_j, similarity, frequency class and the similarity channel that made them neighbours. With the
association share prior (model.prior.assoc_share) the association prior *is* the sum of those
weights; the DSF prior is mu + b_se + the neighbours' drug offset + their residual on this side effect.
"""

from __future__ import annotations

import numpy as np
import torch

from ..frequency import uncentre, unscale_offset
from ..graph.decoder import drug_means
from .explanation import Evidence, Explanation, atc_share, evidence, similarity_channels
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
    know = similarity_channels(pipe.cfg.graph, sup, mg.fingerprints, mg.atc[i], mg.proteins[i], i)
    share = atc_share(sup, mg.atc[i])
    result = []
    for s in (int(x) for x in se_idx):
        p_assoc = _at(pair, "assoc_prior", s)
        logit_p = float(torch.logit(torch.tensor(p_assoc).clamp(1e-3, 1 - 1e-3))) if p_assoc == p_assoc else 0.0
        dsf_prior = float(uncentre(_at(pair, "dsf_prior", s)))
        off = float(unscale_offset(cols["neighbour_offset"][s])) if "neighbour_offset" in cols else 0.0
        res = float(unscale_offset(cols["neighbour_residual"][s])) if "neighbour_residual" in cols else 0.0
        dsf = float(out["dsf"][s])
        voters = np.flatnonzero((w > 0) & (sup.R[:, s] > 0))
        voters = voters[np.argsort(-w[voters], kind="stable")]
        result.append(
            Explanation(
                sup.se_names[s],
                p_assoc,
                float(out["assoc"][s]) - logit_p,
                float(torch.sigmoid(out["assoc"][s])),
                dsf_prior - off - res,
                off,
                res,
                dsf_prior,
                dsf - dsf_prior,
                dsf,
                _at(pair, "dshf_prior", s),
                float(torch.sigmoid(out["dshf"][s])),
                [evidence(sup, mg.S[mg.n_support + i], j, s, w[j], know) for j in voters],
                None if share is None else (share[0], float(share[1][s]), share[2]),
            )
        )
    return result


def _at(pair, prior: str, s: int) -> float:
    """The named prior of side effect s, NaN when the model has none (no propagation or no prior)."""
    t = getattr(pair, prior, None) if pair is not None else None
    return float(t[s]) if t is not None else float("nan")
