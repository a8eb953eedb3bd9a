"""`predict --explain` and `--report`: the evidence is the model's own (the same voters and weights
that made the score), and the report holds what it should."""

import json
import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from llmpredgraph.cli import main

from .conftest import tiny_model_in
from .test_cli import TINY

EXPLAINED = TINY.replace(
    "model: {hidden: 16, decoder_hidden: 16, layers: 1}",
    "model: {hidden: 16, decoder_hidden: 16, layers: 1, neighbour_offsets: true, start_at_prior: true,"
    " prior: {k: 6, assoc: share}}",
).replace(
    "graph: {drug_knn: {k: 3}, se_cooc: {k: 3}}", "graph: {drug_knn: {k: 3}, se_cooc: {k: 3}, knn_similarity: combined}"
)
SMILES = "CCCCCO"


@pytest.fixture(scope="module")
def explained_model(tmp_path_factory):
    yield from tiny_model_in(tmp_path_factory, EXPLAINED, "explained")


def test_explanation_is_the_scores_own_arithmetic(explained_model):
    """Voters' weights add up to the association prior; prior + correction is the score predict
    gives; the DSF prior splits into base, neighbour offset and residual; voters are the k most
    similar support drugs, those carrying the side effect."""
    from llmpredgraph.pipeline import Pipeline
    from llmpredgraph.pipeline.explain import explain_molecules

    pipe = Pipeline.load(explained_model)
    know = ([["N", "N02", "N02A", "N02AA"]], [["target:P20000"]])
    mg = pipe.molecule_graph([SMILES], know)
    scores = pipe.predict_molecules([SMILES], know)
    n_se = pipe.support.n_side_effects
    (expls,) = explain_molecules(pipe, mg, [np.arange(n_se)])
    assert [x.side_effect for x in expls] == pipe.support.se_names
    for s, x in enumerate(expls):
        assert x.assoc == pytest.approx(float(scores["assoc"][0, s]), abs=1e-5)
        assert x.dsf == pytest.approx(float(scores["dsf"][0, s]), abs=1e-4)
        assert sum(e.weight for e in x.evidence) == pytest.approx(x.assoc_prior, abs=1e-5)
        assert x.dsf_base + x.dsf_neighbour_offset + x.dsf_neighbour_residual == pytest.approx(x.dsf_prior, abs=1e-5)
        assert x.dsf_prior + x.dsf_correction == pytest.approx(x.dsf, abs=1e-6)
        p = min(max(x.assoc_prior, 1e-3), 1 - 1e-3)
        assert 1 / (1 + np.exp(-(np.log(p / (1 - p)) + x.assoc_correction))) == pytest.approx(x.assoc, abs=1e-5)
        for e in x.evidence:
            j = pipe.support.drug_names.index(e.drug)
            assert e.known_class == pipe.support.R[j, s] > 0
    # the voters are the 6 support drugs most similar to the molecule (model.prior.k), by the model's similarity
    sims = mg.S[mg.n_support, : mg.n_support]
    top = set(np.argsort(-sims, kind="stable")[:6])
    voters = {pipe.support.drug_names.index(e.drug) for x in expls for e in x.evidence}
    assert voters <= top and len(voters) > 1
    # its ATC class share is counted over the support drugs of its most specific class
    share = next(x.atc_share for x in expls if x.atc_share)
    assert share[0] == "N02AA" or len(share[0]) < 5


def _predict(model, *args):
    res = CliRunner().invoke(main, ["predict", "--model", str(model), "--smiles", SMILES, *args])
    assert res.exit_code == 0, res.output
    return res.output


def test_predict_explain_in_every_format(explained_model, tmp_path):
    rows = json.loads(_predict(explained_model, "--top", "5", "--explain", "--format", "json"))
    plain = json.loads(_predict(explained_model, "--top", "5", "--format", "json"))
    assert [r["side_effect"] for r in rows] == [r["side_effect"] for r in plain]  # same ranking, more columns
    for r in rows:
        assert abs(sum(e["weight"] for e in r["evidence"]) - r["evidence_weight"]) < 1e-3
        assert {"drug", "known_class", "similarity", "weight", "channel", "channels"} <= set(r["evidence"][0])
    out = tmp_path / "x.csv"
    _predict(explained_model, "--top", "5", "--explain", "--format", "csv", "--out", str(out))
    df = pd.read_csv(out)
    assert {"assoc_prior", "assoc_correction", "dsf_base", "dsf_correction", "evidence"} <= set(df.columns)
    assert df["evidence"].str.count(r"\|class ").tolist() == [len(r["evidence"]) for r in rows]
    table = _predict(explained_model, "--top", "3", "--explain")
    assert "evidence" in table.splitlines()[0] and "sim " in table


def test_predict_report_is_one_self_contained_page(explained_model, tmp_path):
    page = tmp_path / "report.html"
    said = _predict(explained_model, "--top", "8", "--report", str(page), "--name", "pentanol")
    assert f"wrote the report to {page}" in said
    text = page.read_text()
    assert text.startswith("<!DOCTYPE html>") and "<svg" in text and "pentanol" in text
    # nothing is fetched when it is viewed: no script, no external source, stylesheet or font
    assert "<script" not in text and "@import" not in text and "url(" not in text
    assert not re.search(r"(src|href)\s*=\s*['\"]?(https?:|//)", text)
    rows = json.loads(_predict(explained_model, "--top", "8", "--format", "json"))
    for r in rows:  # every shown side effect, under a system organ class heading
        assert f"<td>{r['side_effect']}</td>" in text
    assert "<h3>Gastrointestinal disorders</h3>" in text or "<h3>Nervous system disorders</h3>" in text
    res = CliRunner().invoke(main, ["predict", "--model", str(explained_model), "--drugs", "all", "--explain"])
    assert res.exit_code == 2 and "--smiles or --input" in res.output
