"""Chemical language model over SMILES (BERT/RoBERTa checkpoints) with a regex SMILES pre-tokenizer."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from ..errors import UserError
from .base import Encoder
from .resolve import offline, offline_error, resolve_model, weights_hash
from .smiles_tokens import SMILES_REGEX, batched_by_length, substitute_unknown_atoms


def regex_bert_tokenizer(vocab_file: str | Path):
    """A WordPiece tokenizer over the SMILES vocabulary that splits with the regex first and keeps case."""
    from tokenizers import Regex, pre_tokenizers
    from transformers import BertTokenizer

    lines = Path(vocab_file).read_text(encoding="utf-8").splitlines()
    vocab = {t: i for i, t in enumerate(lines) if t}
    # transformers 5 takes the vocabulary itself; its BertTokenizer lowercases unless told not to.
    tok = BertTokenizer(vocab=vocab, do_lower_case=False)
    tok.backend_tokenizer.pre_tokenizer = pre_tokenizers.Split(Regex(SMILES_REGEX), behavior="isolated")
    tok.smiles_regex_vocab = True  # marks a vocabulary of regex tokens (for unknown-atom substitution)
    return tok


def _is_bare_bert(folder: Path) -> bool:
    cfg = folder / "config.json"
    return cfg.is_file() and "model_type" not in json.loads(cfg.read_text()) and (folder / "vocab.txt").is_file()


def smiles_lm_identity(name: str) -> str:
    where, local = resolve_model(name, "chem")
    return f"smiles-lm:{name}:{weights_hash(where) if local else 'hub'}"


def load_smiles_tokenizer(name: str):
    """The tokenizer alone (the ONNX runtime needs no torch weights)."""
    where, local = resolve_model(name, "chem")
    try:
        if local and _is_bare_bert(Path(where)):
            return regex_bert_tokenizer(Path(where) / "vocab.txt")
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(where, **({"local_files_only": True} if offline() else {}))
    except (OSError, ValueError) as exc:
        raise offline_error(name, "chem", exc) from None


def load_smiles_lm(name: str, masked_lm: bool = False):
    """(tokenizer, model): the encoder, or with masked_lm the model with its MLM head (for `pretrain`;
    a checkpoint without head weights gets a new head). Refuses checkpoints whose encoder weights
    would be newly initialised."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()  # the MLM head's unused weights are expected; missing ones are checked below

    where, local = resolve_model(name, "chem")
    # float32 master weights whatever the checkpoint stores (transformers 5 keeps a saved float16,
    # which neither trains on the CPU nor under CUDA's bf16 autocast)
    kw = {"dtype": torch.float32, **({} if masked_lm else {"add_pooling_layer": False})}
    try:
        if local and _is_bare_bert(Path(where)):
            # Config without model_type (rxnfp's MLM BERT): AutoModel cannot infer it. The BERT classes
            # alone import in 0.6 s less than the Auto mappings (predict's start-up).
            from transformers.models.bert import BertConfig, BertForMaskedLM, BertModel

            config = BertConfig.from_json_file(str(Path(where) / "config.json"))
            tok = regex_bert_tokenizer(Path(where) / "vocab.txt")
            cls = BertForMaskedLM if masked_lm else BertModel
            model, info = cls.from_pretrained(where, config=config, output_loading_info=True, **kw)
        else:
            from transformers import AutoModel, AutoModelForMaskedLM, AutoTokenizer

            hub = {"local_files_only": True} if offline() else {}
            tok = AutoTokenizer.from_pretrained(where, **hub)
            cls = AutoModelForMaskedLM if masked_lm else AutoModel
            model, info = cls.from_pretrained(where, output_loading_info=True, **kw, **hub)
    except UserError:
        raise
    except (OSError, ValueError) as exc:
        raise offline_error(name, "chem", exc) from None
    head = ("cls.", "lm_head.")  # an MLM head may be new; the encoder may not
    missing = [k for k in info.get("missing_keys", []) if "pooler" not in k and not k.startswith(head)]
    if missing:
        raise UserError(
            f"model {name!r} would newly initialise {len(missing)} encoder weights (e.g. {missing[0]})",
            "use a checkpoint pretrained for this architecture",
        )
    if masked_lm:
        model.new_head = any(k.startswith(head) for k in info.get("missing_keys", []))
    return tok, model


def pool(hidden: torch.Tensor, mask: torch.Tensor, pooling: str) -> torch.Tensor:
    if pooling == "cls":
        return hidden[:, 0]
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)


class PooledEncoder(torch.nn.Module):
    """input_ids, attention_mask [batch, tokens] -> pooled vectors [batch, hidden] (what is exported)."""

    def __init__(self, net: torch.nn.Module, pooling: str):
        super().__init__()
        self.net, self.pooling = net, pooling

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return pool(
            self.net(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state, attention_mask, self.pooling
        )


class SmilesLMEncoder(Encoder):
    """Pooled SMILES LM vectors. runtime "torch" runs the transformers model; "onnx" runs its ONNX
    export (built once into the cache, or `onnx_file`: a model folder's copy, exported under
    `onnx_identity`). Gradients (`forward`) and a tuned model passed to `encode` always run in torch."""

    def __init__(
        self,
        model: str = "rxnfp-bert",
        pooling: str = "mean",
        max_length: int = 256,
        batch_size: int = 32,
        device: str = "cpu",
        runtime: str = "torch",
        onnx_file: str | Path | None = None,
        onnx_identity: str | None = None,
    ):
        self.name, self.pooling, self.max_length, self.batch_size, self.device = (
            model,
            pooling,
            max_length,
            batch_size,
            device,
        )
        self.runtime = runtime
        self.onnx_file, self._onnx_identity = (Path(onnx_file) if onnx_file else None), onnx_identity
        self._ident = smiles_lm_identity(model)  # from files only: a cache hit never loads the model
        self._loaded = self._tok = self._session = None

    def _load(self):
        if self._loaded is None:
            tok, model = load_smiles_lm(self.name)
            self._loaded = (tok, model.to(self.device).eval())
        return self._loaded

    @property
    def tokenizer(self):
        if self._loaded is None and self.runtime == "onnx":
            if self._tok is None:
                self._tok = load_smiles_tokenizer(self.name)
            return self._tok
        return self._load()[0]

    @property
    def model(self):
        return self._load()[1]

    @property
    def identity(self) -> str:
        base = f"{self._ident}:pool={self.pooling}:maxlen={self.max_length}"
        if self.runtime == "torch":
            return base
        if self._onnx_identity:
            return self._onnx_identity
        return f"{base}:onnx={self._export_key()}"

    def _export_key(self) -> str:
        from .onnx_runtime import export_key

        return export_key(self._ident, self.pooling, self.max_length)

    def onnx_path(self) -> Path:
        """The ONNX file this encoder runs: the given one, or the cached export (made on first use)."""
        if self.onnx_file is not None:
            return self.onnx_file
        from ..paths import cache_dir
        from .onnx_runtime import export

        path = cache_dir() / "onnx" / f"{self._export_key()}.onnx"
        if not path.is_file():
            model = self.model.cpu()
            # two molecules of different lengths: the trace sees padding and a mask
            export(PooledEncoder(model, self.pooling).eval(), self.tokenize(["CCO", "c1ccccc1C(=O)O"]), path)
            model.to(self.device)
        return path

    def _onnx_session(self):
        if self._session is None:
            from .onnx_runtime import OnnxEncoderSession

            self._session = OnnxEncoderSession(self.onnx_path(), torch.get_num_threads())
        return self._session

    def _onnx_vectors(self, smiles: list[str]) -> np.ndarray:
        b = self.tokenize(smiles)
        return self._onnx_session()(b["input_ids"].numpy(), b["attention_mask"].numpy())

    def prepare(self, smiles: list[str]) -> list[str]:
        if not getattr(self.tokenizer, "smiles_regex_vocab", False):
            return list(smiles)  # BPE checkpoints (ChemBERTa) have no unknown atoms
        vocab = self.tokenizer.get_vocab()
        return [substitute_unknown_atoms(s, vocab) for s in smiles]

    def tokenize(self, smiles: list[str]) -> dict:
        return self.tokenizer(
            self.prepare(smiles), padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
        )

    def unk_count(self, smiles: list[str]) -> int:
        unk = self.tokenizer.unk_token_id
        return int(sum((np.asarray(self.tokenizer(s)["input_ids"]) == unk).sum() for s in self.prepare(smiles)))

    def forward(self, smiles: list[str], model: torch.nn.Module | None = None) -> torch.Tensor:
        """Pooled vectors with gradients (for LoRA / full fine-tuning)."""
        batch = {k: v.to(self.device) for k, v in self.tokenize(smiles).items()}
        out = (model or self.model)(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
        return pool(out.last_hidden_state, batch["attention_mask"], self.pooling)

    @torch.no_grad()
    def encode(self, inputs: list[str], progress: bool = False, model: torch.nn.Module | None = None) -> np.ndarray:
        """[len(inputs), hidden] pooled vectors, in sorted-length batches (less padding): through the
        ONNX export (runtime onnx) or torch (runtime torch, or a tuned `model`)."""
        if model is None and self.runtime == "onnx":
            return batched_by_length(inputs, self.batch_size, self._onnx_vectors, self._onnx_session().dim, progress)
        net = model or self.model
        was_training = net.training
        net.eval()
        vectors = lambda batch: self.forward(batch, net).float().cpu().numpy()  # noqa: E731
        out = batched_by_length(inputs, self.batch_size, vectors, net.config.hidden_size, progress)
        net.train(was_training)
        return out
