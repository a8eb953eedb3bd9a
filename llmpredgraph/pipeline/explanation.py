"""What an explanation holds (`Explanation`, `Evidence`) and the parts of it that need no model:
the similarity channels of a molecule to the support drugs, a voter's evidence, the ATC-class
share. numpy only: the torch path (`explain`) and torch-free inference (`portable`) both use it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..data.knowledge import targets_of
from ..frequency import uncentre, unscale_offset
from ..graph.similarity import tanimoto_between


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


def explanation_of(
    sup, s: int, pair: dict[str, float], assoc_logit: float, dshf_logit: float, dsf: float, w, sim_row, know, share
) -> Explanation:
    """Side effect s's `Explanation` from one molecule's numbers, whichever path computed them:
    pair: its named pair features and priors (absent ones NaN or missing); the decoder's final
    association and DSHF logits and DSF class; w [n]: the prior votes; sim_row [n]: its similarity
    to the support drugs; know: `similarity_channels`; share: `atc_share`."""
    nan = float("nan")
    p_assoc = pair.get("assoc_prior", nan)
    p = min(max(p_assoc, 1e-3), 1 - 1e-3)  # the clamp the decoder's logit(prior) uses
    logit_p = float(np.log(p / (1 - p))) if p_assoc == p_assoc else 0.0  # NaN: no association prior
    dsf_prior = float(uncentre(pair.get("dsf_prior", nan)))
    off = float(unscale_offset(pair.get("neighbour_offset", 0.0)))
    res = float(unscale_offset(pair.get("neighbour_residual", 0.0)))
    voters = np.flatnonzero((w > 0) & (sup.R[:, s] > 0))
    voters = voters[np.argsort(-w[voters], kind="stable")]
    return Explanation(
        sup.se_names[s],
        p_assoc,
        assoc_logit - logit_p,
        float(1 / (1 + np.exp(-assoc_logit))),
        dsf_prior - off - res,
        off,
        res,
        dsf_prior,
        dsf - dsf_prior,
        dsf,
        pair.get("dshf_prior", nan),
        float(1 / (1 + np.exp(-dshf_logit))),
        [evidence(sup, sim_row, j, s, w[j], know) for j in voters],
        None if share is None else (share[0], float(share[1][s]), share[2]),
    )


def evidence(sup, sim_row: np.ndarray, j: int, s: int, weight: float, know: dict) -> Evidence:
    """Support drug j's vote for side effect s; sim_row: the molecule's similarity to every support
    drug (the similarity the model links by); know: `similarity_channels`."""
    channels = {c: float(v[j]) for c, v in know["values"].items() if know["has"][c][j]}
    weighted = {c: know["weights"].get(c, 0.0) * v for c, v in channels.items()}
    main = max(weighted, key=weighted.get) if weighted else "structure"
    sim = float(sim_row[j])
    return Evidence(sup.drug_names[j], int(sup.R[j, s]), sim, float(weight), main, channels)


def similarity_channels(
    g,
    sup,
    fingerprints: np.ndarray | None,
    atc: list[str],
    proteins: list[str],
    i: int,
    weights: tuple[float, ...] | None = None,
) -> dict:
    """Molecule i's similarity to every support drug per channel (structure: Tanimoto of row i of
    `fingerprints`, the weighted mean over its fingerprints; atc and target: Jaccard of its `atc` /
    `proteins`, where both have the channel), and the channel weights of the model's similarity (g: the
    model's graph settings)."""
    n = sup.n_drugs
    values, has = {}, {}
    if fingerprints is not None:
        values["structure"] = tanimoto_between(fingerprints[i : i + 1], sup.fingerprints, weights)[0]
        has["structure"] = np.ones(n, dtype=bool)
    if sup.knowledge is not None:
        own_targets = targets_of("|".join(proteins))
        for name, own, others in (
            ("atc", atc, sup.knowledge.atc),
            ("target", own_targets, sup.knowledge.targets),
        ):
            values[name] = np.array([_jaccard(own, o) for o in others], dtype=np.float32)
            has[name] = np.array([bool(o) and bool(own) for o in others])
    weights = g.knn_weights.model_dump() if g.knn_similarity == "combined" else {"structure": 1.0}
    return {"values": values, "has": has, "weights": weights}


def _jaccard(a: list[str], b: list[str]) -> float:
    a, b = set(a), set(b)
    return len(a & b) / len(a | b) if a and b else 0.0


def atc_share(sup, atc: list[str]) -> tuple[str, np.ndarray, int] | None:
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
