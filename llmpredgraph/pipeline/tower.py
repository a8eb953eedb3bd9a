"""The drug tower: what turns a drug's raw encoder output (or its SMILES) into the vector the graph reads.

It owns the encoder identity, the standardisation fitted on fit drugs, the contrastive projection
head, and (lora/full modes) the tuned language-model weights, and saves them all in one file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..atomic import write_with
from ..contrastive.towers import ProjectionHead, Standardize, adapt_lm
from ..errors import UserError

KINDS = ("standardize", "projection", "lm")


class DrugTower:
    """kind 'standardize' (no contrastive stage): (raw - mean) / std of the fit drugs.
    kind 'projection': the contrastive head over frozen raw vectors.
    kind 'lm': the contrastive head over a tuned LM (LoRA adapters or all weights, `lm_mode`)."""

    def __init__(
        self,
        kind: str,
        head: torch.nn.Module,
        lm_mode: str | None = None,
        lm_state: dict | None = None,
        lora: dict | None = None,
    ):
        if kind not in KINDS:
            raise ValueError(f"unknown drug tower kind {kind!r}")
        self.kind, self.head, self.lm_mode, self.lm_state, self.lora = kind, head.eval(), lm_mode, lm_state, lora or {}
        self._lm = None

    @classmethod
    def from_contrastive(cls, result, mode: str, lora_r: int, lora_alpha: int) -> DrugTower:
        if result.lm_state is not None:
            return cls("lm", result.drug_head, mode, result.lm_state, {"lora_r": lora_r, "lora_alpha": lora_alpha})
        return cls("projection", result.drug_head)

    @torch.no_grad()
    def transform(self, raw: np.ndarray | None = None, smiles: list[str] | None = None, encoder=None) -> np.ndarray:
        """raw: [n, raw_dim] encoder output -> [n, dim] float32. The 'lm' kind encodes `smiles` with
        `encoder` (a SmilesLMEncoder) through its tuned weights instead."""
        if self.kind == "lm":
            if smiles is None or encoder is None:
                raise ValueError("an LM-tuned drug tower needs the SMILES and the encoder")
            raw = encoder.encode(smiles, model=self._tuned_lm(encoder))
        return self.head(torch.as_tensor(raw, dtype=torch.float32)).numpy().astype(np.float32)

    def _tuned_lm(self, encoder) -> torch.nn.Module:
        if self._lm is None:
            model = adapt_lm(encoder.model, self.lm_mode, **self.lora)
            # LoRA towers hold the adapters only: the base weights come from the (same) encoder
            res = model.load_state_dict(self.lm_state, strict=self.lm_mode == "full")
            if res.unexpected_keys or any("lora_" in k for k in res.missing_keys):
                raise UserError(
                    "the saved LM adapters do not fit this encoder model",
                    "install the encoder the model was trained with, or retrain it",
                )
            self._lm = model.eval()
        return self._lm

    # --- persistence -----------------------------------------------------------------------------
    def settings(self) -> dict:
        head = self.head.settings if isinstance(self.head, ProjectionHead) else {"dim": int(self.head.mean.shape[0])}
        return {"kind": self.kind, "head": head, "lm_mode": self.lm_mode, "lora": self.lora}

    def save(self, path: str | Path) -> None:
        blob = {"settings": self.settings(), "head_state": self.head.state_dict(), "lm_state": self.lm_state}
        write_with(path, lambda p: torch.save(blob, p))

    @classmethod
    def load(cls, path: str | Path) -> DrugTower:
        try:
            blob = torch.load(path, map_location="cpu", weights_only=False)
            s = blob["settings"]
        except (OSError, RuntimeError, EOFError, KeyError) as exc:
            raise UserError(
                f"cannot read the drug tower {path} ({type(exc).__name__})",
                "retrain the model with `llmpredgraph train`",
            ) from None
        if s["kind"] == "standardize":
            head = Standardize(s["head"]["dim"])
        else:
            head = ProjectionHead(Standardize(s["head"]["in_dim"]), **s["head"])
        head.load_state_dict(blob["head_state"])
        return cls(s["kind"], head, s["lm_mode"], blob["lm_state"], s["lora"])
