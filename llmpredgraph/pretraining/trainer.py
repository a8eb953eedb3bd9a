"""`pretrain`: continued pretraining of the SMILES encoder on a corpus. MLM: masked-token
cross-entropy, held-out perplexity. MTR: regression of the standardised RDKit descriptors from the
mean-pooled encoding, held-out mean R². Full weights or LoRA (merged at the end). A checkpoint
(weights, optimizer, step, every random state) is written every `checkpoint_every` steps, so a rerun
resumes exactly; the result is OUT/model, usable as `encoders.drug.model=OUT/model`."""

from __future__ import annotations

import json
import math
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from ..atomic import atomic_path, write_json, write_with
from ..data.corpora import corpus_smiles, corpus_texts
from ..devices import resolve_device
from ..encoders.smiles_lm import load_smiles_lm, pool
from ..encoders.smiles_tokens import substitute_unknown_atoms
from ..encoders.text import load_text_mlm
from ..errors import UserError
from ..progress import bar
from .descriptors import descriptor_matrix, descriptor_names, standardise, standardiser
from .objectives import mask_tokens, r2_per_target


@dataclass
class PretrainSettings:
    objective: str = "mlm"  # mlm | mtr (drug encoder only)
    model: str = "rxnfp-bert"  # alias, local folder or hub id of the encoder
    corpus: str = "chembl-drugs"  # drug: moses | chembl-drugs | .smi/.csv/.parquet; text: benchmark-texts | .txt
    limit: int | None = 20_000  # first N distinct SMILES of the corpus
    steps: int = 500
    batch_size: int = 32
    lr: float = 5e-5
    max_length: int = 128
    mask_prob: float = 0.15
    lora: bool = False
    lora_r: int = 8
    lora_alpha: int = 16
    val_fraction: float = 0.05
    max_val: int = 1000
    eval_every: int = 50
    checkpoint_every: int = 100
    seed: int = 0
    device: str = "cpu"  # cpu | cuda | auto
    encoder: str = "drug"  # drug (SMILES LM) | text (sentence model, MLM on drug and side-effect texts)

    def check(self) -> None:
        if self.objective not in ("mlm", "mtr"):
            raise UserError(f"unknown objective {self.objective!r}", "choose --objective mlm or --objective mtr")
        if self.encoder not in ("drug", "text"):
            raise UserError(f"unknown encoder {self.encoder!r}", "choose --encoder drug or --encoder text")
        if self.encoder == "text" and self.objective != "mlm":
            raise UserError("the text encoder pretrains with MLM only", "use --objective mlm with --encoder text")
        for key in ("steps", "batch_size", "max_length", "eval_every", "checkpoint_every"):
            if getattr(self, key) < 1:
                raise UserError(f"{key} must be at least 1 (got {getattr(self, key)})", f"pass a positive {key}")


class Pretrainer(nn.Module):
    """The encoder with the objective's head: MLM logits, or descriptor predictions from pooling."""

    def __init__(self, lm: nn.Module, objective: str, n_targets: int = 0):
        super().__init__()
        self.lm, self.objective = lm, objective
        self.head = nn.Linear(lm.config.hidden_size, n_targets) if objective == "mtr" else None

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        out = self.lm(input_ids=ids, attention_mask=mask)
        if self.objective == "mlm":
            return out.logits  # [B, L, vocab]
        return self.head(pool(out.last_hidden_state, mask, "mean"))  # [B, T]


def _split(smiles: list[str], s: PretrainSettings) -> tuple[list[str], list[str]]:
    order = np.random.default_rng(s.seed).permutation(len(smiles))
    n_val = min(s.max_val, max(1, math.ceil(s.val_fraction * len(smiles))))
    if len(smiles) - n_val < 1:
        raise UserError(f"corpus has only {len(smiles)} SMILES", "use a larger corpus or --limit")
    return [smiles[i] for i in order[n_val:]], [smiles[i] for i in order[:n_val]]


class Batches:
    """Tokenised batches; unknown bracket atoms of a regex vocabulary are substituted first."""

    def __init__(self, tok, max_length: int, device: torch.device):
        self.tok, self.max_length, self.device = tok, max_length, device
        self.vocab = tok.get_vocab() if getattr(tok, "smiles_regex_vocab", False) else None

    def __call__(self, smiles: list[str]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        text = [substitute_unknown_atoms(x, self.vocab) for x in smiles] if self.vocab else smiles
        enc = self.tok(text, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt")
        ids, att = enc["input_ids"], enc["attention_mask"]
        special = torch.isin(ids, torch.tensor(self.tok.all_special_ids)) | (att == 0)
        return ids, att, special


def pretrain(settings: PretrainSettings, out: str | Path, progress: bool = True, stop_at: int | None = None) -> dict:
    """Run (or resume) continued pretraining into `out`; returns the record written to
    out/pretrain.json. stop_at: leave after that step with only the checkpoint (as if interrupted)."""
    s, out = settings, Path(out)
    s.check()
    device = resolve_device(s.device)
    record_path = out / "pretrain.json"
    if record_path.is_file():
        old = json.loads(record_path.read_text())
        if old.get("settings") != asdict(s):
            raise UserError(f"{out} holds a pretraining with other settings", "pass --overwrite or another --out")
        if old.get("finished"):
            return old
    out.mkdir(parents=True, exist_ok=True)
    write_json(record_path, {"settings": asdict(s), "finished": False})

    torch.manual_seed(s.seed)
    st_folder = None
    if s.encoder == "text":
        train, val = _split(corpus_texts(s.corpus, s.limit), s)
        tok, lm, st_folder = load_text_mlm(s.model)
    else:
        train, val = _split(corpus_smiles(s.corpus, s.limit), s)
        tok, lm = load_smiles_lm(s.model, masked_lm=s.objective == "mlm")
    targets = {}
    if s.objective == "mtr":
        n_tr = len(train)
        X, ok = descriptor_matrix(train + val)  # SMILES RDKit cannot parse have no targets: dropped
        mean, sd = standardiser(X[:n_tr][ok[:n_tr]])
        Y = standardise(X, mean, sd)
        train = [x for x, k in zip(train, ok[:n_tr]) if k]
        val = [x for x, k in zip(val, ok[n_tr:]) if k]
        if not train or not val:
            raise UserError("too few SMILES of the corpus parse with RDKit for MTR", "use a corpus of valid SMILES")
        targets = {"train": torch.as_tensor(Y[:n_tr][ok[:n_tr]]), "val": torch.as_tensor(Y[n_tr:][ok[n_tr:]])}
    if s.lora:
        from peft import LoraConfig, get_peft_model

        trainable_head = ["cls"] if getattr(lm, "new_head", False) else None
        lm = get_peft_model(
            lm,
            LoraConfig(
                r=s.lora_r, lora_alpha=s.lora_alpha, target_modules=["query", "value"], modules_to_save=trainable_head
            ),
        )
    model = Pretrainer(lm, s.objective, len(descriptor_names()) if s.objective == "mtr" else 0).to(device)
    optim = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=s.lr)
    batches = Batches(tok, s.max_length, device)
    rng, gen = np.random.default_rng(s.seed), torch.Generator().manual_seed(s.seed)
    step, curve, seconds = 0, [], 0.0
    ckpt = out / "checkpoint.pt"
    if ckpt.is_file():  # resume exactly: weights, optimizer, step and every random state
        state = torch.load(ckpt, weights_only=False)
        model.load_state_dict(state["model"])
        optim.load_state_dict(state["optim"])
        step, curve, seconds = state["step"], state["curve"], state["seconds"]
        rng.bit_generator.state = state["rng"]
        gen.set_state(state["gen"])
        torch.set_rng_state(state["torch"])

    def loss_of(idx: np.ndarray, part: list[str], ys: torch.Tensor | None, g: torch.Generator) -> torch.Tensor:
        ids, att, special = batches([part[i] for i in idx])
        if s.objective == "mlm":
            inputs, labels = mask_tokens(ids, special, tok.mask_token_id, len(tok), s.mask_prob, g)
            with _autocast(device):
                logits = model(inputs.to(device), att.to(device))
            return nn.functional.cross_entropy(logits.float().flatten(0, 1), labels.to(device).flatten())
        with _autocast(device):
            pred = model(ids.to(device), att.to(device))
        return nn.functional.mse_loss(pred.float(), ys[idx].to(device))

    @torch.no_grad()
    def evaluate() -> float:
        model.eval()
        g = torch.Generator().manual_seed(s.seed + 1)  # the same masks at every evaluation
        order = np.argsort([len(x) for x in val])  # length-sorted: less padding
        total, count, preds = 0.0, 0, []
        for b in range(0, len(val), s.batch_size):
            idx = order[b : b + s.batch_size]
            if s.objective == "mlm":
                total += float(loss_of(idx, val, None, g)) * len(idx)
                count += len(idx)
            else:
                ids, att, _ = batches([val[i] for i in idx])
                with _autocast(device):
                    preds.append((idx, model(ids.to(device), att.to(device)).float().cpu()))
        model.train()
        if s.objective == "mlm":
            return math.exp(total / max(count, 1))  # perplexity of the masked tokens
        pred = torch.zeros_like(targets["val"])
        for idx, p in preds:
            pred[torch.as_tensor(idx)] = p
        return float(r2_per_target(pred, targets["val"]).nanmean())  # over descriptors that vary

    metric = "val_perplexity" if s.objective == "mlm" else "val_r2"
    if not curve:
        curve.append({"step": 0, "train_loss": float("nan"), metric: evaluate(), "seconds": 0.0})
    model.train()
    t0, seen, losses, step_s = time.perf_counter(), 0, [], 0.0  # step_s: optimizer steps only
    with bar(range(step, s.steps), desc=f"pretrain {s.objective}", enabled=progress, unit="step") as steps:
        for step in steps:
            idx = rng.choice(len(train), size=min(s.batch_size, len(train)), replace=False)
            ts = time.perf_counter()
            loss = loss_of(idx, train, targets.get("train"), gen)
            optim.zero_grad()
            loss.backward()
            optim.step()
            losses.append(loss.item())  # .item() syncs a GPU, so step_s is the real step time
            step_s += time.perf_counter() - ts
            seen += len(idx)
            done = step + 1
            rate = seen / max(time.perf_counter() - t0, 1e-9)
            steps.set_postfix(loss=f"{losses[-1]:.3f}", seq_s=f"{rate:.0f}")
            if done % s.eval_every == 0 or done == s.steps:
                row = {"step": done, "train_loss": float(np.mean(losses)), metric: evaluate()}
                curve.append({**row, "seconds": seconds + time.perf_counter() - t0})
                losses = []
            if done % s.checkpoint_every == 0 or done == s.steps or done == stop_at:
                state = {
                    "model": model.state_dict(),
                    "optim": optim.state_dict(),
                    "step": done,
                    "curve": curve,
                    "seconds": seconds + time.perf_counter() - t0,
                    "rng": rng.bit_generator.state,
                    "gen": gen.get_state(),
                    "torch": torch.get_rng_state(),
                }
                write_with(ckpt, lambda p, st=state: torch.save(st, p))
            if done == stop_at:
                return {"settings": asdict(s), "finished": False, "step": done}
    seconds += time.perf_counter() - t0
    _save_encoder(model, tok, s, out / "model", st_folder)
    frame = pd.DataFrame(curve)
    write_with(out / "curve.csv", lambda p: frame.to_csv(p, index=False))
    _plot_curve(frame, metric, out / "curve.png")
    record = {
        "settings": asdict(s),
        "finished": True,
        "train_smiles": len(train),
        "val_smiles": len(val),
        "new_mlm_head": bool(getattr(lm, "new_head", False)) if s.objective == "mlm" else None,
        metric + "_start": curve[0][metric],
        metric + "_end": curve[-1][metric],
        "seconds": round(seconds, 2),
        "sequences_per_second": round(s.steps * s.batch_size / seconds, 1) if seconds > 0 else None,
        # training steps alone (no held-out evaluation or checkpoints), this invocation's steps
        "train_sequences_per_second": round(seen / step_s, 1) if step_s > 0 else None,
        "device": str(device),
        "model_folder": str((out / "model").resolve()),
    }
    write_json(record_path, record)
    ckpt.unlink(missing_ok=True)  # the model folder is the result; the checkpoint was only for resuming
    return record


def _autocast(device: torch.device):
    """bf16 autocast on CUDA; a no-op context on CPU."""
    return (
        torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else torch.autocast("cpu", enabled=False)
    )


def _save_encoder(model: Pretrainer, tok, s: PretrainSettings, folder: Path, st_folder: str | None = None) -> None:
    """The tuned encoder as a model folder its encoder loads (LoRA merged into the weights): a
    regex-vocabulary BERT keeps rxnfp's layout (config without model_type, vocab.txt); a text model
    is the original sentence-transformers folder with the tuned transformer weights."""
    lm = model.lm.merge_and_unload() if s.lora else model.lm
    with atomic_path(folder, is_dir=True) as tmp:
        if st_folder is not None:
            shutil.copytree(st_folder, tmp, dirs_exist_ok=True)
            lm.base_model.save_pretrained(tmp)  # the encoder without the MLM head, as the folder had it
            (tmp / "pytorch_model.bin").unlink(missing_ok=True)  # stale weights would shadow the tuned ones
            return
        lm.save_pretrained(tmp)
        if getattr(tok, "smiles_regex_vocab", False):
            cfg = json.loads((tmp / "config.json").read_text())
            cfg.pop("model_type", None)
            (tmp / "config.json").write_text(json.dumps(cfg, indent=2))
            vocab = sorted(tok.get_vocab().items(), key=lambda kv: kv[1])
            (tmp / "vocab.txt").write_text("\n".join(t for t, _ in vocab) + "\n")
        else:
            tok.save_pretrained(tmp)
        if model.head is not None:
            torch.save({"head": model.head.state_dict(), "names": descriptor_names()}, tmp / "mtr_head.pt")


def _plot_curve(frame: pd.DataFrame, metric: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.plot(frame["step"], frame[metric], marker="o")
    ax.set_xlabel("step")
    ax.set_ylabel("held-out perplexity" if metric == "val_perplexity" else "held-out mean R²")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    write_with(path, lambda p: fig.savefig(p, dpi=120, format="png"))
    plt.close(fig)
