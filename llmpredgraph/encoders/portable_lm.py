"""A model folder's SMILES LM without torch or transformers: its ONNX export under ONNX Runtime and
its tokenizer saved as a `tokenizers` JSON file. The vectors equal `SmilesLMEncoder(runtime="onnx")`'s
(same token ids, same batches by length, same file)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ..atomic import write_json, write_text
from ..errors import UserError
from .base import Encoder
from .onnx_runtime import FOLDER_FILE, OnnxEncoderSession, folder_identity
from .smiles_tokens import batched_by_length, substitute_unknown_atoms

TOKENIZER_FILE = "drug_tokenizer.json"  # beside FOLDER_FILE in a model folder


def save_tokenizer(tokenizer, folder: Path, max_length: int, batch_size: int) -> None:
    """Write a transformers fast tokenizer's backend (and how the encoder calls it) into `folder`."""
    write_text(folder / TOKENIZER_FILE, tokenizer.backend_tokenizer.to_str())
    write_json(
        folder / (TOKENIZER_FILE + ".json"),
        {
            "max_length": max_length,
            "batch_size": batch_size,
            "pad_id": tokenizer.pad_token_id,
            "pad_token": tokenizer.pad_token,
            "regex_vocab": bool(getattr(tokenizer, "smiles_regex_vocab", False)),  # substitute unknown atoms
        },
    )


def has_portable_encoder(folder: Path) -> bool:
    return all((Path(folder) / f).is_file() for f in (FOLDER_FILE, TOKENIZER_FILE, TOKENIZER_FILE + ".json"))


class PortableSmilesEncoder(Encoder):
    """Pooled SMILES LM vectors from a model folder's `drug_encoder.onnx` and `drug_tokenizer.json`;
    threads: ONNX Runtime's intra-op threads (default: the CPUs this process may use)."""

    def __init__(self, folder: str | Path, threads: int | None = None):
        # the tokenizer's own thread pool would compete with ONNX Runtime's for the cores (1.4x slower)
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from tokenizers import Tokenizer

        folder = Path(folder)
        if not has_portable_encoder(folder):
            raise UserError(f"{folder} holds no portable SMILES encoder", "retrain it, or run `llmpredgraph export`")
        self._identity = folder_identity(folder)
        self.settings = json.loads((folder / (TOKENIZER_FILE + ".json")).read_text())
        self.tokenizer = Tokenizer.from_str((folder / TOKENIZER_FILE).read_text())
        self.tokenizer.enable_truncation(self.settings["max_length"])
        self.tokenizer.enable_padding(pad_id=self.settings["pad_id"], pad_token=self.settings["pad_token"])
        self._vocab = self.tokenizer.get_vocab() if self.settings["regex_vocab"] else None
        n = threads or (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
        self.session = OnnxEncoderSession(folder / FOLDER_FILE, n)

    @property
    def identity(self) -> str:
        return self._identity

    def _vectors(self, smiles: list[str]) -> np.ndarray:
        if self._vocab is not None:
            smiles = [substitute_unknown_atoms(s, self._vocab) for s in smiles]
        enc = self.tokenizer.encode_batch(smiles)
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        return self.session(ids, mask)

    def encode(self, inputs: list[str], progress: bool = False) -> np.ndarray:
        return batched_by_length(list(inputs), self.settings["batch_size"], self._vectors, self.session.dim, progress)
