"""Output tables of `predict`: one molecule's ranked side effects, every benchmark drug x side effect."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..units import clip_class


def ranked_table(se_names: list[str], p: dict[str, np.ndarray], top: int | None) -> pd.DataFrame:
    """One molecule's side effects ranked by association probability, with class and DSHF."""
    dsf = clip_class(p["dsf"])
    df = pd.DataFrame(
        {
            "side_effect": se_names,
            "association_prob": p["assoc"].round(4),
            "expected_class": dsf.round(3),
            "predicted_class": np.rint(dsf).astype(int),
            "high_frequency_prob": p["dshf"].round(4),
        }
    ).sort_values("association_prob", ascending=False, kind="stable")
    df.insert(0, "rank", np.arange(1, len(df) + 1))
    return df.head(top) if top else df


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
