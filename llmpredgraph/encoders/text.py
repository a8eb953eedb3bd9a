"""Sentence-transformers text encoder for side-effect descriptions (and optional drug text)."""

from __future__ import annotations

import numpy as np

from .base import Encoder
from .resolve import offline, offline_error, resolve_model, weights_hash


class TextEncoder(Encoder):
    def __init__(self, model: str = "all-MiniLM-L6-v2", batch_size: int = 64, device: str = "cpu"):
        self.name, self.batch_size, self.device = model, batch_size, device
        self._where, local = resolve_model(model, "text")
        self._ident = f"text:{model}:{weights_hash(self._where) if local else 'hub'}"
        self._model = None

    @property
    def model(self):
        """Loaded on first use, so a cache hit never loads the model."""
        if self._model is None:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # no "Loading weights" bar on every command that embeds text
            try:
                self._model = SentenceTransformer(self._where, device=self.device, local_files_only=offline())
            except (OSError, ValueError) as exc:
                raise offline_error(self.name, "text", exc) from None
        return self._model

    @property
    def identity(self) -> str:
        return self._ident

    def encode(self, inputs: list[str], progress: bool = False) -> np.ndarray:
        vecs = self.model.encode(
            list(inputs), batch_size=self.batch_size, show_progress_bar=progress, convert_to_numpy=True
        )
        return np.asarray(vecs, dtype=np.float32)


def load_text_mlm(name: str):
    """(tokenizer, masked-LM model, the sentence-transformers folder) of a local text model, for
    `pretrain --encoder text`: the folder's transformer under a new MLM head (sentence models such
    as MiniLM ship none)."""
    from sentence_transformers import SentenceTransformer
    from transformers import AutoModelForMaskedLM
    from transformers.utils import logging as hf_logging

    from ..errors import UserError

    hf_logging.set_verbosity_error()
    where, local = resolve_model(name, "text")
    if not local:
        raise UserError(
            f"text pretraining needs a local sentence-transformers folder, and {name!r} is not one",
            "use all-MiniLM-L6-v2 (installed) or a downloaded model folder",
        )
    st = SentenceTransformer(where, device="cpu")
    base = st[0].auto_model
    model = AutoModelForMaskedLM.from_config(base.config)
    missing, _ = model.base_model.load_state_dict(base.state_dict(), strict=False)  # the pooler is not needed
    if missing:
        raise UserError(f"text model {name!r} does not fit a masked-LM head ({missing[0]})", "use a BERT-like model")
    model.new_head = True
    return st.tokenizer, model, where
