"""End-to-end fine-tuning of the SMILES LM together with the link model (contrastive.mode lora | full)."""

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from llmpredgraph.cli import main
from llmpredgraph.config import Config
from llmpredgraph.errors import UserError
from llmpredgraph.pipeline import joint
from llmpredgraph.pipeline.features import fit_features
from llmpredgraph.pipeline.fitted import Pipeline
from llmpredgraph.protocols import fit_on_split, make_protocol, run_fold

from .conftest import make_tiny_bert, random_inputs, scrambled_benchmark


def _cfg(bert, mode="lora", kind="cold", **contrastive) -> Config:
    return Config.model_validate(
        {
            "data": "synthetic",
            "encoders": {
                "drug": {"kind": "lm", "model": str(bert), "max_length": 32, "batch_size": 8},
                "side_effect": {"kind": "hash"},
                "hash_dim": 16,
            },
            "contrastive": {
                "mode": mode,
                "steps": 5,
                "dim": 8,
                "hidden": 16,
                "batch_size": 8,
                "plot": False,
                "lm_steps": 4,
                "lm_eval_every": 2,
                "lm_batch_size": 4,
                "lm_lr": 1e-3,
                **contrastive,
            },  # fmt: skip
            "model": {"hidden": 8, "decoder_hidden": 8, "layers": 1},
            "train": {"epochs": 4, "eval_every": 2},
            "graph": {"drug_knn": {"k": 3}, "se_cooc": {"k": 3}, "knn_similarity": "fingerprint"},
            "protocol": {"folds": 3, "kind": kind},
            "device": "cpu",
        }
    )


@pytest.fixture
def bert(tmp_path):
    return make_tiny_bert(tmp_path / "tiny_bert")


def _inputs(bench):
    inputs = random_inputs(bench)
    inputs.X_drug = np.random.default_rng(3).normal(size=(bench.n_drugs, 16)).astype(np.float32)  # LM width
    return inputs


def _fitted(bench, cfg) -> Pipeline:
    protocol = make_protocol(bench, cfg)
    split = protocol.split(protocol.folds()[0])
    return fit_on_split(protocol, split, _inputs(bench), cfg, progress=False)


def test_fine_tuned_tower_reproduces_the_vectors_the_graph_used(bench, bert, monkeypatch):
    """With validation always improving, the last step is kept: the adapters moved, the drug vectors
    are the tuned LM's, and the saved tower maps each SMILES to exactly the vector the graph read."""
    calls = iter(range(1, 100))
    monkeypatch.setattr(joint, "selection_score", lambda m: float(next(calls)))
    pipe = _fitted(bench, _cfg(bert))
    ft = pipe.history["fine_tune"]
    assert ft["best_step"] == 4 and [h["step"] for h in ft["history"]] == [2, 4]
    assert pipe.features.tower.kind == "lm" and pipe.features.tower.lm_mode == "lora"
    state = pipe.features.tower.lm_state
    assert state and all("lora_" in k for k in state)  # adapters only: the base weights ship with the encoder
    assert any(float(v.abs().sum()) > 0 for k, v in state.items() if "lora_B" in k)  # LoRA B starts at 0
    again = pipe.features.tower.transform(None, list(bench.smiles), pipe.drug_encoder())
    np.testing.assert_allclose(again, pipe.features.x_drug, atol=1e-5)
    np.testing.assert_allclose(pipe.builder.x_drug.numpy(), pipe.features.x_drug)


def test_frozen_start_is_kept_when_fine_tuning_never_validates_better(bench, bert, monkeypatch):
    monkeypatch.setattr(joint, "selection_score", lambda m: -1e9)
    cfg = _cfg(bert, mode="full")
    pipe = _fitted(bench, cfg)
    ft = pipe.history["fine_tune"]
    assert ft["best_step"] == 0 and len(ft["history"]) == 2
    frozen = fit_features(
        _inputs(bench), *_fit_args(bench, cfg), cfg, bench.smiles, 0, progress=False
    ).x_drug  # the projection of the frozen LM vectors
    np.testing.assert_allclose(pipe.features.x_drug, frozen, atol=1e-6)


def _fit_args(bench, cfg):
    split = make_protocol(bench, cfg).split(make_protocol(bench, cfg).folds()[0])
    return split.R_fit, split.feature_drugs


def test_fine_tuning_is_blind_to_test_labels(bench, bert):
    """Scrambling the test drugs' rows changes neither the tuned adapters nor any drug vector."""
    cfg = _cfg(bert)
    protocol = make_protocol(bench, cfg)
    fold = protocol.folds()[0]
    a = run_fold(protocol, fold, _inputs(bench), progress=False)
    b = run_fold(make_protocol(scrambled_benchmark(bench, fold.test), cfg), fold, _inputs(bench), progress=False)
    ta, tb = a.pipelines["graph"].features.tower, b.pipelines["graph"].features.tower
    assert ta.kind == "lm" and set(ta.lm_state) == set(tb.lm_state)
    for k in ta.lm_state:
        torch.testing.assert_close(ta.lm_state[k], tb.lm_state[k])
    np.testing.assert_array_equal(a.pipelines["graph"].features.x_drug, b.pipelines["graph"].features.x_drug)


def test_lm_modes_refuse_a_drug_encoder_that_is_not_a_language_model(bench, bert):
    cfg = _cfg(bert)
    cfg = cfg.model_copy(update={"encoders": cfg.encoders.model_copy(update={"drug": cfg.encoders.drug.model_copy(
        update={"kind": "fingerprint"})})})  # fmt: skip
    with pytest.raises(UserError, match="fine-tunes the SMILES language model"):
        fit_features(_inputs(bench), *_fit_args(bench, cfg), cfg, bench.smiles, 0, progress=False)


@pytest.mark.parametrize("kind,mode", [("cold", "lora"), ("warm", "full")])
def test_experiment_fine_tunes_per_fold_and_train_saves_adapters(bert, tmp_path, kind, mode):
    import yaml

    cfg = _cfg(bert, mode=mode, kind=kind).dump()
    cfg["protocol"]["run_folds"] = [0]
    if kind == "warm":
        cfg["model"]["drug_embedding"] = True
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg))
    run = CliRunner().invoke(main, ["experiment", "--config", str(path), "--out", str(tmp_path / "run"), "--quiet"])
    assert run.exit_code == 0, run.output
    info = json.loads((tmp_path / "run" / "folds" / "fold_0" / "info.json").read_text())
    assert info["graph"]["fine_tune"]["mode"] == mode and info["graph"]["fine_tune"]["steps"] == 4
    assert np.isfinite(json.loads((tmp_path / "run" / "metrics.json").read_text())["0"]["graph"]["dsf_scc"])
    if kind == "warm":
        return
    out = tmp_path / "model"
    res = CliRunner().invoke(main, ["train", "--config", str(path), "--out", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    pipe = Pipeline.load(out)
    assert pipe.features.tower.kind == "lm" and all("lora_" in k for k in pipe.features.tower.lm_state)
    scores = pipe.predict(smiles=["CCO", "c1ccccc1O"])
    assert scores["assoc"].shape == (2, pipe.support.n_side_effects) and np.isfinite(scores["dsf"]).all()
