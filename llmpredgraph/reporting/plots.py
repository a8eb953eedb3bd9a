"""PNG plots of a run: ROC/PR curves, predicted vs true class, per-fold bars."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import precision_recall_curve, roc_curve  # noqa: E402

from ..atomic import write_with  # noqa: E402
from ..frequency import CLASSES, clip_class, is_high  # noqa: E402


def _save(fig, path: Path) -> None:
    write_with(path, lambda p: fig.savefig(p, dpi=110, bbox_inches="tight", format="png"))
    plt.close(fig)


def roc_pr(preds: pd.DataFrame, methods: list[str], path: Path) -> None:
    """DSHF (known pairs, class >= 4) and association (known vs sampled unknown), pooled over folds."""
    fig, axes = plt.subplots(2, 2, figsize=(10, 9))
    known = preds[preds["true_class"] > 0]
    tasks = [
        ("DSHF", known, is_high(known["true_class"]), "dshf"),
        ("association", preds, preds["true_class"] > 0, "assoc"),
    ]
    for row, (name, df, y, col) in enumerate(tasks):
        for m in methods:
            fpr, tpr, _ = roc_curve(y, df[f"{m}_{col}"])
            prec, rec, _ = precision_recall_curve(y, df[f"{m}_{col}"])
            axes[row, 0].plot(fpr, tpr, label=m)
            axes[row, 1].plot(rec, prec, label=m)
        axes[row, 0].plot([0, 1], [0, 1], ls=":", c="grey")
        axes[row, 0].set(title=f"{name} ROC", xlabel="false positive rate", ylabel="true positive rate")
        axes[row, 1].set(title=f"{name} precision-recall", xlabel="recall", ylabel="precision")
        axes[row, 0].legend(fontsize=8)
    _save(fig, path)


def pred_vs_true(preds: pd.DataFrame, methods: list[str], path: Path) -> None:
    known = preds[preds["true_class"] > 0]
    fig, axes = plt.subplots(1, len(methods), figsize=(3.6 * len(methods), 3.6), sharey=True, squeeze=False)
    for ax, m in zip(axes[0], methods):
        data = [clip_class(known.loc[known["true_class"] == c, f"{m}_dsf"]) for c in CLASSES]
        ax.boxplot(data, showfliers=False)
        ax.set_xticks(range(1, len(CLASSES) + 1), [str(c) for c in CLASSES])
        ax.plot([1, len(CLASSES)], [CLASSES[0], CLASSES[-1]], ls=":", c="grey")
        ax.set(title=m, xlabel="true class")
    axes[0, 0].set_ylabel("predicted class (DSF)")
    _save(fig, path)


def per_fold_bars(df: pd.DataFrame, metrics: list[str], path: Path) -> None:
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.8), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        wide = df.pivot(index="fold", columns="method", values=metric)
        wide.plot.bar(ax=ax, width=0.8, legend=False)
        lo = np.nanmin(wide.to_numpy())
        ax.set(title=metric, xlabel="fold", ylim=(max(0.0, lo - 0.05), None))
    axes[0, -1].legend(fontsize=8, loc="lower right")
    _save(fig, path)


def embedding_map(
    before: np.ndarray,
    after: np.ndarray,
    labels: list[str],
    path: Path,
    seed: int = 0,
    titles: tuple[str, str] = ("before tuning (raw LM)", "after contrastive tuning"),
) -> None:
    """2-D t-SNE of drug embeddings before [n, d] and after [n, d'] tuning, coloured by ATC first level."""
    from sklearn.manifold import TSNE

    fig, axes = plt.subplots(1, 2, figsize=(12, 5.5))
    cats = sorted(set(labels))
    cmap = plt.get_cmap("tab20", max(len(cats), 1))
    for ax, X, title in ((axes[0], before, titles[0]), (axes[1], after, titles[1])):
        Y = TSNE(n_components=2, random_state=seed, init="pca", perplexity=min(30, max(2, len(X) // 4))).fit_transform(
            X
        )
        for i, c in enumerate(cats):
            m = np.asarray(labels) == c
            ax.scatter(Y[m, 0], Y[m, 1], s=8, color=cmap(i), label=c)
        ax.set(title=title, xticks=[], yticks=[])
    axes[1].legend(title="ATC", fontsize=7, markerscale=2, bbox_to_anchor=(1.01, 1), loc="upper left")
    _save(fig, path)
