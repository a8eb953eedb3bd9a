"""SIDER 4.1 labels beside R: reading, the label matrix with LISTED cells, extra drugs in cold folds,
frequency heads that ignore LISTED pairs, the mentions truth, and no leak through any source."""

import gzip
import json

import numpy as np
import pandas as pd
import pytest
import torch
from click.testing import CliRunner

from llmpredgraph.baselines import knn_offset, se_mean
from llmpredgraph.cli import main
from llmpredgraph.config import Config, LabelsCfg
from llmpredgraph.data.sider import merged_matrix, pair_matrix, read_frequencies, read_pt_pairs
from llmpredgraph.data.synthetic import SMILES, synthetic_benchmark
from llmpredgraph.errors import UserError
from llmpredgraph.frequency import LISTED, classes_only
from llmpredgraph.metrics.functions import evaluate, mention_metrics, rank_auroc
from llmpredgraph.pipeline.training import task_loss
from llmpredgraph.protocols import make_protocol, run_fold

from .conftest import random_inputs, scrambled_benchmark, tiny_model_in
from .test_cli import TINY


def _gz(path, rows):
    with gzip.open(path, "wt") as fh:
        fh.write("\n".join("\t".join(r) for r in rows) + "\n")
    return path


def test_sider_pairs_are_read_at_pt_level_and_matched_by_lower_case_name(tmp_path):
    se = _gz(
        tmp_path / "se.tsv.gz",
        [
            ["CID1", "CID9", "C1", "LLT", "C2", "Tummy ache"],  # an LLT row never counts
            ["CID1", "CID9", "C1", "PT", "C2", "Nausea"],
            ["CID1", "CID9", "C3", "PT", "C2", "Nausea"],  # the same PT twice: one pair
            ["CID2", "CID8", "C4", "PT", "C5", "Headache"],
            ["CID3", "CID7", "C4", "PT", "C5", "Headache"],
        ],
    )
    pairs = read_pt_pairs(se)
    assert sorted(map(tuple, pairs.to_numpy())) == [("CID1", "nausea"), ("CID2", "headache"), ("CID3", "headache")]
    M = pair_matrix(pairs, ["CID2", "CID1", "CID0"], ["headache", "nausea", "rash"])
    np.testing.assert_array_equal(M, [[1, 0, 0], [0, 1, 0], [0, 0, 0]])
    # an extra drug merged from two STITCH ids carries the union of their mentions
    np.testing.assert_array_equal(merged_matrix(pairs, ["CID1;CID2", "CID3"], ["headache", "nausea"]), [[1, 1], [1, 0]])
    freq = _gz(
        tmp_path / "freq.tsv.gz",
        [
            ["CID1", "CID9", "C1", "", "21%", "0.21", "0.21", "PT", "C2", "Nausea"],
            ["CID1", "CID9", "C1", "", "53%", "0.53", "0.53", "PT", "C2", "Nausea"],
            ["CID1", "CID9", "C1", "placebo", "9%", "0.09", "0.09", "PT", "C2", "Nausea"],  # placebo arm: left out
            ["CID1", "CID9", "C1", "", "rare", "0.0001", "0.001", "LLT", "C2", "Nausea"],  # LLT: left out
        ],
    )
    f = read_frequencies(freq, ["CID0", "CID1"], ["headache", "nausea"])
    assert f[["drug", "side_effect", "texts"]].values.tolist() == [[1, 1, "21%; 53%"]]
    assert (f["lower"][0], f["upper"][0]) == (0.21, 0.53)


def test_label_matrix_holds_classes_and_listed_pairs_and_appends_extra_drugs(bench):
    lab = bench.labels
    out = bench.with_labels("mentions", extra_drugs=True)
    n = bench.n_drugs
    core = out.R[:n]
    np.testing.assert_array_equal(classes_only(core), bench.R)  # R's classes untouched
    np.testing.assert_array_equal(core == LISTED, (lab.mentions > 0) & (bench.R == 0))
    assert out.n_drugs == n + len(lab.extra) and out.is_extra.tolist() == [False] * n + [True] * len(lab.extra)
    np.testing.assert_array_equal(out.R[n:] == LISTED, lab.extra_mentions > 0)
    groups = out.drugs["structure_group"].to_numpy()
    assert not set(groups[n:]) & set(groups[:n])  # an extra drug never joins a benchmark drug's group
    assert bench.with_labels("benchmark") is bench and not bench.is_extra.any()
    without = bench.__class__(**{**bench.__dict__, "labels": None})
    with pytest.raises(UserError, match="data prepare"):
        without.with_labels("mentions")
    with pytest.raises(ValueError, match="labels.association: mentions"):
        Config(labels=LabelsCfg(association="benchmark", extra_drugs=True))


def _cfg(**labels):
    return Config.model_validate(
        {
            "labels": labels or {"association": "mentions", "extra_drugs": True},
            "encoders": {"drug": {"kind": "fingerprint"}},
            "contrastive": {"enabled": False},
            "train": {"epochs": 6, "eval_every": 2},
            "protocol": {"folds": 4, "repeats": 2},
            "baselines": ["se_mean", "knn_fp", "knn_offset"],
        }
    )


def test_extra_drugs_train_in_every_fold_and_are_never_tested_or_validated(bench):
    cfg = _cfg()
    full = bench.with_labels("mentions", extra_drugs=True)
    extra = np.flatnonzero(full.is_extra)
    plain = make_protocol(bench, cfg).folds()
    folds = make_protocol(full, cfg).folds()
    for f, g in zip(folds, plain):
        np.testing.assert_array_equal(f.test, g.test)  # the benchmark drugs' folds do not move
        assert set(extra) <= set(f.train) and not set(extra) & set(f.test)
        split = make_protocol(full, cfg).split(f)
        assert set(extra) <= set(split.fit) and not set(extra) & set(split.val)
        assert (split.R_train[f.test] == 0).all() and (split.R_fit[split.val] == 0).all()
    # an extra drug that shares a structure group with a test drug stays out of that fold
    twin = full.__class__(**{**full.__dict__, "drugs": full.drugs.copy()})
    fold = folds[0]
    twin.drugs.loc[extra[0], "structure_group"] = twin.drugs.loc[fold.test[0], "structure_group"]
    f0 = make_protocol(twin, cfg).folds()[0]
    assert extra[0] not in f0.train and extra[0] not in f0.test


def test_frequency_predictions_ignore_listed_pairs_and_mention_only_drugs(bench):
    """knn_offset's DSF and DSHF read R's classes alone: adding LISTED cells and drugs with mentions
    only moves association, not frequency."""
    full = bench.with_labels("mentions", extra_drugs=True)
    n = bench.n_drugs
    S = random_inputs(full).tanimoto
    train, query = np.arange(n - 4), np.arange(n - 4, n)
    plain = knn_offset(bench.R, train, query, similarity=S[:n, :n], k=5)
    rich = knn_offset(full.R, np.concatenate([train, np.arange(n, full.n_drugs)]), query, similarity=S, k=5)
    np.testing.assert_allclose(rich["dsf"], plain["dsf"], atol=1e-12)
    np.testing.assert_allclose(rich["dshf"], plain["dshf"], atol=1e-12)
    assert not np.allclose(rich["assoc"], plain["assoc"])
    # popularity counts every labelled pair; the mean class only the pairs with a class
    R = np.array([[3, LISTED], [5, 0], [0, LISTED]], dtype=np.uint8)
    out = se_mean(R, np.arange(3), np.array([0]))
    np.testing.assert_allclose(out["dsf"], [[4.0, 4.0]])  # side effect 1 has no class: the global mean (3 + 5) / 2
    np.testing.assert_allclose(out["assoc"], [[2 / 3, 2 / 3]])


def test_frequency_losses_skip_listed_positives():
    out = {"dsf": torch.tensor([2.0, 9.0, 0.0]), "dshf": torch.tensor([0.0, 5.0, 0.0]), "assoc": torch.zeros(3)}
    cls, label = torch.tensor([4.0, float(LISTED)]), torch.tensor([1.0, 1.0, 0.0])
    w = Config().model.loss_weights
    bce0 = float(torch.nn.functional.binary_cross_entropy_with_logits(torch.tensor(0.0), torch.tensor(1.0)))
    # dsf: (2 - 4)^2 = 4 on the classed positive only; dshf: BCE(0, 1); assoc: BCE(0, .) = log 2 each
    expect = 4.0 + bce0 + np.log(2)
    assert float(task_loss(out, cls, label, 2, w)) == pytest.approx(expect, rel=1e-6)
    only_listed = task_loss(out, torch.tensor([float(LISTED), float(LISTED)]), label, 2, w)
    assert float(only_listed) == pytest.approx(np.log(2), rel=1e-6)


def test_mention_metrics_by_hand():
    Y = np.array([[4, LISTED, 0, 0], [0, 0, LISTED, 2]], dtype=np.uint8)
    assoc = np.array([[0.9, 0.8, 0.1, 0.2], [0.3, 0.1, 0.7, 0.2]])
    m = mention_metrics(assoc, Y, np.array([0, 1]), np.array([2, 0]), popularity=None)
    # 1:1: positives .9 .8 .7 .2 vs negatives .1 .3: 7 of 8 comparisons won
    assert m["assoc_auroc_mentions"] == pytest.approx(7 / 8)
    # per drug: drug 0 ranks both listed above both others (1.0); drug 1: .7 > .3 > .2 > .1 -> 3 of 4
    assert m["assoc_auroc_per_drug_mentions"] == pytest.approx((1.0 + 0.75) / 2)
    assert m["assoc_auroc_all_mentions"] == pytest.approx(rank_auroc((Y > 0).ravel(), assoc.ravel()))
    # against R's classes a LISTED cell is a negative: positives .9 and .2 vs the sampled (0, 1) = .8
    # win once in two; per drug: 1.0 for drug 0, .2 beats only .1 of drug 1's three others
    e = evaluate(
        {"assoc": assoc, "dsf": np.full((2, 4), 3.0), "dshf": assoc}, classes_only(Y), np.array([0]), np.array([1])
    )
    assert e["assoc_auroc"] == pytest.approx(0.5)
    assert e["assoc_auroc_per_drug"] == pytest.approx((1.0 + 1 / 3) / 2)


def test_a_fold_scores_both_truths_and_no_score_reads_a_test_label(bench):
    """With mentions and extra drugs, scrambling the test drugs' rows (classes and LISTED cells)
    changes no score of any method; every association metric comes twice."""
    cfg = _cfg()
    full = bench.with_labels("mentions", extra_drugs=True)
    protocol = make_protocol(full, cfg)
    fold = protocol.folds()[1]
    a = run_fold(protocol, fold, random_inputs(full), progress=False)
    scrambled = scrambled_benchmark(full, fold.test)
    assert (scrambled.R[fold.test] == LISTED).any()
    b = run_fold(make_protocol(scrambled, cfg), fold, random_inputs(full), progress=False)
    for method, heads in a.scores.items():
        for head, values in heads.items():
            np.testing.assert_array_equal(values, b.scores[method][head], err_msg=f"{method} {head}")
    m = a.metrics["graph"]
    assert {"assoc_auroc_per_drug", "assoc_auroc_per_drug_mentions", "assoc_precision_at_10_mentions"} <= set(m)
    assert m["assoc_auroc_per_drug"] != m["assoc_auroc_per_drug_mentions"]
    # with R's labels alone there is one truth
    one = make_protocol(bench, _cfg(association="benchmark"))
    plain = run_fold(one, one.folds()[1], random_inputs(bench), progress=False)
    assert not any(k.endswith("_mentions") for k in plain.metrics["graph"])


def test_held_out_extra_drug_leaves_every_label_source(bench):
    full = bench.with_labels("mentions", extra_drugs=True)
    out, held = full.without(["extra1"])
    assert held == ["extra1"] and "extra1" not in out.drug_names and out.n_drugs == full.n_drugs - 1
    assert out.is_extra.sum() == full.is_extra.sum() - 1
    keep = [full.drug_index(n) for n in out.drug_names]
    np.testing.assert_array_equal(out.R, full.R[keep])  # the others keep every label


MENTIONS_TINY = TINY + "labels: {association: mentions, extra_drugs: true}\n"


@pytest.fixture(scope="module")
def mentions_model(tmp_path_factory):
    """A tiny cold model on the synthetic labels with mentions and extra drugs, without drug03 and extra1."""
    yield from tiny_model_in(
        tmp_path_factory, MENTIONS_TINY, "mentions", ("--hold-out", "drug03", "--hold-out", "extra1")
    )


def _json(*args):
    res = CliRunner().invoke(main, [str(a) for a in args])
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def test_the_model_folder_keeps_mentions_and_extra_drugs_and_holds_out_any_drug(mentions_model):
    from llmpredgraph.pipeline import Pipeline

    full = synthetic_benchmark().with_labels("mentions", extra_drugs=True)
    sup = Pipeline.load(mentions_model).support
    assert "extra0" in sup.drug_names and "extra1" not in sup.drug_names and "drug03" not in sup.drug_names
    i, j = sup.drug_names.index("extra0"), full.drug_index("extra0")
    np.testing.assert_array_equal(sup.R[i], full.R[j])  # its mentions travel in the folder
    assert (sup.R == LISTED).any() and sup.label_frequencies


def test_ask_and_predict_tell_listed_pairs_from_predictions(mentions_model):
    bench = synthetic_benchmark()
    full = bench.with_labels("mentions", extra_drugs=True)
    d = 1
    s = int(np.flatnonzero(full.R[d] == LISTED)[0])
    ans = _json(
        "ask", f"how often does drug{d:02d} cause effect {s:02d}", "--model", mentions_model, "--format", "json"
    )
    (row,) = ans["rows"]
    assert row["source"] == "label" and row["known_class"] is None and row["label_source"] == "SIDER 4.1"
    text = CliRunner().invoke(
        main, ["ask", f"how often does drug{d:02d} cause effect {s:02d}", "--model", str(mentions_model)]
    )
    assert "listed on the SIDER 4.1 label, frequency class not given" in text.output
    # the label frequency SIDER prints is named
    f = bench.labels.frequencies.iloc[0]
    q = f"how often does drug00 cause {f['side_effect']}"
    assert "the label gives 12%" in CliRunner().invoke(main, ["ask", q, "--model", str(mentions_model)]).output
    # an extra drug is known by name, from its mentions
    extra = _json("ask", "side effects of extra0", "--model", mentions_model, "--format", "json", "--top", "3")
    assert [r["label_source"] for r in extra["rows"]] == ["SIDER 4.1"] * 3
    # predict on a known molecule says, per side effect, what its label lists
    rows = _json(
        "predict",
        "--model",
        mentions_model,
        "--smiles",
        SMILES[d],
        "--name",
        f"drug{d:02d}",
        "--top",
        "0",
        "--format",
        "json",
    )
    on = {r["side_effect"]: r["on_label"] for r in rows}
    for j, c in enumerate(full.R[d]):
        want = "listed (SIDER 4.1)" if c == LISTED else f"benchmark class {c}" if c else ""
        assert on[f"effect {j:02d}"] == want
    new = _json("predict", "--model", mentions_model, "--smiles", "CCCCCCO", "--top", "3", "--format", "json")
    assert {r["on_label"] for r in new} == {""}  # a molecule the labels do not know: predictions only


def test_out_of_fold_table_of_a_mentions_run_covers_the_benchmark_drugs(tmp_path):
    """Extra drugs train in every fold and are never tested: out-of-fold scores cover the benchmark's
    own drugs, and the table tells a listed pair (on_label, class 0) from a classed one."""
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(MENTIONS_TINY)
    run = tmp_path / "run"
    res = CliRunner().invoke(main, ["experiment", "--config", str(cfg), "--out", str(run), "--quiet"])
    assert res.exit_code == 0, res.output
    out = tmp_path / "oof.csv"
    res = CliRunner().invoke(main, ["predict", "--drugs", "all", "--out-of-fold", str(run), "--out", str(out)])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    bench = synthetic_benchmark()
    assert len(df) == bench.n_drugs * bench.n_side_effects and not df["drug"].str.startswith("extra").any()
    listed = df[(df["drug"] == "drug01") & df["on_label"] & (df["known_class"] == 0)]
    full = bench.with_labels("mentions")
    assert len(listed) == int((full.R[1] == LISTED).sum()) > 0


def test_an_extra_drug_with_a_test_drugs_scaffold_stays_out_of_that_scaffold_fold(bench):
    """Scaffold folds: an extra drug whose Bemis-Murcko scaffold is a benchmark drug's shares that
    drug's scaffold group, so it never trains while that drug is tested; the benchmark's groups
    (and folds) do not move."""
    from llmpredgraph.data.benchmark import joint_scaffold_groups

    drugs = pd.DataFrame({"scaffold": ["c1ccccc1", "C1CC1", ""], "scaffold_group": [0, 1, 2]})
    extra = pd.DataFrame({"scaffold": ["C1CC1", "C1CCC1", "C1CCC1", ""], "scaffold_group": [0, 1, 1, 2]})
    np.testing.assert_array_equal(joint_scaffold_groups(drugs, extra), [1, 4, 4, 5])
    base = bench.with_labels("mentions", extra_drugs=True)
    e = int(np.flatnonzero(base.is_extra)[0])
    target = 2  # give the first extra drug benchmark drug 2's scaffold
    labels = base.labels
    ex = labels.extra.copy()
    ex.loc[0, "scaffold"] = bench.drugs.loc[target, "scaffold"] or "C1CCCCC1"
    drugs = bench.drugs.copy()
    drugs.loc[target, "scaffold"] = ex.loc[0, "scaffold"]
    labels = labels.__class__(**{**labels.__dict__, "extra": ex})
    twin_bench = bench.__class__(**{**bench.__dict__, "drugs": drugs, "labels": labels})
    full = twin_bench.with_labels("mentions", extra_drugs=True)
    assert full.drugs.loc[e, "scaffold_group"] == full.drugs.loc[target, "scaffold_group"]
    np.testing.assert_array_equal(full.drugs["scaffold_group"][: bench.n_drugs], drugs["scaffold_group"])
    cfg = _cfg().model_copy(update={"protocol": _cfg().protocol.model_copy(update={"kind": "scaffold"})})
    for f in make_protocol(full, cfg).folds():
        if target in f.test:
            assert e not in f.train
        else:
            assert e in f.train
