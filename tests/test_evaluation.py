"""Grouped and scaffold folds, repeats, structure standardisation and the end-to-end leakage guard."""

import numpy as np
import pandas as pd
import pytest

from llmpredgraph.baselines import run_baseline
from llmpredgraph.config import Config
from llmpredgraph.data.structures import scaffold_groups, standardise, structure_groups
from llmpredgraph.metrics.functions import association_criterion
from llmpredgraph.protocols import ColdProtocol, ScaffoldProtocol, make_protocol, run_fold
from llmpredgraph.protocols.fold import choose_baseline_knobs
from llmpredgraph.protocols.splits import cold_folds

from .conftest import random_inputs, scrambled_benchmark


def test_standardise_salts_stereo_and_tautomers():
    acid = standardise("CC(=O)Oc1ccccc1C(=O)O")
    salt = standardise("CC(=O)Oc1ccccc1C(=O)[O-].[Na+]")
    assert salt.inchikey == acid.inchikey  # largest fragment, neutralised
    levo, racemic = standardise("C[C@H](N)Cc1ccccc1"), standardise("CC(N)Cc1ccccc1")
    assert levo.inchikey != racemic.inchikey and levo.connectivity == racemic.connectivity
    # keto and enol forms share a skeleton key
    assert standardise("CC(=O)C").connectivity == standardise("CC(O)=C").connectivity
    # a combination product lists both components (>= 12 heavy atoms each)
    combo = standardise("COc1cc(Cc2cnc(N)nc2N)cc(OC)c1OC.Cc1cc(NS(=O)(=O)c2ccc(N)cc2)no1")
    assert len(combo.components) == 2
    assert standardise("c1ccccc1").scaffold == "c1ccccc1" and standardise("CCCC").scaffold == ""
    assert standardise("not a smiles") is None


def test_structure_groups_union_shared_components():
    comps = [("A",), ("B",), ("A", "C"), ("C",), ("D",)]
    g = structure_groups(comps)
    assert g[0] == g[2] == g[3] and len({g[0], g[1], g[4]}) == 3
    sc = scaffold_groups(["r1", "r1", "", "", "r2"], np.array([0, 1, 2, 2, 3]))
    assert sc[0] == sc[1] and sc[2] == sc[3] and sc[4] not in (sc[0], sc[2])


def test_grouped_folds_never_split_a_group():
    groups = np.repeat(np.arange(20), 3)[:50]
    for tr, te in cold_folds(50, 5, 0, groups):
        assert not set(groups[tr]) & set(groups[te])
    assert sorted(np.concatenate([te for _, te in cold_folds(50, 5, 0, groups)])) == list(range(50))


def _tiny_cfg(**protocol):
    return Config.model_validate(
        {
            "data": "synthetic",
            "contrastive": {"steps": 3, "dim": 4, "hidden": 8, "batch_size": 4, "plot": False},
            "model": {"hidden": 8, "decoder_hidden": 8, "layers": 1},
            "train": {"epochs": 4, "eval_every": 2},
            "graph": {"drug_knn": {"k": 3}, "se_cooc": {"k": 3}},
            "protocol": {"folds": 4, **protocol},
        }
    )


def test_repeats_number_folds_and_keep_groups(bench):
    bench.drugs.loc[[0, 1, 2], "structure_group"] = bench.drugs.loc[0, "structure_group"]  # a twin group
    cfg = _tiny_cfg(repeats=3)
    folds = make_protocol(bench, cfg).folds()
    assert [f.index for f in folds] == list(range(12)) and [f.repeat for f in folds] == [0] * 4 + [1] * 4 + [2] * 4
    assert [f.seed for f in folds] == [cfg.seed + i for i in range(12)]
    for r in range(3):
        tested = np.concatenate([f.test for f in folds if f.repeat == r])
        assert sorted(tested) == list(range(bench.n_drugs))  # each repeat tests every drug once
    assert any(not np.array_equal(folds[k].test, folds[4 + k].test) for k in range(4))  # repeats differ
    for f in folds:
        assert len({0, 1, 2} & set(f.test)) in (0, 3)  # the twins move together
    rec = ColdProtocol(bench, cfg).record(folds)
    assert rec["repeats"] == 3 and len(rec["test_drugs"]) == 12


def test_scaffold_protocol_keeps_scaffolds_apart(bench):
    p = ScaffoldProtocol(bench, _tiny_cfg(kind="scaffold"))
    scaf = bench.drugs["scaffold"].to_numpy()
    for f in p.folds():
        ring = {s for s in scaf[f.test] if s}
        assert not ring & {s for s in scaf[f.train] if s}


def test_missing_group_column_is_a_clear_error(bench):
    from llmpredgraph.errors import UserError

    old = bench.__class__(**{**bench.__dict__, "drugs": bench.drugs.drop(columns=["structure_group"])})
    with pytest.raises(UserError, match="data prepare"):
        ColdProtocol(old, _tiny_cfg()).folds()


@pytest.mark.parametrize("kind", ["cold", "scaffold"])
def test_end_to_end_no_prediction_depends_on_test_labels(bench, kind):
    """One fold of every method; scrambling the test drugs' rows (their classes, hence edge weights,
    and which pairs exist) changes no prediction of any method, only the metrics."""
    cfg = _tiny_cfg(kind=kind).model_copy(update={"baselines": ["se_mean", "knn_fp", "knn_offset"]})
    protocol = make_protocol(bench, cfg)
    fold = protocol.folds()[0]
    a = run_fold(protocol, fold, random_inputs(bench), progress=False)
    scrambled = scrambled_benchmark(bench, fold.test)
    b = run_fold(make_protocol(scrambled, cfg), fold, random_inputs(bench), progress=False)
    assert set(a.metrics) == {"graph", "mlp", "se_mean", "knn_fp", "knn_offset"}
    for name in a.pipelines:
        for k in ("dsf", "dshf", "assoc"):  # the full score matrices over the test drugs
            pa = a.pipelines[name].predict_matrix(
                fold.train, fold.test, R=make_protocol(bench, cfg).split(fold).R_train
            )
            pb = b.pipelines[name].predict_matrix(
                fold.train, fold.test, R=make_protocol(scrambled, cfg).split(fold).R_train
            )
            np.testing.assert_array_equal(pa[k], pb[k])
    np.testing.assert_array_equal(a.features.x_drug, b.features.x_drug)
    assert a.metrics["graph"]["dsf_scc"] != b.metrics["graph"]["dsf_scc"]
    cols = [c for c in a.predictions.columns if c.endswith(("_dsf", "_dshf", "_assoc"))]
    # the scored pairs differ (the scrambled rows have other known pairs); scores of shared pairs agree
    m = a.predictions.merge(b.predictions, on=["drug", "side_effect"], suffixes=("", "_b"))
    assert len(m) > 0
    for c in cols:
        np.testing.assert_array_equal(m[c].to_numpy(), m[c + "_b"].to_numpy())


def test_a_models_result_does_not_depend_on_the_models_fitted_before_it(bench):
    """The plain MLP of a fold is the same model whether the graph model was trained before it in
    the fold or not: each fit seeds its own initial weights (the graph's training used to move them)."""
    cfg = _tiny_cfg().model_copy(update={"baselines": []})
    both = make_protocol(bench, cfg)
    fold = both.folds()[0]
    a = run_fold(both, fold, random_inputs(bench), progress=False)
    alone = cfg.model_copy(update={"protocol": cfg.protocol.model_copy(update={"with_graph": False})})
    b = run_fold(make_protocol(bench, alone), fold, random_inputs(bench), progress=False)
    assert set(a.metrics) == {"graph", "mlp"} and set(b.metrics) == {"mlp"}
    for k in ("dsf", "dshf", "assoc"):
        np.testing.assert_array_equal(a.scores["mlp"][k], b.scores["mlp"][k])


def test_summary_reports_repeats_and_every_comparison():
    from llmpredgraph.reporting.summary import summary_markdown

    rng = np.random.default_rng(0)
    rows = [
        {
            "fold": f,
            "repeat": f // 3,
            "method": m,
            **{
                k: rng.random()
                for k in [
                    "dsf_scc",
                    "dsf_rmse",
                    "dsf_mae",
                    "dshf_auroc",
                    "dshf_auprc",
                    "dshf_f1",
                    "assoc_auroc",
                    "assoc_auprc",
                    "assoc_auroc_all",
                ]
            },
        }
        for f in range(6)
        for m in ("graph", "mlp", "se_mean")
    ]
    text = summary_markdown(pd.DataFrame(rows), ["se_mean"], "t")
    assert "2 repeats x 3 folds" in text and "Spread across repeats" in text
    assert "| graph vs mlp |" in text and "| graph vs se_mean |" in text and "/6" in text


def test_nested_selection_chooses_on_validation_only(bench):
    cfg = _tiny_cfg().model_copy(update={"baselines": ["se_mean", "knn_offset"]})
    data = cfg.dump()
    data["selection"] = {
        "candidates": {"k2": {"graph.drug_knn.k": 2}, "k4": {"graph.drug_knn.k": 4}},
        "baselines": {"knn_offset": {"k": [2, 5], "lam": [1.0, 20.0], "assoc_k": [1, 0], "assoc_power": [1.0, 3.0]}},
    }
    cfg = Config.model_validate(data)
    protocol = make_protocol(bench, cfg)
    fold = protocol.folds()[0]
    res = run_fold(protocol, fold, random_inputs(bench), progress=False)
    # association's own kernel is chosen after the other knobs, on its own criterion, holding them
    chosen = res.info["baseline_selection"]["knn_offset"]
    assoc = chosen["association_scores"]
    assert [a for a, _ in assoc] == [{"assoc_k": k, "assoc_power": p} for k in (1, 0) for p in (1.0, 3.0)]
    best = max(assoc, key=lambda t: t[1])[0]
    assert {k: chosen["chosen"][k] for k in best} == best
    main = {k: v for k, v in data["selection"]["baselines"]["knn_offset"].items() if not k.startswith("assoc")}
    plain = Config.model_validate({**data, "selection": {**data["selection"], "baselines": {"knn_offset": main}}})
    alone = choose_baseline_knobs(
        make_protocol(bench, plain), protocol.split(fold), random_inputs(bench), "knn_offset", {}
    )
    assert {k: v for k, v in chosen["chosen"].items() if k in main} == alone  # the other knobs' choice is unchanged
    split = protocol.split(fold)
    val_pop = (split.R_fit[split.fit] > 0).mean(0)
    pred = run_baseline("knn_offset", split.R_fit, split.fit, split.val, random_inputs(bench), **chosen["chosen"])
    assert association_criterion(pred["assoc"], split.R_train[split.val], val_pop) == pytest.approx(
        max(v for _, v in assoc)
    )
    sel = res.info["graph"]["selection"]
    assert set(sel["validation_scores"]) == {"k2", "k4"}
    assert sel["validation_scores"][sel["chosen"]] == max(sel["validation_scores"].values())
    assert "selection" in res.info["mlp"]  # graph-only candidates train one plain MLP, scored for both
    assert len(set(res.info["mlp"]["selection"]["validation_scores"].values())) == 1
    knobs = res.info["baseline_selection"]["knn_offset"]
    main_chosen = {k: v for k, v in knobs["chosen"].items() if not k.startswith("assoc_")}
    assert len(knobs["validation_scores"]) == 4 and main_chosen in [g for g, _ in knobs["validation_scores"]]
    # the choice is blind to test labels: scrambling the test rows keeps every choice
    R = bench.R.copy()
    R[fold.test] = np.random.default_rng(3).integers(0, 6, size=(len(fold.test), bench.n_side_effects))
    other = run_fold(
        make_protocol(bench.__class__(**{**bench.__dict__, "R": R}), cfg), fold, random_inputs(bench), progress=False
    )
    assert (
        other.info["graph"]["selection"] == sel and other.info["baseline_selection"] == res.info["baseline_selection"]
    )
    assert res.scores["graph"]["dsf"].shape == (len(fold.test), bench.n_side_effects) and list(res.rows) == list(
        fold.test
    )


def test_selection_config_errors():
    from llmpredgraph.config import load_config
    from llmpredgraph.errors import UserError
    from llmpredgraph.protocols.selection import candidate_configs

    with pytest.raises(UserError, match="knob"):
        load_config(None, ["selection.baselines={knn_fp: {lam: [1, 2]}}"])
    with pytest.raises(UserError, match="not in baselines"):
        load_config(None, ["selection.baselines={bias: {lam: [1, 2]}}"])
    with pytest.raises(UserError, match="fixed for every candidate"):
        candidate_configs(load_config(None, ["selection.candidates={a: {protocol.folds: 3}}"]))
    with pytest.raises(UserError, match="selection candidate 'b'"):
        candidate_configs(load_config(None, ["selection.candidates={b: {model.layers: nine}}"]))
