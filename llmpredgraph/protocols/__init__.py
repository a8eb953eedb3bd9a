"""Evaluation protocols: fold assignment, masking, training draws, validation and scoring."""

from .base import Fold, FoldResult, Protocol, Split, Targets
from .cold import ColdProtocol
from .fold import fit_on_split, model_variants, run_fold
from .scaffold import ScaffoldProtocol
from .warm import WarmProtocol

PROTOCOLS: dict[str, type[Protocol]] = {"cold": ColdProtocol, "scaffold": ScaffoldProtocol, "warm": WarmProtocol}


def make_protocol(bench, cfg) -> Protocol:
    """The protocol named by cfg.protocol.kind."""
    return PROTOCOLS[cfg.protocol.kind](bench, cfg)


__all__ = [
    "PROTOCOLS",
    "ColdProtocol",
    "ScaffoldProtocol",
    "Fold",
    "FoldResult",
    "Protocol",
    "Split",
    "Targets",
    "WarmProtocol",
    "fit_on_split",
    "make_protocol",
    "model_variants",
    "run_fold",
]
