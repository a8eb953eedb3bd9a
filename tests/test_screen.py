import gzip
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from llmpredgraph.cli import main
from llmpredgraph.data.library import read_library
from llmpredgraph.data.structures import standard_smiles
from llmpredgraph.errors import UserError

LIBRARY = [
    ("CCOc1ccccc1", "phenetole"),
    ("not_a_smiles", "junk"),
    ("CC(C)Cc1ccc(cc1)C(C)C(=O)O", "ibuprofen"),
    ("[Na+].CC(=O)[O-]", "sodium acetate"),  # salt: scored as acetic acid
    ("C1CC", "broken ring"),
    ("c1ccc2ccccc2c1", "naphthalene"),
    ("CN1CCC[C@H]1c1cccnc1", "nicotine"),
]


def _smi(path, rows=LIBRARY):
    path.write_text("".join(f"{s} {n}\n" for s, n in rows))
    return path


def _screen(model_dir, lib, out, *extra):
    return CliRunner().invoke(
        main,
        ["screen", "--model", str(model_dir), "--input", str(lib), "--out", str(out), "--quiet", *extra],
    )


def test_read_library_formats_and_chunks(tmp_path):
    rows = [("CCO", "ethanol"), ("c1ccccc1", None), ("CC(=O)O", "acetic acid")]
    frame = pd.DataFrame({"SMILES": [s for s, _ in rows], "name": [n for _, n in rows]})
    frame.to_csv(tmp_path / "lib.csv", index=False)
    with gzip.open(tmp_path / "lib.csv.gz", "wt") as f:
        frame.to_csv(f, index=False)
    frame.to_parquet(tmp_path / "lib.parquet", index=False)
    (tmp_path / "lib.smi").write_text("CCO ethanol\nc1ccccc1\n\nCC(=O)O acetic acid\n")
    for name in ("lib.csv", "lib.csv.gz", "lib.parquet", "lib.smi"):
        chunks = list(read_library(tmp_path / name, chunk_size=2))
        assert [len(c) for c in chunks] == [2, 1], name
        df = pd.concat(chunks)
        assert df["row"].tolist() == [0, 1, 2]
        assert df["smiles"].tolist() == ["CCO", "c1ccccc1", "CC(=O)O"]
        assert df["name"].tolist() == ["ethanol", "row 2", "acetic acid"], name
    assert [len(c) for c in read_library(tmp_path / "lib.smi", 2, limit=1)] == [1]
    pd.DataFrame({"mol": ["CCO"]}).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(UserError, match="no smiles column"):
        list(read_library(tmp_path / "bad.csv", 2))
    with pytest.raises(UserError, match="unknown file type"):
        list(read_library(tmp_path / "lib.sdf", 2))


def test_standard_smiles_standardises_and_explains():
    assert standard_smiles("[Na+].CC(=O)[O-]") == "CC(=O)O"  # largest fragment, neutralised
    assert standard_smiles("OCC") == "CCO"
    for bad, reason in [("", "empty"), ("C1CC", "cannot parse"), ("[H][H]", "no heavy atoms")]:
        with pytest.raises(ValueError, match=reason):
            standard_smiles(bad)


def test_screen_end_to_end_rejects_and_matches_predict(model_dir, tmp_path):
    lib, out = _smi(tmp_path / "lib.smi"), tmp_path / "screen"
    res = _screen(model_dir, lib, out, "--chunk-size", "3", "--top", "4")
    assert res.exit_code == 0, res.output
    assert "7 molecules in 3 parts: 5 scored, 2 rejected" in res.output
    assert sorted(p.name for p in (out / "parts").iterdir()) == [f"part-00000{i}.parquet" for i in range(3)]
    rejects = pd.concat(pd.read_csv(f, keep_default_na=False) for f in sorted((out / "rejects").glob("*.csv")))
    assert rejects["molecule"].tolist() == ["junk", "broken ring"] and rejects["row"].tolist() == [1, 4]
    assert rejects["reason"].str.contains("RDKit cannot parse").all()
    table = pd.read_parquet(out / "parts")
    assert table.groupby("molecule").size().to_dict() == {
        m: 4 for m in ["phenetole", "ibuprofen", "sodium acetate", "naphthalene", "nicotine"]
    }
    assert (table.loc[table["molecule"] == "sodium acetate", "smiles"] == "CC(=O)O").all()
    # the same numbers as `predict` for the same molecule (molecules in one chunk do not interact)
    res = CliRunner().invoke(
        main,
        ["predict", "--model", str(model_dir), "--smiles", "CC(C)Cc1ccc(cc1)C(C)C(=O)O", "--top", "4"]
        + ["--format", "json"],
    )
    want = pd.DataFrame(json.loads(res.output))
    got = table[table["molecule"] == "ibuprofen"]
    assert got["side_effect"].tolist() == want["side_effect"].tolist()
    np.testing.assert_allclose(got["association_prob"], want["association_prob"], atol=1e-4)
    np.testing.assert_allclose(got["expected_class"], want["expected_class"], atol=1e-3)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scored"] == 5 and summary["rejected"] == 2 and summary["parts_resumed"] == 0
    # every stage of the local run is timed, and the stages add up to no more than the run
    stages = summary["stage_seconds"]
    assert set(stages) == {"standardise", "encode", "neighbours", "graph", "decode", "rank", "write"}
    assert all(v >= 0 for v in stages.values()) and sum(stages.values()) <= summary["seconds"]


def test_salt_and_parent_score_identically_in_predict_and_screen(model_dir, tmp_path):
    """One standardiser for both commands: a hydrochloride, a protonated salt and the free base are
    the same molecule, with the same numbers, in `predict` and in `screen`."""
    forms = [
        ("CN1CCC[C@H]1c1cccnc1", "free base"),
        ("CN1CCC[C@H]1c1cccnc1.Cl", "hydrochloride"),
        ("C[NH+]1CCC[C@H]1c1cccnc1.[Cl-]", "ion pair"),
    ]
    out = tmp_path / "screen"
    assert _screen(model_dir, _smi(tmp_path / "lib.smi", forms), out, "--all-pairs").exit_code == 0
    table = pd.read_parquet(out / "parts")
    cols = ["side_effect", "association_prob", "expected_class", "high_frequency_prob"]
    screened = [table[table["molecule"] == n].reset_index(drop=True) for _, n in forms]
    predicted = []
    for smiles, _ in forms:
        res = CliRunner().invoke(
            main, ["predict", "--model", str(model_dir), "--smiles", smiles, "--top", "0"] + ["--format", "json"]
        )
        assert res.exit_code == 0, res.output
        predicted.append(pd.DataFrame(json.loads(res.output)))
    assert screened[0]["smiles"].nunique() == 1
    for got, want in zip(screened, predicted):
        assert (got["smiles"] == screened[0]["smiles"]).all()
        pd.testing.assert_frame_equal(got[cols], screened[0][cols])
        pd.testing.assert_frame_equal(want[cols], predicted[0][cols])
        # the same ranking and numbers in both commands (predict rounds for reading)
        assert got["side_effect"].tolist() == want["side_effect"].tolist()
        np.testing.assert_allclose(got["association_prob"], want["association_prob"], atol=5e-5)
        np.testing.assert_allclose(got["expected_class"], want["expected_class"], atol=5e-4)
    # one output schema: screen's columns are predict's after row, molecule and smiles (predict adds
    # per molecule what it looked up: knowledge, channels, on_label and label_frequency)
    assert list(predicted[0].columns[-4:]) == ["knowledge", "channels", "on_label", "label_frequency"]
    assert list(table.columns) == ["row", "molecule", "smiles"] + list(predicted[0].columns[1:-4])


def test_screen_resumes_and_refuses_other_settings(model_dir, tmp_path):
    lib, out = _smi(tmp_path / "lib.smi"), tmp_path / "screen"
    assert _screen(model_dir, lib, out, "--chunk-size", "3", "--rank", "lift").exit_code == 0
    before = pd.read_parquet(out / "parts")
    (out / "parts" / "part-000002.parquet").unlink()  # as if interrupted before the last part
    res = _screen(model_dir, lib, out, "--chunk-size", "3", "--rank", "lift")
    assert res.exit_code == 0 and "2 parts kept from before" in res.output, res.output
    pd.testing.assert_frame_equal(pd.read_parquet(out / "parts"), before)
    res = _screen(model_dir, lib, out, "--chunk-size", "3", "--rank", "association")
    assert res.exit_code == 2 and "other settings (rank differ)" in res.output
    res = _screen(model_dir, lib, out, "--chunk-size", "3", "--all-pairs", "--overwrite")
    assert res.exit_code == 0, res.output
    table = pd.read_parquet(out / "parts")
    n_se = table["side_effect"].nunique()
    assert len(table) == 5 * n_se and (table.groupby("molecule")["rank"].max() == n_se).all()


def test_screen_bad_input_is_one_line_error(model_dir, tmp_path):
    res = _screen(model_dir, tmp_path / "missing.smi", tmp_path / "o")
    assert res.exit_code == 2 and "not found" in res.output and len(res.output.strip().splitlines()) == 1
    (tmp_path / "lib.txt").write_text("CCO\n")
    res = _screen(model_dir, tmp_path / "lib.txt", tmp_path / "o")
    assert res.exit_code == 2 and "unknown file type" in res.output


def _fingerprints(rng, n, bits=256):
    """Bit vectors with structure (families around shared cores), like real fingerprints."""
    cores = rng.random((8, bits)) < 0.12
    noise = rng.random((n, bits)) < 0.03
    return (cores[rng.integers(0, 8, n)] ^ noise).astype(np.uint8)


def test_support_index_finds_the_exact_neighbours():
    from llmpredgraph.graph.neighbours import SupportIndex, recall_at_k
    from llmpredgraph.graph.similarity import cosine_matrix, tanimoto_matrix

    rng = np.random.default_rng(0)
    fs, fq = _fingerprints(rng, 60), _fingerprints(rng, 15)
    T = tanimoto_matrix(np.concatenate([fq, fs]))[:15, 15:]  # [query, support]
    sim, idx = SupportIndex("fingerprint", None, fs, candidates=60).search(None, fq, 5)  # all candidates: exact
    np.testing.assert_allclose(sim, -np.sort(-T, axis=1)[:, :5], atol=1e-6)
    np.testing.assert_allclose(np.take_along_axis(T, idx, 1), sim, atol=1e-6)
    sim, idx = SupportIndex("fingerprint", None, fs, candidates=20).search(None, fq, 5)  # a third of them
    assert recall_at_k(idx, T, 5) >= 0.9
    np.testing.assert_allclose(np.take_along_axis(T, idx, 1), sim, atol=1e-6)  # values stay exact Tanimoto
    xs, xq = rng.normal(size=(60, 8)), rng.normal(size=(15, 8))
    C = cosine_matrix(np.concatenate([xq, xs]))[:15, 15:]
    sim, idx = SupportIndex("embedding", xs, None).search(xq, None, 3)
    np.testing.assert_allclose(sim, -np.sort(-C, axis=1)[:, :3], atol=1e-5)
    sim, idx = SupportIndex("mean", xs, fs, candidates=60).search(xq, fq, 3)
    np.testing.assert_allclose(sim, -np.sort(-(C + T) / 2, axis=1)[:, :3], atol=1e-5)
    assert recall_at_k(np.argsort(-T, 1)[:, 5:10], T, 5) < 0.5  # the measure can fail


def test_faiss_and_exact_neighbours_score_alike(model_dir):
    from llmpredgraph.pipeline.fitted import Pipeline

    pipe = Pipeline.load(model_dir)
    mols = ["CCOc1ccccc1", "CC(C)Cc1ccc(cc1)C(C)C(=O)O", "c1ccc2ccccc2c1"]
    exact, fast = pipe.predict_molecules(mols), pipe.predict_molecules(mols, neighbours="faiss")
    for head in ("assoc", "dsf", "dshf"):
        np.testing.assert_allclose(fast[head], exact[head], atol=1e-5)
    with pytest.raises(UserError, match="structure only"):
        pipe.predict_molecules(mols[:1], knowledge=([["N02"]], [[]]), neighbours="faiss")


def test_screen_on_ray_writes_the_local_parts_and_resumes(model_dir, tmp_path):
    """Ray Data workers write the same parts as the local loop; a rerun keeps finished parts."""
    ray = pytest.importorskip("ray")
    from llmpredgraph.workflows.executor import RayExecutor
    from llmpredgraph.workflows.screen import screen_library

    lib = _smi(tmp_path / "lib.smi")
    local = screen_library(model_dir, lib, tmp_path / "local", chunk_size=3, top=4, progress=False)
    try:
        ex = RayExecutor(num_cpus=2)
        on_ray = screen_library(model_dir, lib, tmp_path / "ray", chunk_size=3, top=4, progress=False, executor=ex)
        assert on_ray["executor"] == "ray" and on_ray["parts_resumed"] == 0
        assert {k: on_ray[k] for k in ("molecules", "scored", "rejected", "parts")} == {
            k: local[k] for k in ("molecules", "scored", "rejected", "parts")
        }
        for name in ("parts", "rejects"):
            want = sorted(p.name for p in (tmp_path / "local" / name).iterdir())
            assert sorted(p.name for p in (tmp_path / "ray" / name).iterdir()) == want
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / "ray" / "parts"), pd.read_parquet(tmp_path / "local" / "parts")
        )
        assert not list((tmp_path / "ray" / "shards").glob("*.parquet"))  # shards go once scored
        (tmp_path / "ray" / "parts" / "part-000001.parquet").unlink()
        again = screen_library(model_dir, lib, tmp_path / "ray", chunk_size=3, top=4, progress=False, executor=ex)
        assert again["parts_resumed"] == 2 and again["scored"] == local["scored"]
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / "ray" / "parts"), pd.read_parquet(tmp_path / "local" / "parts")
        )
    finally:
        ray.shutdown()
