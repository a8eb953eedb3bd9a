"""Output tables of `predict`: one molecule's ranked side effects, every benchmark drug x side effect."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..units import clip_class

RANKINGS = ("association", "lift")
MIN_LIKELY = 0.5  # lift ranking: side effects the model finds likely come first


def ranked_table(
    se_names: list[str],
    p: dict[str, np.ndarray],
    top: int | None,
    base: np.ndarray | None = None,
    rank: str = "association",
) -> pd.DataFrame:
    """One molecule's side effects with association probability, the typical probability of a
    benchmark drug (`base` [n_se], Pipeline.typical_rates), lift = their ratio, class and DSHF.

    rank='association' orders by the probability (side effects every drug has come first);
    rank='lift' orders what the model finds likely (probability >= 0.5) by lift, i.e. what is
    specific to this molecule, then the rest the same way."""
    if rank not in RANKINGS:
        raise ValueError(f"unknown ranking {rank!r}; choose one of {', '.join(RANKINGS)}")
    dsf = clip_class(p["dsf"])
    base = np.full(len(se_names), np.nan) if base is None else base
    df = pd.DataFrame(
        {
            "side_effect": se_names,
            "association_prob": p["assoc"].round(4),
            "typical_prob": base.round(4),
            "lift": (p["assoc"] / base).round(2),
            "expected_class": dsf.round(3),
            "predicted_class": np.rint(dsf).astype(int),
            "high_frequency_prob": p["dshf"].round(4),
        }
    )
    df = df.iloc[rank_order(p["assoc"][None], base, rank)[0]]
    df.insert(0, "rank", np.arange(1, len(df) + 1))
    return df.head(top) if top else df


def rank_order(assoc: np.ndarray, base: np.ndarray | None, rank: str) -> np.ndarray:
    """[m, n_se] side-effect indices per molecule, best first, from association probabilities
    assoc [m, n_se] and base rates base [n_se] (see ranked_table); ties keep side-effect order."""
    if rank not in RANKINGS:
        raise ValueError(f"unknown ranking {rank!r}; choose one of {', '.join(RANKINGS)}")
    if rank == "lift" and base is not None and np.isfinite(base).all():
        lift = assoc / base
        # lexsort: the last key is primary; it is stable, so ties keep side-effect order
        return np.lexsort((-lift, -(assoc >= MIN_LIKELY).astype(np.int8)), axis=-1)
    return np.argsort(-assoc, axis=1, kind="stable")


def benchmark_table(names: list[str], se_names: list[str], R: np.ndarray, p: dict[str, np.ndarray]) -> pd.DataFrame:
    """Every drug x side effect with its known class (0 = not known), ranked per drug by association."""
    n_se = len(se_names)
    df = pd.DataFrame(
        {
            "drug": np.repeat(names, n_se),
            "side_effect": np.tile(se_names, len(names)),
            "known_class": R.ravel(),
            "association_prob": p["assoc"].ravel().round(4),
            "expected_class": clip_class(p["dsf"]).ravel().round(3),
            "high_frequency_prob": p["dshf"].ravel().round(4),
        }
    )
    return df.sort_values(["drug", "association_prob"], ascending=[True, False], kind="stable")
