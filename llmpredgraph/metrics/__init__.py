"""Metric functions (pure), the per-fold evaluation of score matrices, and the metric registry.

The functions load scipy and scikit-learn, so they are imported on first use: `predict` needs only
the registry (about 1.5 s less start-up)."""

from .registry import METRICS, names, selection_score

_FUNCTIONS = ("binary_metrics", "dsf_metrics", "evaluate", "selection_metrics")
__all__ = ["METRICS", *_FUNCTIONS, "names", "selection_score"]


def __getattr__(name: str):
    if name in _FUNCTIONS:
        from . import functions

        return getattr(functions, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
