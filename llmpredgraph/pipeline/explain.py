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

from dataclasses import dataclass, field

import numpy as np
import torch

from ..data.knowledge import targets_of
from ..frequency import uncentre, unscale_offset
from ..graph.edges import tanimoto_between
from .fitted import drug_means
from .molecules import MoleculeGraph


@dataclass
class Evidence:
    """One support drug voting for a side effect: its vote weight in the prior (the weights over all
    voters sum to 1), its similarity to the molecule, its known class, and the channel that
    contributed most to that similarity with each channel's own value."""

    drug: str
    known_class: int
    similarity: float
    weight: float
    channel: str
    channels: dict[str, float] = field(default_factory=dict)


@dataclass
class Explanation:
    """The scores of one (molecule, side effect) and how they split.

    assoc: prior probability, correction (logit units) and final probability;
    dsf: prior class = base (mu + b_se) + neighbour_offset + neighbour_residual, the correction
    in class units and the final expected class; dshf: prior and final probability.
    atc_share: (ATC class, share of its support drugs with the side effect, their number), the
    molecule's most specific class; None without ATC codes."""

    side_effect: str
    assoc_prior: float
    assoc_correction: float
    assoc: float
    dsf_base: float
    dsf_neighbour_offset: float
    dsf_neighbour_residual: float
    dsf_prior: float
    dsf_correction: float
    dsf: float
    dshf_prior: float | None
    dshf: float
    evidence: list[Evidence]
    atc_share: tuple[str, float, int] | None


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
    know, share = _channels_of(pipe, mg, i), _atc_share(sup, mg.atc[i])
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
                [_evidence(sup, mg, i, j, s, w[j], know) for j in voters],
                None if share is None else (share[0], float(share[1][s]), share[2]),
            )
        )
    return result


def _at(pair, prior: str, s: int) -> float:
    """The named prior of side effect s, NaN when the model has none (no propagation or no prior)."""
    t = getattr(pair, prior, None) if pair is not None else None
    return float(t[s]) if t is not None else float("nan")


def _evidence(sup, mg: MoleculeGraph, i: int, j: int, s: int, weight: float, know) -> Evidence:
    channels = {c: float(v[j]) for c, v in know["values"].items() if know["has"][c][j]}
    weighted = {c: know["weights"].get(c, 0.0) * v for c, v in channels.items()}
    main = max(weighted, key=weighted.get) if weighted else "structure"
    sim = float(mg.S[mg.n_support + i, j])
    return Evidence(sup.drug_names[j], int(sup.R[j, s]), sim, float(weight), main, channels)


def _channels_of(pipe, mg: MoleculeGraph, i: int) -> dict:
    """Molecule i's similarity to every support drug per channel (structure: Tanimoto; atc and
    target: Jaccard, where both have the channel), and the channel weights of the model's similarity."""
    sup, g = pipe.support, pipe.cfg.graph
    n = mg.n_support
    values, has = {}, {}
    if mg.fingerprints is not None:
        values["structure"] = tanimoto_between(mg.fingerprints[i : i + 1], sup.fingerprints)[0]
        has["structure"] = np.ones(n, dtype=bool)
    if sup.knowledge is not None:
        own_targets = targets_of("|".join(mg.proteins[i]))
        for name, own, others in (
            ("atc", mg.atc[i], sup.knowledge.atc),
            ("target", own_targets, sup.knowledge.targets),
        ):
            values[name] = np.array([_jaccard(own, o) for o in others], dtype=np.float32)
            has[name] = np.array([bool(o) and bool(own) for o in others])
    weights = g.knn_weights.model_dump() if g.knn_similarity == "combined" else {"structure": 1.0}
    return {"values": values, "has": has, "weights": weights}


def _jaccard(a: list[str], b: list[str]) -> float:
    a, b = set(a), set(b)
    return len(a & b) / len(a | b) if a and b else 0.0


def _atc_share(sup, atc: list[str]) -> tuple[str, np.ndarray, int] | None:
    """(the molecule's most specific ATC class, per side effect the share of support drugs in that
    class that have it [n_se], their number); None without ATC or without such support drugs."""
    if not atc or sup.knowledge is None:
        return None
    for cls in sorted(atc, key=len, reverse=True):
        members = np.array([cls in a for a in sup.knowledge.atc])
        members &= (sup.R > 0).any(1)  # drugs with labels (support rows)
        if members.any():
            return cls, (sup.R[members] > 0).mean(0), int(members.sum())
    return None
