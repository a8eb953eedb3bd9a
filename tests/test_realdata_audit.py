"""The structure audit, the corrections, grouped folds and the leakage guard on the real benchmark (CI)."""

import numpy as np
import pytest
from click.testing import CliRunner

from llmpredgraph.cli import main
from llmpredgraph.config import Config
from llmpredgraph.data.structures import standardise
from llmpredgraph.pipeline.features import load_inputs
from llmpredgraph.protocols import make_protocol, run_fold

from .conftest import scrambled_benchmark

pytestmark = pytest.mark.realdata


def test_corrections_are_applied_and_audit_is_reported(real_processed):
    root, bench, report = real_processed
    drugs = bench.drugs.set_index("name")
    # levofloxacin is no longer ciprofloxacin, dexmethylphenidate no longer dexmedetomidine
    assert standardise(drugs.loc["levofloxacin", "canonical_smiles"]).inchikey == "GSDSWSVVBLHKDQ-JTQLQIEISA-N"
    assert standardise(drugs.loc["dexmethylphenidate", "canonical_smiles"]).inchikey == "DUGOZIWVEXMGBE-CHWSQXEVSA-N"
    assert drugs.loc["levofloxacin", "connectivity"] != drugs.loc["ciprofloxacin", "connectivity"]
    audit = report["structure_audit"]
    assert {c["drug"] for c in audit["corrections"]} >= {"levofloxacin", "dexmethylphenidate"}
    assert sum(audit["drugbank_matches"].values()) == 750 and audit["drugbank_matches"]["none"] < 100
    assert "levofloxacin" in audit["name_cid_conflicts"] and "escitalopram" in audit["name_cid_conflicts"]
    assert all(d["verdict"] for d in audit["structure_disagreements"])
    assert ["citalopram", "escitalopram"] in audit["structure_groups"]
    out = CliRunner().invoke(main, ["data", "stats", "--data", str(root / "processed")])
    assert (
        out.exit_code == 0
        and "structure corrections (table version" in out.output
        and "different skeleton" in out.output
    )


def test_real_folds_never_split_a_structure_group(real_processed):
    _, bench, _ = real_processed
    full = bench.learnable()
    cfg = Config.model_validate({"protocol": {"repeats": 2}})
    groups = full.drugs["structure_group"].to_numpy()
    assert (np.bincount(groups) > 1).sum() >= 10  # the twins exist
    for f in make_protocol(full, cfg).folds():
        assert not set(groups[f.train]) & set(groups[f.test])


@pytest.fixture
def one_thread():
    """Exact comparisons: at several threads torch's scatter-add order varies in the last float bit."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _fold_with_scrambled_test_rows(full, cfg, k: int):
    """Fold k run twice: on the benchmark and on a copy whose test rows carry random classes.
    Returns (protocol, scrambled protocol, fold, inputs, result, scrambled result)."""
    inputs = load_inputs(full, cfg, progress=False)
    protocol = make_protocol(full, cfg)
    fold = protocol.folds()[k]
    scrambled = make_protocol(scrambled_benchmark(full, fold.test, seed=0), cfg)
    return (
        protocol,
        scrambled,
        fold,
        inputs,
        run_fold(protocol, fold, inputs, progress=False),
        run_fold(scrambled, fold, inputs, progress=False),
    )


def test_real_fold_predictions_blind_to_test_labels(real_processed, monkeypatch, one_thread):
    root, bench, _ = real_processed
    monkeypatch.setenv("LLMPREDGRAPH_DATA_DIR", str(root))
    full = bench.learnable()
    cfg = Config.model_validate(
        {
            "encoders": {"drug": {"kind": "fingerprint"}},
            "contrastive": {"steps": 20, "plot": False},
            "train": {"epochs": 4, "eval_every": 2},
        }
    )
    protocol, sp, fold, inputs, a, b = _fold_with_scrambled_test_rows(full, cfg, 3)
    for name, pipe in a.pipelines.items():
        pa = pipe.predict_matrix(fold.train, fold.test, R=protocol.split(fold).R_train)
        pb = b.pipelines[name].predict_matrix(fold.train, fold.test, R=sp.split(fold).R_train)
        for k in pa:
            np.testing.assert_array_equal(pa[k], pb[k])
    for name in cfg.baselines:
        pa, pb = (
            protocol.baseline(name, protocol.split(fold), None, inputs),
            sp.baseline(name, sp.split(fold), None, inputs),
        )
        for k in pa:
            np.testing.assert_array_equal(pa[k], pb[k])


def test_headline_config_fold_is_blind_to_test_labels(real_processed, monkeypatch, one_thread):
    """configs/cold.yaml as shipped (LM features, contrastive stage, the nested baseline grid, the prior
    tuned by its choice, the per-head correction choice), training shortened: scrambling one real
    fold's test labels changes no score of any method and no choice made on validation drugs."""
    from llmpredgraph.config import load_config

    root, bench, _ = real_processed
    monkeypatch.setenv("LLMPREDGRAPH_DATA_DIR", str(root))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    short = ["train.epochs=6", "train.eval_every=2", "contrastive.steps=20", "contrastive.plot=false"]
    cfg = load_config("configs/cold.yaml", short)
    assert cfg.labels.association == "mentions" and cfg.labels.extra_drugs  # the shipped labels
    full = bench.learnable().with_labels(cfg.labels.association, cfg.labels.extra_drugs)
    *_, a, b = _fold_with_scrambled_test_rows(full, cfg, 4)
    assert set(a.scores) == {"graph", *cfg.baselines}
    for method, heads in a.scores.items():
        for head, values in heads.items():
            np.testing.assert_array_equal(values, b.scores[method][head], err_msg=f"{method} {head}")
    assert a.info["baseline_selection"] == b.info["baseline_selection"] and a.info["prior"] == b.info["prior"]
    assert a.info["graph"]["correction"] == b.info["graph"]["correction"]
    assert a.info["graph"]["history"] == b.info["graph"]["history"]


def test_knowledge_channels_on_the_real_benchmark(real_processed):
    """Coverage is reported, a name/CID conflict keeps the name's DrugBank entry, a drug without a
    match keeps its ATC and nothing else, the guard removed sentences, and knowledge neighbours make sense."""
    from llmpredgraph.pipeline.knowledge import DrugKnowledge

    root, bench, report = real_processed
    cov = report["knowledge_coverage"]
    assert cov["drugs"] == 750 and cov["atc"] >= 740 and 550 <= cov["targets"] <= 650 and cov["description"] >= 640
    assert cov["sentences_removed_by_guard"] > 100
    drugs = bench.drugs.set_index("name")
    assert drugs.loc["escitalopram", "drugbank_id"] == "DB01175"  # its CID reaches citalopram
    unmatched = drugs.loc["prucalopride"]
    empty = lambda v: v != v or v == ""  # noqa: E731 (the csv reads "" as NaN)
    assert empty(unmatched["drugbank_id"]) and empty(unmatched["proteins"]) and unmatched["atc"] == "A03AE04"
    morphine = drugs.loc["morphine", "text"]
    assert "opioids > natural opium alkaloids" in morphine and "may cause" not in morphine.lower()
    learn = bench.learnable()
    S = DrugKnowledge.from_benchmark(learn).similarity(
        np.eye(learn.n_drugs, dtype=np.float32), {"structure": 1.0, "atc": 1.0, "target": 1.0}
    )
    i = learn.drug_index("morphine")
    top = {learn.drug_names[j] for j in np.argsort(-S[i])[1:6]}
    assert len(top & {"hydromorphone", "oxycodone", "dihydrocodeine", "fentanyl", "buprenorphine", "butorphanol"}) >= 3
    out = CliRunner().invoke(main, ["data", "stats", "--data", str(root / "processed")])
    assert "drug knowledge of the 750 learnable drugs" in out.output


def test_sider_labels_on_the_real_benchmark(real_processed):
    """SIDER 4.1 beside R: mentions cover R (a few pairs apart), 2.5 times as many pairs, extra drugs
    with structures and no benchmark twin, and the label frequencies users are shown."""
    from llmpredgraph.frequency import LISTED

    _, bench, report = real_processed
    s = report["sider"]
    assert s["benchmark_pairs_R"] == 37071 and s["R_pairs_not_mentioned"] < 0.03 * 37071
    assert s["benchmark_pairs_R_or_mentioned"] > 2.5 * 37071
    assert s["R_zero_pairs_with_a_label_frequency"] > 2000 and s["indications_also_mentioned"] > 1000
    e = s["extra_drugs"]
    assert e["with_structure"] >= 250 and e["kept_with_mentions"] >= 250 and e["benchmark_twins_left_out"]
    full = bench.learnable().with_labels("mentions", extra_drugs=True)
    extra = full.is_extra
    assert extra.sum() == e["kept_with_mentions"] and (full.R[extra] == LISTED).any(1).all()
    core_keys = set(full.drugs.loc[~extra, "connectivity"])
    assert not core_keys & set(full.drugs.loc[extra, "connectivity"])  # no twin of a benchmark drug
    i, j = full.drug_index("ibuprofen"), full.se_names.index("nausea")
    assert full.R[i, j] == LISTED and full.label_frequency(i, j) == "21%; 53%; 57.5%"
