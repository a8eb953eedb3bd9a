"""Output tables of `predict`: one molecule's ranked side effects, every benchmark drug x side effect."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..frequency import LISTED, classes_only, clip_class

RANKINGS = ("association", "lift")
MIN_LIKELY = 0.5  # lift ranking: side effects the model finds likely come first


def side_effect_rows(
    se_names: list[str], p: dict[str, np.ndarray], base: np.ndarray | None, rank: str, top: int | None
) -> pd.DataFrame:
    """The output schema of `predict` and `screen`: per molecule (p[head] is [m, n_se]) its `top` side
    effects (None = all), one row each, with column `molecule_index` (0..m-1) and then rank,
    side_effect, association_prob, typical_prob (the typical probability of a benchmark drug, `base`
    [n_se], Pipeline.typical_rates), lift = their ratio, expected_class, predicted_class and
    high_frequency_prob. Ranking as `rank_order`."""
    base = np.full(len(se_names), np.nan) if base is None else np.asarray(base)
    order = rank_order(p["assoc"], base, rank)[:, :top]  # [m, kept]
    m, kept = order.shape
    rows, cols = np.repeat(np.arange(m), kept), order.ravel()
    assoc, dsf = p["assoc"][rows, cols], clip_class(p["dsf"][rows, cols])
    return pd.DataFrame(
        {
            "molecule_index": rows,
            "rank": np.tile(np.arange(1, kept + 1), m),
            "side_effect": np.asarray(se_names, dtype=object)[cols],
            "association_prob": assoc.astype(np.float32),
            "typical_prob": base[cols].astype(np.float32),
            "lift": (assoc / base[cols]).astype(np.float32),
            "expected_class": dsf.astype(np.float32),
            "predicted_class": np.rint(dsf).astype(np.int8),
            "high_frequency_prob": p["dshf"][rows, cols].astype(np.float32),
        }
    )


def ranked_table(
    se_names: list[str],
    p: dict[str, np.ndarray],
    top: int | None,
    base: np.ndarray | None = None,
    rank: str = "association",
) -> pd.DataFrame:
    """One molecule's side effects (p[head] is [n_se]) in the schema of `side_effect_rows`, rounded
    for reading. rank='association' orders by the probability (side effects every drug has come
    first); rank='lift' orders what the model finds likely (probability >= 0.5) by lift, i.e. what is
    specific to this molecule, then the rest the same way."""
    df = side_effect_rows(se_names, {k: v[None] for k, v in p.items()}, base, rank, top)
    digits = {"association_prob": 4, "typical_prob": 4, "lift": 2, "expected_class": 3, "high_frequency_prob": 4}
    df = df.drop(columns="molecule_index").astype({"predicted_class": int} | {c: np.float64 for c in digits})
    return df.round(digits)


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


def label_text(c: int) -> str:
    """What the labels say of a pair: 'benchmark class 4', 'listed (SIDER 4.1)' or '' (not on the label)."""
    return "listed (SIDER 4.1)" if c == LISTED else f"benchmark class {int(c)}" if c > 0 else ""


def label_columns(support, mol, side_effects) -> tuple[list[str], list[str]]:
    """(on_label, label_frequency) for a molecule's rows: what its label lists, when the labels know
    the molecule (by name or standardised structure), so that listed pairs are told apart from
    predictions; empty strings for a molecule the labels do not know."""
    row = support.label_row(mol.name, mol.smiles)
    if row is None:
        return [""] * len(side_effects), [""] * len(side_effects)
    col = {n: j for j, n in enumerate(support.se_names)}
    js = [col[s] for s in side_effects]
    return [label_text(support.R[row, j]) for j in js], [support.label_frequency(row, j) for j in js]


def benchmark_table(names: list[str], se_names: list[str], R: np.ndarray, p: dict[str, np.ndarray]) -> pd.DataFrame:
    """Every drug x side effect with its known class (0 = not known) and whether its label lists it
    (a class, or a SIDER 4.1 mention without one), ranked per drug by association."""
    n_se = len(se_names)
    df = pd.DataFrame(
        {
            "drug": np.repeat(names, n_se),
            "side_effect": np.tile(se_names, len(names)),
            "known_class": classes_only(R).ravel(),
            "on_label": (R > 0).ravel(),
            "association_prob": p["assoc"].ravel().round(4),
            "expected_class": clip_class(p["dsf"]).ravel().round(3),
            "high_frequency_prob": p["dshf"].ravel().round(4),
        }
    )
    return df.sort_values(["drug", "association_prob"], ascending=[True, False], kind="stable")
