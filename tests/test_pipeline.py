"""The fitted pipeline, its parts' persistence, typed pair features, frequency classes and the metric registry."""

import json
import os
import shutil

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from llmpredgraph import frequency
from llmpredgraph.cli import main
from llmpredgraph.config import Config
from llmpredgraph.contrastive.towers import ProjectionHead, Standardize
from llmpredgraph.graph.decoder import EdgeDecoder
from llmpredgraph.graph.pair_features import PairFeatures
from llmpredgraph.metrics.functions import evaluate, mention_metrics, selection_metrics
from llmpredgraph.metrics.registry import names, selection_score
from llmpredgraph.pipeline.tower import DrugTower
from llmpredgraph.protocols import ColdProtocol, Fold, Targets, run_fold

from .conftest import random_inputs
from .test_cli import TINY


def test_frequency_class_conversions_by_hand():
    assert frequency.centre(5) == 1.0 and frequency.centre(1) == -1.0 and frequency.uncentre(0.5) == 4.0
    assert frequency.to_unit(1) == 0.0 and frequency.to_unit(5) == 1.0 and frequency.from_unit(0.5) == 3.0
    assert frequency.to_fraction(4) == 0.8 and frequency.from_fraction(0.6) == 3.0
    assert frequency.is_high(4) and not frequency.is_high(3) and frequency.scale_offset(1.0) == 0.5
    np.testing.assert_array_equal(frequency.clip_class(np.array([0.2, 3.3, 7.0])), [1.0, 3.3, 5.0])


def test_pair_features_matrix_order_and_decoder_reads_priors_by_name():
    cols = torch.tensor([[0.1, 0.2], [0.3, 0.4]])
    pf = PairFeatures(
        cols,
        dshf_prior=torch.tensor([0.9, 0.1]),
        assoc_prior=torch.tensor([0.5, 0.2]),
        dsf_prior=torch.tensor([0.5, -1.0]),
    )
    assert pf.dim == 5 and len(pf) == 2
    np.testing.assert_allclose(pf.matrix().numpy(), [[0.1, 0.2, 0.9, 0.5, 0.5], [0.3, 0.4, 0.1, 0.2, -1.0]])
    dec = EdgeDecoder(3, pair_dim=5, hidden=4, dropout=0.0, prior=True, high_prior=True)
    torch.nn.init.zeros_(dec.heads.weight)
    torch.nn.init.zeros_(dec.heads.bias)
    out = dec(torch.randn(2, 3), torch.randn(2, 3), pf)
    # a zero correction leaves exactly the priors: class 4 and 1 (clamped to 1.08), p(high) .9/.1, p(assoc) .5/.2
    np.testing.assert_allclose(out["dsf"].detach().numpy(), [4.0, 1 + 4 * 0.02], atol=1e-5)
    np.testing.assert_allclose(torch.sigmoid(out["dshf"]).detach().numpy(), [0.9, 0.1], atol=1e-5)
    np.testing.assert_allclose(torch.sigmoid(out["assoc"]).detach().numpy(), [0.5, 0.2], atol=1e-5)
    with pytest.raises(ValueError, match="expects 5 pair features"):
        dec(torch.randn(2, 3), torch.randn(2, 3), PairFeatures(cols))


def test_metric_registry_names_what_evaluate_returns():
    R_test = np.array([[4, 2, 0], [5, 0, 1]])
    pred = {
        "dsf": np.array([[4.0, 2.5, 3.0], [4.5, 3.0, 1.5]]),
        "dshf": np.full((2, 3), 0.6),
        "assoc": np.array([[0.9, 0.8, 0.1], [0.7, 0.2, 0.6]]),
    }
    m = evaluate(pred, R_test, np.array([0, 1]), np.array([2, 1]))
    m |= mention_metrics(pred["assoc"], R_test, np.array([0, 1]), np.array([2, 1]))  # the second truth
    assert set(m) == set(names())
    assert names("headline") == ["dsf_scc", "dshf_auroc", "assoc_auroc", "assoc_auroc_per_drug", "assoc_auroc_strat"]
    # the fast validation path computes exactly the selection metrics, with evaluate's values
    fast = selection_metrics(pred, R_test)
    assert set(fast) == set(names("selection"))
    assert all(fast[k] == pytest.approx(m[k]) for k in fast)
    assert set(names("selection")) <= set(names()) and set(names("summary")) <= set(names())
    assert selection_score({"dsf_scc": 0.5, "dshf_auroc": 0.7, "assoc_auroc_all": float("nan")}) == pytest.approx(0.6)


def test_drug_tower_roundtrip(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(6, 4)).astype(np.float32)
    head = ProjectionHead(Standardize.fit(X), 4, 8, 3)
    for tower in (DrugTower("standardize", Standardize.fit(X)), DrugTower("projection", head)):
        tower.save(tmp_path / "t.pt")
        again = DrugTower.load(tmp_path / "t.pt")
        assert again.kind == tower.kind
        np.testing.assert_allclose(again.transform(X), tower.transform(X), atol=1e-6)
    np.testing.assert_allclose(DrugTower("standardize", Standardize.fit(X)).transform(X).mean(0), 0, atol=1e-5)


def test_model_folder_is_self_contained(bench, tmp_path, monkeypatch):
    """Train on a processed benchmark folder, then predict from another directory with that folder gone."""
    processed = tmp_path / "processed"
    bench.save(processed)
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(TINY.replace("data: synthetic", f"data: {processed}"))
    res = CliRunner().invoke(
        main, ["train", "--config", str(cfg), "--out", str(tmp_path / "m"), "--quiet"], catch_exceptions=False
    )
    assert res.exit_code == 0, res.output
    shutil.rmtree(processed)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("LLMPREDGRAPH_DATA_DIR", str(elsewhere / "nothing"))
    res = CliRunner().invoke(
        main, ["predict", "--model", str(tmp_path / "m"), "--smiles", "CCOc1ccccc1", "--top", "3", "--format", "json"]
    )
    assert res.exit_code == 0, res.output
    assert len(json.loads(res.output)) == 3
    assert not os.path.exists("data")  # nothing was looked up in a working area


class FirstDrugsOut(ColdProtocol):
    """A protocol defined in one place: tests the first 4 drugs, then the next 4 (no shuffling)."""

    kind = "first_out"

    def folds(self):
        n = self.bench.n_drugs
        return [
            Fold(k, k, np.setdiff1d(np.arange(n), np.arange(4 * k, 4 * k + 4)), np.arange(4 * k, 4 * k + 4))
            for k in range(2)
        ]


def test_a_new_protocol_and_pipeline_factory_plug_into_run_fold(bench):
    cfg = Config.model_validate(
        {
            "contrastive": {"steps": 3, "dim": 4, "hidden": 8, "batch_size": 4, "plot": False},
            "model": {"hidden": 8, "decoder_hidden": 8, "layers": 1},
            "train": {"epochs": 4, "eval_every": 2},
            "graph": {"drug_knn": {"k": 3}, "se_cooc": {"k": 3}},
            "baselines": ["se_mean"],
        }
    )
    protocol = FirstDrugsOut(bench, cfg)
    built = []

    def factory(vcfg, features, support):
        from llmpredgraph.pipeline.fitted import Pipeline

        built.append(support.R[:4].sum())  # the test drugs' labels are masked before any pipeline exists
        return Pipeline(vcfg, features, support)

    res = run_fold(protocol, protocol.folds()[0], random_inputs(bench), factory=factory, progress=False)
    assert built == [0, 0]  # graph model and plain MLP
    assert set(res.metrics) == {"graph", "mlp", "se_mean"}
    assert set(res.predictions["drug"]) <= set(bench.drug_names[:4])
    t = protocol.targets(protocol.split(protocol.folds()[0]))
    assert isinstance(t, Targets) and t.R_test.shape == (4, bench.n_side_effects)


def test_model_on_combined_similarity_keeps_knowledge_in_its_folder(tmp_path):
    """knn edges on structure + ATC + targets: the folder carries each drug's knowledge, the loaded
    model rebuilds the same similarity, and a new molecule (no knowledge) is compared on structure."""
    from llmpredgraph.graph.similarity import tanimoto_matrix
    from llmpredgraph.pipeline.fitted import Pipeline
    from llmpredgraph.pipeline.knowledge import DrugKnowledge

    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(TINY)
    res = CliRunner().invoke(
        main,
        ["train", "--config", str(cfg), "--out", str(tmp_path / "m"), "--quiet"]
        + ["--set", "graph.knn_similarity=combined", "--set", "graph.knn_weights.atc=2.0"],
        catch_exceptions=False,
    )
    assert res.exit_code == 0, res.output
    pipe = Pipeline.load(tmp_path / "m")
    know = json.loads((tmp_path / "m" / "names.json").read_text())["knowledge"]
    tan = tanimoto_matrix(pipe.support.fingerprints)
    expect = DrugKnowledge(**know).similarity(tan, {"structure": 1.0, "atc": 2.0, "target": 1.0})
    np.testing.assert_allclose(pipe.features.S_drug, expect)
    assert not np.allclose(pipe.features.S_drug, tan)
    out = pipe.predict(smiles=["CCOc1ccccc1"])
    assert out["dsf"].shape == (1, pipe.support.n_side_effects)


@pytest.mark.parametrize("kind", ["cold", "warm"])
def test_validators_score_the_model_they_are_given(model_dir, kind):
    """A validator scores its argument (the candidate under training), not the pipeline's own model."""
    import copy

    from llmpredgraph.pipeline.fitted import Pipeline
    from llmpredgraph.protocols.cold import cold_validator
    from llmpredgraph.protocols.warm import warm_validator

    pipe = Pipeline.load(model_dir)
    R, n = pipe.support.R, pipe.support.n_drugs
    fit, val = np.arange(n // 2, n), np.arange(n // 2)
    if kind == "cold":
        validate = cold_validator(pipe, R, fit, val)
    else:
        pairs = np.argwhere(R[val] > 0)[::3]
        validate = warm_validator(pipe, np.arange(n), R, R, pairs, seed=0, max_cells=500)
    own = validate(pipe.model)
    other = copy.deepcopy(pipe.model)
    other.decoder.correction.fill_(1.0)
    with torch.no_grad():
        for p in other.parameters():
            p.add_(0.1 * torch.randn_like(p))
    changed = validate(other)
    assert any(changed[k] != own[k] for k in own)
    assert validate(pipe.model) == own  # the pipeline's model was neither used for `other` nor altered
