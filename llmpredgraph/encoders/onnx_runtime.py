"""The SMILES LM exported to ONNX and run by ONNX Runtime (`encoders.drug.runtime: onnx`).

The export is the encoder plus its pooling, fp32, traced once; ONNX Runtime runs it about twice as
fast as torch on these CPUs and within 1e-5 of torch's vectors, whatever the batch (its kernels have no
batch-level statistics). The file lives in the embedding cache keyed by `export_key`, and a model
folder carries its own copy (`drug_encoder.onnx`), so `train`, `predict` and `screen` run the same file.
"""

from __future__ import annotations

import json
import warnings
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import numpy as np

from ..atomic import sha256_text, write_bytes, write_json
from ..errors import UserError

RECIPE = "fp32-trace-v1"  # bump when the export changes what the file computes
FOLDER_FILE = "drug_encoder.onnx"  # a model folder's copy
INPUTS = ("input_ids", "attention_mask")


@lru_cache(maxsize=1)
def runtime_version() -> str:
    """ONNX Runtime's version, read without importing it (identities are computed at start-up)."""
    try:
        return metadata.version("onnxruntime")
    except metadata.PackageNotFoundError:
        raise UserError(
            "encoders.drug.runtime: onnx needs onnxruntime, which is not installed",
            "pip install onnxruntime==1.32.0, or set encoders.drug.runtime: torch",
        ) from None


def export_key(weights_identity: str, pooling: str, max_length: int) -> str:
    """What the exported file depends on: the weights, the pooling, the length limit, the recipe and
    the runtime's version."""
    return sha256_text(weights_identity, pooling, str(max_length), RECIPE, runtime_version())[:16]


def export(encoder, sample: dict, path: Path) -> None:
    """Trace `encoder` (a module: input_ids, attention_mask -> pooled vectors) on a tokenized `sample`
    into an ONNX file at `path` (atomic). Inputs [batch, tokens] int64; output `vector` [batch, hidden]."""
    import io

    import torch

    buf = io.BytesIO()
    with warnings.catch_warnings(), torch.no_grad():
        # the tracer warns about shape checks that are constant for an encoder without a cache
        warnings.simplefilter("ignore")
        torch.onnx.export(
            encoder,
            (sample["input_ids"], sample["attention_mask"]),
            buf,
            input_names=list(INPUTS),
            output_names=["vector"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "vector": {0: "batch"},
            },
            opset_version=17,
            dynamo=False,  # the TorchScript tracer: one static graph, faster here than the dynamo export
        )
    write_bytes(path, buf.getvalue())


def copy_into(src: Path, folder: Path, identity: str) -> None:
    """Put the exported file and the identity it was made under into a model folder."""
    write_bytes(folder / FOLDER_FILE, Path(src).read_bytes())
    write_json(folder / (FOLDER_FILE + ".json"), {"identity": identity})


def folder_identity(folder: Path) -> str | None:
    """The encoder identity a model folder's ONNX file was exported under, or None without one."""
    meta = Path(folder) / (FOLDER_FILE + ".json")
    if not (Path(folder) / FOLDER_FILE).is_file() or not meta.is_file():
        return None
    return json.loads(meta.read_text())["identity"]


class OnnxEncoderSession:
    """One ONNX Runtime session over an exported encoder; `threads` as torch's (1 in experiments)."""

    def __init__(self, path: Path, threads: int):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, threads)
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3  # errors only
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self.dim = int(self.session.get_outputs()[0].shape[1])

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        feed = {"input_ids": input_ids.astype(np.int64), "attention_mask": attention_mask.astype(np.int64)}
        return self.session.run(None, feed)[0]
