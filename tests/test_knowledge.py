"""Drug knowledge: ATC classes, drug text with its circularity guard, combined similarity, baselines on it."""

import numpy as np
import pytest
import torch

from llmpredgraph.baselines import knn_offset, run_baseline
from llmpredgraph.data.drug_text import atc_path, drug_text, guard, se_name_pattern, split_sentences
from llmpredgraph.data.knowledge import atc_classes, targets_of
from llmpredgraph.graph.similarity import Channel, combine, set_jaccard
from llmpredgraph.pipeline.knowledge import DrugKnowledge


def test_atc_classes_levels_1_to_4():
    assert atc_classes("N02AA01") == ["N", "N02", "N02A", "N02AA"]
    assert atc_classes("N02AA01;N02AB03") == ["N", "N02", "N02A", "N02AA", "N02AB"]
    assert atc_classes("") == []
    assert atc_classes("N02") == ["N", "N02"]  # a class code, as predict --atc accepts


def test_targets_of_keeps_target_category_only():
    assert targets_of("enzyme:P1|target:P2|target:P3|transporter:P4") == ["P2", "P3"]
    assert targets_of("") == []


def test_guard_removes_adverse_sentences_and_side_effect_names():
    pattern = se_name_pattern(["Nausea", "Pain"])
    desc = "An opioid agonist. It may cause dependence. Patients report nausea often. Used as a painkiller."
    kept, removed = guard(desc, pattern)
    # "may cause" is a cue; "nausea" a side-effect name; "painkiller" is not the whole word "pain"
    assert kept == "An opioid agonist. Used as a painkiller."
    assert removed == 2
    assert split_sentences("A b. C d! (E) f? 5 g") == ["A b.", "C d!", "(E) f?", "5 g"]


def test_guard_catches_plurals_and_side_effect_names_in_categories_and_atc_classes():
    pattern = se_name_pattern(["Infection", "Ulcer", "Hypersensitivity", "Constipation"])
    kept, removed = guard("An antibiotic. Treats infections. Heals ulcers. Limits hypersensitivities.", pattern)
    assert (kept, removed) == ("An antibiotic.", 3)
    assert guard("Used in infectious disease.", pattern)[1] == 0  # another word, not a plural
    names = {"A": "ALIMENTARY TRACT AND METABOLISM", "A06": "DRUGS FOR CONSTIPATION", "A06A": "Laxatives"}
    # guarded: the class named after a side effect is left out, the others stay; unguarded keeps it
    assert atc_path("A06AB02", names, pattern) == "alimentary tract and metabolism > laxatives"
    assert "constipation" in atc_path("A06AB02", names)
    text, _ = drug_text("bisacodyl", "", "Laxatives|Agents for Constipation", [], pattern)
    assert text == "bisacodyl. Categories: Laxatives."
    assert "Constipation" in drug_text("bisacodyl", "", "Laxatives|Agents for Constipation", [], None)[0]


def test_drug_text_has_name_description_categories_and_atc_paths():
    names = {"N": "NERVOUS SYSTEM", "N02": "ANALGESICS", "N02A": "OPIOIDS", "N02AA": "Natural opium alkaloids"}
    path = atc_path("N02AA01", names)
    assert path == "nervous system > analgesics > opioids > natural opium alkaloids"
    pattern = se_name_pattern(["Constipation"])
    desc = "An opioid. It causes constipation."
    text, removed = drug_text("morphine", desc, "Analgesics|Narcotics", [path, path], pattern)
    assert text == f"morphine. An opioid. Categories: Analgesics; Narcotics. ATC: {path}."
    assert removed == 1
    full, _ = drug_text("morphine", "An opioid. It causes constipation.", "", [], None)
    assert full == "morphine. An opioid. It causes constipation."


def test_set_jaccard_by_hand():
    ch = set_jaccard([["a", "b"], ["b", "c"], [], ["a", "b"]])
    assert ch.has.tolist() == [True, True, False, True]
    assert ch.S[0, 1] == pytest.approx(1 / 3)
    assert ch.S[0, 3] == pytest.approx(1.0)
    assert ch.S[2, 0] == 0.0


def test_combine_averages_only_channels_both_drugs_have():
    tan = np.array([[1.0, 0.2, 0.4], [0.2, 1.0, 0.6], [0.4, 0.6, 1.0]], dtype=np.float32)
    atc = Channel(np.array([[1, 1, 0], [1, 1, 0], [0, 0, 0]], dtype=np.float32), np.array([True, True, False]))
    ch = {"structure": Channel(tan, np.ones(3, bool)), "atc": atc}
    S = combine(ch, {"structure": 1.0, "atc": 3.0})
    assert S[0, 1] == pytest.approx((0.2 + 3 * 1.0) / 4)  # both have ATC
    assert S[0, 2] == pytest.approx(0.4)  # drug 2 has no ATC: structure alone
    with pytest.raises(ValueError, match="all zero"):
        combine(ch, {"structure": 0.0})
    with pytest.raises(ValueError, match="unknown similarity channel"):
        combine(ch, {"smell": 1.0})


def test_knn_offset_combined_ranks_by_combined_similarity(bench):
    """On the combined similarity a drug's neighbours follow ATC/targets, and the knob weights reach it."""
    from tests.conftest import random_inputs

    inputs = random_inputs(bench)
    inputs.knowledge = DrugKnowledge.from_benchmark(bench)
    train, query = np.arange(1, bench.n_drugs), np.array([0])
    plain = run_baseline("knn_offset", bench.R, train, query, inputs, k=3)
    np.testing.assert_allclose(plain["dsf"], knn_offset(bench.R, train, query, similarity=inputs.tanimoto, k=3)["dsf"])
    comb = run_baseline("knn_offset_combined", bench.R, train, query, inputs, k=3, w_atc=1.0, w_target=0.0)
    S = inputs.similarity({"structure": 1.0, "atc": 1.0, "target": 0.0})
    np.testing.assert_allclose(comb["dsf"], knn_offset(bench.R, train, query, similarity=S, k=3)["dsf"])
    assert not np.allclose(S, inputs.tanimoto)


def test_similarity_without_knowledge_columns_is_a_clear_error(bench):
    from llmpredgraph.errors import UserError
    from tests.conftest import random_inputs

    inputs = random_inputs(bench)
    assert inputs.similarity({"structure": 1.0, "atc": 0.0}) is inputs.tanimoto
    with pytest.raises(UserError, match="data prepare"):
        inputs.similarity({"structure": 1.0, "atc": 1.0})


def test_combined_similarity_reads_no_labels(bench):
    """The fold's drug similarity (fit_features under graph.knn_similarity: combined) is the same
    whatever the labels it is handed; it does read the knowledge channels."""
    from llmpredgraph.config import Config
    from llmpredgraph.pipeline.features import fit_features
    from tests.conftest import random_inputs

    inputs = random_inputs(bench)
    inputs.knowledge = DrugKnowledge.from_benchmark(bench)
    cfg = Config.model_validate({"contrastive": {"enabled": False}, "graph": {"knn_similarity": "combined"}})
    fit = np.arange(bench.n_drugs)
    rng = np.random.default_rng(0)
    other = rng.permutation(bench.R.ravel()).reshape(bench.R.shape)  # every label moved
    a = fit_features(inputs, bench.R, fit, cfg, bench.smiles, 0, progress=False).S_drug
    b = fit_features(inputs, other, fit, cfg, bench.smiles, 0, progress=False).S_drug
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, inputs.tanimoto)


def test_baselines_only_experiment_tunes_channel_weights_per_fold(tmp_path):
    import json

    from click.testing import CliRunner

    from llmpredgraph.cli import main

    from .test_cli import TINY

    cfg = tmp_path / "kb.yaml"
    cfg.write_text(
        TINY
        + "baselines: [knn_offset_combined, knn_offset]\n"
        + "selection: {baselines: {knn_offset_combined: {k: [3], w_atc: [0.5, 2.0], w_target: [0.0, 1.0]}}}\n"
    )
    out = tmp_path / "run"
    args = ["experiment", "--config", str(cfg), "--out", str(out), "--quiet"]
    res = CliRunner().invoke(main, [*args, "--set", "protocol.with_graph=false", "--set", "protocol.with_mlp=false"])
    assert res.exit_code == 0, res.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["0"]) == {"knn_offset_combined", "knn_offset"}
    chosen = json.loads((out / "folds" / "fold_0" / "info.json").read_text())["baseline_selection"]
    assert set(chosen["knn_offset_combined"]["chosen"]) == {"k", "w_atc", "w_target"}
    assert "knn_offset_combined vs knn_offset" in (out / "summary.md").read_text()


def test_nothing_to_run_is_refused():
    from llmpredgraph.config import Config

    with pytest.raises(ValueError, match="nothing to run"):
        Config.model_validate({"protocol": {"with_graph": False, "with_mlp": False}, "baselines": []})


def test_drug_text_kinds_and_old_benchmarks(bench):
    from llmpredgraph.errors import UserError

    assert bench.drug_texts_of("short")[0].startswith("drug00. ATC: ")
    assert "may cause" in bench.drug_texts_of("full")[0] and "may cause" not in bench.drug_texts_of("guarded")[0]
    bench.drugs = bench.drugs.drop(columns=["text"])
    with pytest.raises(UserError, match="data prepare"):
        bench.drug_texts_of("guarded")


def test_subgroup_metrics_by_hand():
    import pandas as pd

    from llmpredgraph.reporting.subgroups import subgroup_frame, subgroup_markdown

    preds = pd.DataFrame(
        {
            "fold": [0] * 6,
            "drug": ["a", "a", "a", "b", "b", "b"],
            "true_class": [5, 2, 0, 4, 1, 0],
            "m_dsf": [4.0, 3.0, 1.0, 1.0, 2.0, 1.0],  # a: ranked right; b: ranked wrong
            "m_dshf": [0.9, 0.1, 0.0, 0.2, 0.8, 0.0],
            "m_assoc": [0.9, 0.8, 0.1, 0.1, 0.2, 0.9],
        }
    )
    f = subgroup_frame(preds, {"a": "known", "b": "new"}, ["m"]).set_index("group")
    assert f.loc["known", "dsf_scc"] == pytest.approx(1.0) and f.loc["new", "dsf_scc"] == pytest.approx(-1.0)
    assert f.loc["known", "dshf_auroc"] == 1.0 and f.loc["new", "dshf_auroc"] == 0.0
    assert f.loc["known", "assoc_auroc"] == 1.0 and f.loc["new", "assoc_auroc"] == 0.0
    assert f.loc["known", "drugs"] == 1
    assert any(line.startswith("| known | 1.0 | m |") for line in subgroup_markdown(f.reset_index(), "t"))


def test_knowledge_graph_nodes_and_edges_by_hand():
    from torch_geometric.data import HeteroData

    from llmpredgraph.graph.knowledge_edges import CHILD_OF, IN_CLASS, KnowledgeGraph

    kg = KnowledgeGraph([atc_classes("N02AA01"), atc_classes("N02AB03"), []], [["target:P1", "enzyme:P2"], [], []])
    assert kg.atc_vocab == ["N", "N02", "N02A", "N02AA", "N02AB"] and kg.protein_vocab == ["P1", "P2"]
    data = HeteroData()
    kg.add_to(data, atc=True, proteins=True)
    assert data["atc"].num_nodes == 5 and data["protein"].num_nodes == 2
    assert data[IN_CLASS].edge_index.shape == (2, 8)  # two drugs x four levels; drug 2 has none
    child = {(kg.atc_vocab[c], kg.atc_vocab[p]) for c, p in data[CHILD_OF].edge_index.T.tolist()}
    assert child == {("N02", "N"), ("N02A", "N02"), ("N02AA", "N02A"), ("N02AB", "N02A")}
    assert data["drug", "target", "protein"].edge_index.tolist() == [[0], [0]]
    assert data["drug", "enzyme", "protein"].edge_index.tolist() == [[0], [1]]
    assert data["protein", "rev_target", "drug"].edge_index.tolist() == [[0], [0]]
    new = kg.extend([["N", "N03"]], [["target:P1", "target:P9"]])  # N03 and P9 have no vector
    assert new.atc[-1] == ["N"] and new.proteins[-1] == ["target:P1"] and new.atc_vocab == kg.atc_vocab


def test_knowledge_nodes_carry_no_labels_and_reach_test_drugs(bench):
    """The ATC/protein edges are the same whatever the labels, and a query drug keeps its own."""
    from llmpredgraph.config import GraphCfg
    from llmpredgraph.graph.build import GraphBuilder
    from llmpredgraph.graph.knowledge_edges import IN_CLASS

    kg = DrugKnowledge.from_benchmark(bench).graph()
    cfg = GraphCfg(atc_nodes=True, protein_nodes=True)
    x = np.zeros((bench.n_drugs, 3), np.float32)
    args = (x, np.zeros((bench.n_side_effects, 3), np.float32))
    S, hier = np.eye(bench.n_drugs, dtype=np.float32), torch.zeros((2, 0), dtype=torch.long)
    support, query = np.arange(1, bench.n_drugs), np.array([0])
    a = GraphBuilder(*args, bench.R, S, hier, cfg, kg).build(support, query)
    b = GraphBuilder(*args, np.zeros_like(bench.R), S, hier, cfg, kg).build(support, query)
    for et in a.edge_types:
        if "atc" in et or "protein" in et:
            assert torch.equal(a[et].edge_index, b[et].edge_index), et
    assert (a[IN_CLASS].edge_index[0] == 0).sum() == 4  # the query drug's own four ATC levels


def test_model_with_knowledge_nodes_trains_saves_and_uses_given_knowledge(tmp_path):
    from click.testing import CliRunner

    from llmpredgraph.cli import main
    from llmpredgraph.pipeline.fitted import Pipeline

    from .test_cli import TINY

    cfg = tmp_path / "kn.yaml"
    cfg.write_text(TINY)
    extra = ["--set", "graph.atc_nodes=true", "--set", "graph.protein_nodes=true"]
    res = CliRunner().invoke(main, ["train", "--config", str(cfg), "--out", str(tmp_path / "m"), "--quiet", *extra])
    assert res.exit_code == 0, res.output
    pipe = Pipeline.load(tmp_path / "m")
    assert set(pipe.model.encoder.extra) == {"atc", "protein"}
    plain = pipe.predict_molecules(["c1ccccc1O"])
    known = pipe.predict_molecules(["c1ccccc1O"], ([atc_classes("B01AA01")], [["target:P100000"]]))
    assert not np.allclose(plain["dsf"], known["dsf"])  # messages reach it through its class and target


def test_protein_table_groups_entries_and_filters_ids(tmp_path):
    from llmpredgraph.data.knowledge import protein_table

    f = tmp_path / "proteins.tsv"
    f.write_text(
        "drugbank_id\tcategory\tuniprot_id\n"
        "DB1\ttarget\tP2\nDB1\tenzyme\tP1\nDB1\ttarget\tP2\nDB1\tcarrier\t\nDB2\ttarget\tP9\n"
    )
    assert protein_table(f) == {"DB1": ["enzyme:P1", "target:P2"], "DB2": ["target:P9"]}
    assert protein_table(f, ["DB2", "DB7"]) == {"DB2": ["target:P9"]}
