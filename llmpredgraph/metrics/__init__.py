"""Metric functions (pure), the per-fold evaluation of score matrices, and the metric registry."""

from .functions import binary_metrics, dsf_metrics, evaluate, selection_metrics
from .registry import METRICS, names, selection_score

__all__ = ["METRICS", "binary_metrics", "dsf_metrics", "evaluate", "names", "selection_metrics", "selection_score"]
