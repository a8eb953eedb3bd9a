"""Encoders that turn SMILES and side-effect text into vectors, behind one interface."""

from .base import Encoder
from .factory import build_drug_encoder, build_text_encoder

__all__ = ["Encoder", "build_drug_encoder", "build_text_encoder"]
