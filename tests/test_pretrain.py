import json

import numpy as np
import pandas as pd
import pytest
import torch
from click.testing import CliRunner

from llmpredgraph.cli import main
from llmpredgraph.errors import UserError
from llmpredgraph.pretraining.descriptors import descriptor_matrix, standardise, standardiser
from llmpredgraph.pretraining.objectives import mask_tokens, r2_per_target
from llmpredgraph.pretraining.trainer import PretrainSettings, pretrain

from .conftest import make_tiny_bert

CORPUS = [
    "CCO", "CCN", "CCCO", "c1ccccc1", "c1ccccc1O", "CC(=O)O", "CC(=O)N", "c1ccncc1", "CCCCN", "OCCO",
    "c1ccc2ccccc2c1", "CC(C)O", "CC(C)N", "ClCCCl", "c1cc[nH]c1", "CCOC", "NCCN", "C1CCCCC1", "C1CCNCC1", "CCCl",
]  # fmt: skip


@pytest.fixture
def tiny_bert(tmp_path):
    return make_tiny_bert(tmp_path / "tiny_bert")


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.smi"
    path.write_text("\n".join(CORPUS) + "\nnot_smiles\n")
    return path


def test_mask_tokens_by_hand():
    ids = torch.tensor([[2, 5, 6, 7, 3, 0]])
    special = torch.tensor([[True, False, False, False, True, True]])
    inputs, labels = mask_tokens(ids, special, mask_id=4, vocab_size=16, prob=1.0, generator=torch.Generator())
    assert labels.tolist() == [[-100, 5, 6, 7, -100, -100]]  # every ordinary token chosen, never specials
    assert inputs[special].tolist() == [2, 3, 0]
    none = mask_tokens(ids, special, 4, 16, prob=0.0, generator=torch.Generator())[1]
    assert (none != -100).sum() == 1  # at least one token per batch


def test_r2_by_hand():
    y = torch.tensor([[1.0, 2.0], [2.0, 2.0], [3.0, 2.0]])
    pred = torch.tensor([[1.0, 5.0], [2.0, 5.0], [4.0, 5.0]])
    # column 0: SS_res 1, SS_tot 2 -> 0.5; column 1 is constant -> undefined
    r2 = r2_per_target(pred, y)
    assert r2[0] == 0.5 and torch.isnan(r2[1])


def test_descriptors_standardise():
    X, ok = descriptor_matrix(["CCO", "c1ccccc1", "nonsense"])
    assert ok.tolist() == [True, True, False] and X.shape[1] > 150 and np.isnan(X[2]).all()
    mean, sd = standardiser(X[ok])
    Z = standardise(X, mean, sd)
    assert Z.dtype == np.float32 and np.isfinite(Z).all() and (Z[2] == 0).all()


@pytest.mark.parametrize("objective", ["mlm", "mtr"])
def test_pretrain_learns_resumes_exactly_and_loads_as_encoder(tiny_bert, corpus, tmp_path, objective):
    s = PretrainSettings(
        objective=objective, model=str(tiny_bert), corpus=str(corpus), limit=None, steps=40, batch_size=8,
        lr=3e-3, max_length=32, val_fraction=0.25, eval_every=20, checkpoint_every=10, device="cpu",
    )  # fmt: skip
    full = pretrain(s, tmp_path / "full", progress=False)
    metric = "val_perplexity" if objective == "mlm" else "val_r2"
    # held-out perplexity falls / mean R² rises from the untrained start (20 molecules: no generalisation claim)
    better = (
        full[metric + "_end"] < full[metric + "_start"]
        if objective == "mlm"
        else full[metric + "_end"] > full[metric + "_start"]
    )
    assert full["finished"] and better, full
    assert full["train_smiles"] + full["val_smiles"] == len(CORPUS) + (1 if objective == "mlm" else 0)
    curve = pd.read_csv(tmp_path / "full" / "curve.csv")
    assert curve["step"].tolist() == [0, 20, 40] and (tmp_path / "full" / "curve.png").is_file()

    # interrupted after step 10, then rerun: the same weights as the uninterrupted run
    assert not pretrain(s, tmp_path / "cut", progress=False, stop_at=10)["finished"]
    assert (tmp_path / "cut" / "checkpoint.pt").is_file()
    resumed = pretrain(s, tmp_path / "cut", progress=False)
    assert resumed[metric + "_end"] == pytest.approx(full[metric + "_end"], rel=1e-6)
    with pytest.raises(UserError, match="other settings"):
        pretrain(PretrainSettings(**{**s.__dict__, "steps": 50}), tmp_path / "cut", progress=False)

    # the output folder is a SMILES encoder
    from llmpredgraph.encoders.smiles_lm import SmilesLMEncoder

    vecs = SmilesLMEncoder(str(tmp_path / "full" / "model"), max_length=32).encode(["CCO", "c1ccccc1"])
    assert vecs.shape == (2, 16) and np.isfinite(vecs).all()


def test_pretrain_cli_lora_and_bad_corpus(tiny_bert, corpus, tmp_path):
    out = tmp_path / "lora"
    res = CliRunner().invoke(
        main,
        ["pretrain", "--model", str(tiny_bert), "--corpus", str(corpus), "--steps", "6", "--batch-size", "4"]
        + ["--eval-every", "3", "--lora", "--device", "cpu", "--out", str(out), "--quiet"],
    )
    assert res.exit_code == 0, res.output
    assert "held-out perplexity" in res.output and "encoders.drug.model=" in res.output
    record = json.loads((out / "pretrain.json").read_text())
    assert record["settings"]["lora"] and (out / "model" / "config.json").is_file()
    assert not (out / "checkpoint.pt").exists()
    res = CliRunner().invoke(main, ["pretrain", "--corpus", "no_such_corpus", "--out", str(tmp_path / "x")])
    assert res.exit_code == 2 and "neither moses nor chembl-drugs nor an existing file" in res.output


@pytest.mark.realmodel
def test_text_mlm_with_lora_gives_a_sentence_model_folder(tmp_path):
    """The installed MiniLM under a new MLM head, LoRA-tuned on a .txt corpus; the output folder
    is a sentence model whose vectors moved from the original's."""
    from llmpredgraph.encoders.text import TextEncoder

    texts = tmp_path / "texts.txt"
    texts.write_text("\n".join(f"drug {i} treats pain and lowers fever in adults" for i in range(12)) + "\n")
    s = PretrainSettings(
        objective="mlm", model="all-MiniLM-L6-v2", corpus=str(texts), limit=None, steps=3, batch_size=4,
        lr=1e-3, lora=True, val_fraction=0.25, eval_every=3, device="cpu", encoder="text",
    )  # fmt: skip
    record = pretrain(s, tmp_path / "out", progress=False)
    assert record["finished"] and record["new_mlm_head"]
    new = TextEncoder(str(tmp_path / "out" / "model")).encode(["nausea", "headache"])
    old = TextEncoder("all-MiniLM-L6-v2").encode(["nausea", "headache"])
    # it learned the corpus (held-out perplexity of the masked tokens fell) and the saved sentence
    # model carries the merged LoRA weights (its vectors are not the original's)
    assert record["val_perplexity_end"] < record["val_perplexity_start"]
    assert new.shape == old.shape and np.abs(new - old).max() > 1e-4
    with pytest.raises(UserError, match="MLM only"):
        pretrain(PretrainSettings(**{**s.__dict__, "objective": "mtr"}), tmp_path / "x", progress=False)


def test_a_float16_checkpoint_loads_as_float32(tmp_path):
    """The GPU bundle ships the SMILES BERT in float16; encoder and MLM both train float32 weights."""
    from safetensors.torch import load_file, save_file

    from llmpredgraph.encoders.smiles_lm import load_smiles_lm

    folder = make_tiny_bert(tmp_path / "bert")
    config = json.loads((folder / "config.json").read_text())
    for key in ("dtype", "torch_dtype"):  # rxnfp's config names no dtype, so the weights' own would win
        config.pop(key, None)
    (folder / "config.json").write_text(json.dumps(config))
    weights = load_file(folder / "model.safetensors")
    save_file({k: v.half() for k, v in weights.items()}, folder / "model.safetensors", metadata={"format": "pt"})
    for masked in (False, True):
        _, model = load_smiles_lm(str(folder), masked_lm=masked)
        assert {p.dtype for p in model.parameters()} == {torch.float32}
