"""New molecules with knowledge: validation with per-row rejects, given ATC/targets, DrugBank lookup."""

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from llmpredgraph.cli import main
from llmpredgraph.workflows.molecules import attach_drugbank, molecule, read_molecules

from .conftest import train_tiny_model
from .test_cli import TINY


@pytest.fixture(scope="module")
def combined_model(tmp_path_factory):
    """A tiny cold model whose kNN edges rank by structure + ATC + targets."""
    root = tmp_path_factory.mktemp("combined")
    mp = pytest.MonkeyPatch()
    mp.setenv("LLMPREDGRAPH_DATA_DIR", str(root / "data"))
    yield train_tiny_model(root, TINY + "graph: {knn_similarity: combined, drug_knn: {k: 3}, se_cooc: {k: 3}}\n")
    mp.undo()


def test_molecule_validation_names_the_problem():
    m = molecule("x", "OCC", "n02aa01, N02", "P35372")
    assert m.smiles == "CCO" and m.atc == ["N02AA01", "N02"] and m.targets == ["P35372"] and m.source == "given"
    for smi, atc, tg, msg in [
        ("C1CC(", None, None, "invalid SMILES"),
        (" ", None, None, "empty SMILES"),
        ("CCO", "N2", None, "ATC code"),
        ("CCO", None, "P3-5", "UniProt"),
    ]:
        with pytest.raises(ValueError, match=msg):
            molecule("x", smi, atc, tg)


def test_csv_bad_rows_are_rejected_and_the_rest_go_on(tmp_path):
    f = tmp_path / "in.csv"
    f.write_text("name,smiles,atc\nok,CCO,N02AA01\nbroken,C1CC(,\nbadatc,CCN,XYZ\nalso,CCCO,\n")
    mols, rejected = read_molecules(None, str(f))
    assert [m.name for m in mols] == ["ok", "also"]
    assert rejected["row"].tolist() == [3, 4] and "invalid SMILES" in rejected["reason"][0]


def test_predict_with_and_without_knowledge(combined_model, tmp_path):
    f = tmp_path / "in.csv"
    # synthetic drugs of family 1 carry ATC B01AA0x and target P100000 / P110000
    f.write_text("name,smiles,atc,targets\nplain,c1ccccc1O,,\nknown,c1ccccc1O,B01AA01,P100000\nbad,C1CC(,,\n")
    out = tmp_path / "pred.csv"
    res = CliRunner().invoke(
        main, ["predict", "--model", str(combined_model), "--input", str(f), "--top", "0", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert "rejected row 4 (bad): invalid SMILES" in res.output
    assert pd.read_csv(str(out) + ".rejects.csv")["name"].tolist() == ["bad"]
    df = pd.read_csv(out)
    by = {n: g.sort_values("side_effect") for n, g in df.groupby("molecule")}
    assert set(by["plain"]["channels"]) == {"structure"} and set(by["plain"]["knowledge"]) == {"none"}
    assert set(by["known"]["channels"]) == {"structure+atc+target"} and set(by["known"]["knowledge"]) == {"given"}
    # the same structure with knowledge reaches other neighbours, so its scores differ
    assert (by["plain"]["association_prob"].to_numpy() != by["known"]["association_prob"].to_numpy()).any()
    one = CliRunner().invoke(
        main, ["predict", "--model", str(combined_model), "--smiles", "CCO", "--atc", "N2", "--format", "json"]
    )
    assert one.exit_code == 2 and "ATC code" in one.output


def test_drugbank_lookup_by_name_and_none_for_unknown(tmp_path):
    db = tmp_path / "drugbank"
    db.mkdir()
    cols = "drugbank_id\tname\ttype\tgroups\tatc_codes\tcategories\tinchikey\tinchi\tdescription\n"
    (db / "drugbank.tsv").write_text(cols + "DB00945\tAspirin\tsmall molecule\tapproved\tN02BA01|B01AC06\t\t\t\t\n")
    (db / "proteins.tsv").write_text(
        "drugbank_id\tcategory\tuniprot_id\tentrez_gene_id\torganism\tknown_action\tactions\tpubmed_ids\n"
        "DB00945\ttarget\tP23219\t5742\tHuman\tyes\tinhibitor\t\n"
        "DB00945\tenzyme\tP05177\t1544\tHuman\tunknown\t\t\n"
    )
    (db / "pubchem-mapping.tsv").write_text("drugbank_id\tpubchem_cid\nDB00945\t2244\n")
    (db / "aliases.json").write_text(json.dumps({"DB00945": ["acetylsalicylic acid"]}))
    mols = attach_drugbank([molecule("aspirin", "CC(=O)Oc1ccccc1C(=O)O"), molecule("novel", "CCCCCCN")], db)
    assert mols[0].source == "DrugBank DB00945 (name)" and mols[0].atc == ["N02BA01", "B01AC06"]
    assert mols[0].targets == ["P23219"] and mols[1].source == "" and mols[1].atc == []
    given = attach_drugbank([molecule("aspirin", "CCO", "A01", None)], db)[0]
    assert given.source == "given" and given.atc == ["A01"]  # what the user gave wins


def test_drug_text_model_scores_new_molecules_from_their_text(tmp_path, monkeypatch):
    """A model with the drug-text channel builds a new molecule's text from its name, description
    and ATC codes (guarded like the benchmark's), so different texts give different scores."""
    from llmpredgraph.pipeline.fitted import Pipeline
    from llmpredgraph.workflows.molecules import molecule_texts

    monkeypatch.setenv("LLMPREDGRAPH_DATA_DIR", str(tmp_path / "data"))
    model = train_tiny_model(
        tmp_path, TINY + "encoders: {drug: {kind: hash, add_text: true}, side_effect: {kind: hash}}\n"
    )
    pipe = Pipeline.load(model)
    mols = [molecule("a", "CCO", "N02AA01", None, "An opioid. It may cause effect 03."), molecule("b", "CCO")]
    texts = molecule_texts(mols, pipe.support.se_names, tmp_path / "no_atc_names.csv")
    assert texts == ["a. An opioid. ATC: N02AA01.", "b."]  # guard removed the adverse sentence
    s = pipe.predict_molecules(["CCO", "CCO"], None, texts)
    assert not np.allclose(s["dsf"][0], s["dsf"][1])
    res = CliRunner().invoke(
        main, ["predict", "--model", str(model), "--smiles", "CCO", "--description", "An opioid.", "--format", "json"]
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)[0]["channels"] == "structure+text"
    with pytest.raises(Exception, match="not given"):
        pipe.predict_molecules(["CCO"])


def test_new_molecules_reuse_the_support_parts_of_their_graph_exactly(combined_model):
    """The support's Tanimoto block and co-occurrence edges are computed once per loaded model; a
    molecule's graph built from them equals one built from scratch."""
    import torch

    from llmpredgraph.graph.build import COOC
    from llmpredgraph.graph.edges import cooc_edges
    from llmpredgraph.graph.similarity import tanimoto_matrix
    from llmpredgraph.pipeline.fitted import Pipeline
    from llmpredgraph.pipeline.molecules import molecule_tanimoto, support_cooc

    pipe = Pipeline.load(combined_model)
    n = pipe.support.n_drugs
    fp_new = (np.random.default_rng(0).random((3, pipe.support.fingerprints.shape[1])) > 0.7).astype(np.float32)
    full = tanimoto_matrix(np.concatenate([pipe.support.fingerprints, fp_new]))
    for _ in range(2):  # the second call reads the cached support block
        np.testing.assert_array_equal(molecule_tanimoto(pipe, fp_new), full)
    mg = pipe.molecule_graph(["CCO", "c1ccccc1O"])
    assert mg.builder.cooc is support_cooc(pipe)
    cached = mg.builder.build(np.arange(n), mg.query)
    mg.builder.cooc = None
    fresh = mg.builder.build(np.arange(n), mg.query)
    assert torch.equal(cached[COOC].edge_index, fresh[COOC].edge_index) and cached[COOC].edge_index.numel()
    # another support does not take the cached edges
    mg.builder.cooc, other = support_cooc(pipe), np.arange(n - 1)
    want = cooc_edges(mg.builder.R, other, pipe.cfg.graph.se_cooc.k)
    assert torch.equal(mg.builder.build(other, np.array([n - 1]))[COOC].edge_index, want)
