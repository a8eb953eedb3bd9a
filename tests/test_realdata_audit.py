"""The structure audit, the corrections, grouped folds and the leakage guard on the real benchmark (CI)."""

import numpy as np
import pytest
from click.testing import CliRunner

from llmpredgraph.cli import main
from llmpredgraph.config import Config
from llmpredgraph.data.structures import standardise
from llmpredgraph.pipeline.features import load_inputs
from llmpredgraph.protocols import make_protocol, run_fold

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
    inputs = load_inputs(full, cfg, progress=False)
    protocol = make_protocol(full, cfg)
    fold = protocol.folds()[3]
    a = run_fold(protocol, fold, inputs, progress=False)
    R = full.R.copy()
    R[fold.test] = np.random.default_rng(0).integers(0, 6, size=(len(fold.test), full.n_side_effects))
    scrambled = full.__class__(**{**full.__dict__, "R": R})
    sp = make_protocol(scrambled, cfg)
    b = run_fold(sp, fold, inputs, progress=False)
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
