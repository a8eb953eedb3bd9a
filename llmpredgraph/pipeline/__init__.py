"""A fitted pipeline (`fitted.Pipeline`: drug tower, side-effect vectors, drug knowledge, graph
builder and link model) and its parts: fold features (`features`), support labels (`support`),
the epoch loop (`training`), end-to-end fine-tuning (`joint`) and the new-molecule path (`molecules`).
`portable` is the same model's torch-free inference (numpy and ONNX Runtime), which `predict`,
`screen`, `ask` and `serve` run; importing this package imports no torch until `Pipeline` is used.
"""

from __future__ import annotations

__all__ = ["HEADS", "Pipeline"]


def __getattr__(name: str):
    # lazy (PEP 562): `from llmpredgraph.pipeline.portable import ...` must not import torch
    if name in __all__:
        from . import fitted

        return getattr(fitted, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
