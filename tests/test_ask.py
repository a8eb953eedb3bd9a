"""`ask`: the three question forms, their sources (label, completion, prediction), exact agreement
with `predict`, and one-line replies for unknown or ambiguous names."""

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from llmpredgraph.cli import main
from llmpredgraph.data.synthetic import SMILES, synthetic_benchmark
from llmpredgraph.errors import UserError
from llmpredgraph.workflows.ask import parse

from .test_cli import TINY


def _cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """A cold model without drug03 (held out), and a warm completion model."""
    root = tmp_path_factory.mktemp("ask")
    mp = pytest.MonkeyPatch()
    mp.setenv("LLMPREDGRAPH_DATA_DIR", str(root / "data"))
    (root / "tiny.yaml").write_text(TINY)
    for out, extra in (("cold", ["--hold-out", "drug03"]), ("warm", ["--protocol", "warm"])):
        res = _cli("train", "--config", root / "tiny.yaml", "--out", root / out, "--quiet", *extra)
        assert res.exit_code == 0, res.output
    yield root / "cold", root / "warm"
    mp.undo()


def _ask(models, question, *extra):
    cold, warm = models
    res = _cli("ask", question, "--model", cold, "--warm-model", warm, "--format", "json", *extra)
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def test_parse_the_three_forms():
    assert parse("Side effects of Morphine?") == ("side_effects", "Morphine", None)
    assert parse("How often does CC(=O)Oc1ccccc1C(=O)O cause nausea?") == (
        "how_often",
        "CC(=O)Oc1ccccc1C(=O)O",
        "nausea",
    )
    assert parse("which drugs cause abdominal pain most often") == ("which_drugs", None, "abdominal pain")
    with pytest.raises(UserError, match="not understood"):
        parse("is morphine safe")


def test_a_known_pair_is_answered_from_the_label(models):
    R = synthetic_benchmark().R
    d, s = map(int, np.argwhere(R > 0)[np.argwhere(R > 0)[:, 0] != 3][0])
    ans = _ask(models, f"how often does drug{d:02d} cause effect {s:02d}")
    assert ans["rows"] == [
        {
            "side_effect": f"effect {s:02d}",
            "source": "label",
            "known_class": int(R[d, s]),
            "class_name": ans["rows"][0]["class_name"],
            "label_source": "benchmark (Galeano et al. 2020)",
            "label_frequency": ans["rows"][0]["label_frequency"],
        }
    ]


def test_an_unknown_pair_is_the_completion_models_score(models, tmp_path):
    R = synthetic_benchmark().R
    d, s = map(int, np.argwhere(R == 0)[5])
    ans = _ask(models, f"How often does drug{d:02d} cause effect {s:02d}?")
    (row,) = ans["rows"]
    assert row["source"] == "completion"
    res = _cli("predict", "--model", models[1], "--drugs", "all", "--out", tmp_path / "c.csv")
    assert res.exit_code == 0, res.output
    table = pd.read_csv(tmp_path / "c.csv")
    want = table[(table["drug"] == f"drug{d:02d}") & (table["side_effect"] == f"effect {s:02d}")].iloc[0]
    assert row["association_prob"] == pytest.approx(want["association_prob"], abs=1e-4)
    assert row["expected_class"] == pytest.approx(want["expected_class"], abs=1e-3)


def test_a_held_out_drug_is_predicted_exactly_as_predict_does(models):
    """drug03 was left out of the cold model: ask answers from its prediction (besides its label),
    with predict's numbers for the same molecule, to the digit."""
    cold, _ = models
    res = _cli("predict", "--model", cold, "--smiles", SMILES[3], "--name", "drug03", "--top", "0", "--format", "json")
    want = {r["side_effect"]: r for r in json.loads(res.output)}
    for s in (0, 7, 12):
        ans = _ask(models, f"how often does drug03 cause effect {s:02d}")
        (pred,) = [r for r in ans["rows"] if r["source"] == "prediction"]
        w = want[f"effect {s:02d}"]
        assert (pred["association_prob"], pred["expected_class"]) == (w["association_prob"], w["expected_class"])
        assert pred["evidence"] and all(e["drug"] != "drug03" for e in pred["evidence"])
        assert any("held out" in n for n in ans["notes"])
    top = _ask(models, "side effects of drug03", "--top", "4")
    preds = [r["side_effect"] for r in top["rows"] if r["source"] == "prediction"]
    assert preds == [r["side_effect"] for r in json.loads(res.output)[:4]]
    labels = [r for r in top["rows"] if r["source"] == "label"]
    R = synthetic_benchmark().R
    assert [r["known_class"] for r in labels] == sorted(R[3][R[3] > 0], reverse=True)[:4]


def test_which_drugs_and_a_smiles_question(models):
    R = synthetic_benchmark().R
    ans = _ask(models, "which drugs cause effect 04 most often", "--top", "3")
    labels = [r for r in ans["rows"] if r["source"] == "label"]
    assert [r["known_class"] for r in labels] == sorted(R[:, 4][R[:, 4] > 0], reverse=True)[:3]
    assert [r for r in ans["rows"] if r["source"] == "completion"]  # candidates without the label
    text = _cli("ask", "side effects of CCCCCO", "--model", models[0], "--top", "3").output
    assert text.startswith("Side effects of CCCCCO (SMILES):") and "predicted by the cold model" in text
    assert text.count("\n- ") == 3 and "evidence:" in text


def test_unknown_or_ambiguous_names_get_one_line_with_the_closest(models):
    res = _cli("ask", "side effects of drug3", "--model", models[0])
    assert res.exit_code == 2 and "no drug named 'drug3'" in res.output and "drug03" in res.output
    assert len(res.output.strip().splitlines()) == 1
    res = _cli("ask", "how often does drug01 cause effect 5", "--model", models[0])
    assert res.exit_code == 2 and "ambiguous" in res.output and "effect 05" in res.output
    ans = _ask(models, "how often does drug01 cause efect 07")
    assert ans["subject"]["side_effect"] == "effect 07" and ans["subject"]["side_effect_match"].startswith("spelling")
