"""A fitted pipeline (`fitted.Pipeline`: drug tower, side-effect vectors, drug knowledge, graph
builder and link model) and its parts: fold features (`features`), support labels (`support`),
the epoch loop (`training`), end-to-end fine-tuning (`joint`) and the new-molecule path (`molecules`)."""

from .fitted import HEADS, Pipeline

__all__ = ["HEADS", "Pipeline"]
