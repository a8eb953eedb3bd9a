"""Paired comparisons of two methods on the same repeated cross-validation folds.

Folds of one repeat share training drugs and every drug is tested once per repeat, so the r x k fold
differences are not independent: a plain paired test over them (Wilcoxon, t) overstates confidence.
The corrected resampled t-test inflates the variance by the train/test overlap instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import t as student_t

from ..metrics.registry import lower_is_better


def corrected_ttest(diff: np.ndarray, test_train_ratio: float) -> tuple[float, float]:
    """Corrected resampled t-test (Nadeau & Bengio 2003, "Inference for the generalization error";
    applied to r x k-fold CV by Bouckaert & Frank 2004).

        t = mean(d) / sqrt((1 / n + n_test / n_train) * var(d)),   df = n - 1

    diff: [n] per-fold differences (n = r * k folds); test_train_ratio: n_test / n_train of one fold,
    1 / (k - 1) for k-fold. Returns (t, two-sided p); (nan, nan) when undefined (n < 2 or no variance)."""
    d = np.asarray(diff, dtype=float)
    d = d[np.isfinite(d)]
    n = len(d)
    if n < 2:
        return float("nan"), float("nan")
    var = d.var(ddof=1)
    if var <= 0:
        return float("nan"), float("nan")
    t = d.mean() / np.sqrt((1.0 / n + test_train_ratio) * var)
    return float(t), float(2 * student_t.sf(abs(t), n - 1))


@dataclass
class Paired:
    """a minus b on one metric: mean difference, corrected p, folds a wins, and the mean per repeat."""

    delta: float
    p: float
    wins: int
    n: int
    per_repeat: list[float]

    def cell(self) -> str:
        p = f"p={self.p:.3g}" if np.isfinite(self.p) else "p=n/a"
        reps = f", by repeat {' '.join(f'{v:+.3f}' for v in self.per_repeat)}" if len(self.per_repeat) > 1 else ""
        return f"{self.delta:+.3f}, {p}, {self.wins}/{self.n}{reps}"


def paired(df: pd.DataFrame, a: str, b: str, metric: str, folds_per_repeat: int) -> Paired:
    """Compare methods a and b of a long metrics frame (columns fold, method, metric; 'repeat' when
    repeated) on their common folds; the test assumes k = folds_per_repeat folds in each repeat."""
    wide = df.pivot(index="fold", columns="method", values=metric)
    d = (wide[a] - wide[b]).dropna()
    better = d < 0 if metric in lower_is_better() else d > 0
    repeat = df.drop_duplicates("fold").set_index("fold")["repeat"] if "repeat" in df else pd.Series(0, index=d.index)
    per_repeat = [float(v) for v in d.groupby(repeat.reindex(d.index)).mean()]
    _, p = corrected_ttest(d.to_numpy(), 1.0 / max(folds_per_repeat - 1, 1))
    return Paired(float(d.mean()) if len(d) else float("nan"), p, int(better.sum()), len(d), per_repeat)


TEST_NOTE = (
    "Cells: mean difference (first minus second), two-sided p of the corrected resampled t-test "
    "(Nadeau & Bengio 2003; repeated k-fold as in Bouckaert & Frank 2004), folds where the first is "
    "better, and the mean difference in each repeat."
)
