"""The fast screening path (`distil`, `screen --fast`): a distilled SMILES encoder and an int8 decoder."""

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from llmpredgraph.cli import main
from llmpredgraph.encoders.fixed import MorganEncoder
from llmpredgraph.encoders.student import StudentEncoder, save_student
from llmpredgraph.pipeline.portable import PortableModel
from llmpredgraph.pretraining.student import fit_student
from llmpredgraph.workflows.distil import _row_spearman

pytest.importorskip("onnxruntime")

# distinct small molecules: alkyl chains with a few heads (corpus and check set of the CLI test)
HEADS = ["O", "N", "Cl", "C(=O)O", "c1ccccc1", "C#N", "OC", "F"]
CORPUS = [("C" * i + h) for i in range(1, 9) for h in HEADS]


def test_row_spearman_is_hand_computed():
    a = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0], [1.0, 1.0, 2.0]])
    b = np.array([[10.0, 20.0, 30.0], [1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])
    # third row: ranks (1.5, 1.5, 3) against (1, 2, 3): centred (-.5, -.5, 1)·(-1, 0, 1) = 1.5 over sqrt(1.5 * 2)
    np.testing.assert_allclose(_row_spearman(a, b), [1.0, -1.0, 1.5 / np.sqrt(3.0)], atol=1e-12)


def test_student_overfits_a_tiny_teacher_and_numpy_runs_it(tmp_path):
    smiles = CORPUS[:40]
    counts = MorganEncoder(2, 64, counts=True).encode(smiles)
    rng = np.random.default_rng(0)
    Y = (np.log1p(counts) @ rng.normal(size=(64, 5))).astype(np.float32) + 3.0  # a teacher the MLP can learn
    w = fit_student(counts, Y, hidden=32, epochs=300, batch_size=16, lr=3e-3, progress=False)
    save_student(tmp_path, w, {"radius": 2, "bits": 64, "teacher": "t"})
    enc = StudentEncoder(tmp_path)
    got = enc.encode(smiles)
    r2 = 1 - ((got - Y) ** 2).sum() / ((Y - Y.mean(0)) ** 2).sum()
    assert r2 > 0.95
    vectors, bits = enc.encode_with_bits(smiles)
    np.testing.assert_array_equal(vectors, got)
    # RDKit's bit fingerprint is counts > 0 (the neighbour search reuses the student's counts)
    np.testing.assert_array_equal(MorganEncoder(2, 64).encode(smiles), bits)
    assert (counts > 1).any()  # counts, not bits
    assert enc.identity == "student:r2:b64:of=t"


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_distil_then_screen_fast_end_to_end(model_dir, tmp_path):
    lib = tmp_path / "lib.smi"
    lib.write_text("".join(f"{s} m{i}\n" for i, s in enumerate(CORPUS[:12])) + "C1CC(broken bad\n")
    res = _run("screen", "--model", model_dir, "--input", lib, "--out", tmp_path / "no", "--fast", "--quiet")
    assert res.exit_code != 0 and "llmpredgraph distil" in res.output and len(res.output.strip().splitlines()) == 1

    corpus = tmp_path / "corpus.smi"
    corpus.write_text("".join(f"{s}\n" for s in CORPUS))
    small = ("--n", 50, "--check", 10, "--hidden", 16, "--epochs", 3, "--quiet")
    res = _run("distil", "--model", model_dir, "--corpus", corpus, *small)
    assert res.exit_code == 0, res.output
    report = json.loads((model_dir / "fast_path.json").read_text())
    assert report["settings"]["check_molecules"] == 10 and report["settings"]["train_molecules"] == 50  # --n of the 64
    for head in ("assoc", "dsf"):
        f = report["fidelity"][head]
        assert -1.0 <= f["fast_path_spearman"]["min"] <= f["fast_path_spearman"]["mean"] <= 1.0
    res = _run(
        "screen",
        "--model",
        model_dir,
        "--input",
        lib,
        "--out",
        tmp_path / "fast",
        "--fast",
        "--all-pairs",
    )
    assert res.exit_code == 0, res.output
    parts = pd.read_parquet(tmp_path / "fast" / "parts")
    assert parts["row"].nunique() == 12 and len(pd.read_csv(next((tmp_path / "fast" / "rejects").glob("*.csv")))) == 1

    # screen --fast gives the fast model's scores, and a molecule's scores ignore its batch
    fast = PortableModel.load(model_dir, fast=True)
    smiles = parts.drop_duplicates("row").sort_values("row")["smiles"].tolist()
    together = fast.predict_molecules(smiles, neighbours="faiss", standardised=True)
    alone = fast.predict_molecules(smiles[3:4], neighbours="faiss", standardised=True)
    np.testing.assert_allclose(alone["assoc"][0], together["assoc"][3], atol=1e-6)
    first = parts[parts["row"] == parts["row"].min()].set_index("side_effect")["association_prob"]
    names = fast.support.se_names
    np.testing.assert_allclose(first.loc[names].to_numpy(), together["assoc"][0], atol=1e-6)

    # the int8 decoder is the float decoder within quantisation error, on the same inputs
    exact = PortableModel.load(model_dir)
    exact._encoder = fast.drug_encoder()
    want = exact.predict_molecules(smiles, neighbours="faiss", standardised=True)
    assert np.abs(want["assoc"] - together["assoc"]).max() < 0.05
    assert not np.array_equal(want["assoc"], together["assoc"])  # it is the quantised graph that ran


def test_screen_workers_write_the_parts_of_one_process(model_dir, tmp_path):
    lib = tmp_path / "lib.smi"
    lib.write_text("".join(f"{s} m{i}\n" for i, s in enumerate(CORPUS)) + "C1CC(broken bad\n")
    args = ("--input", lib, "--chunk-size", 10, "--quiet")
    assert _run("screen", "--model", model_dir, "--out", tmp_path / "one", *args).exit_code == 0
    res = _run("screen", "--model", model_dir, "--out", tmp_path / "two", "--workers", 2, *args)
    assert res.exit_code == 0, res.output
    one, two = (sorted((tmp_path / d / "parts").glob("*.parquet")) for d in ("one", "two"))
    assert [p.name for p in one] == [p.name for p in two] and len(one) == 7
    for a, b in zip(one, two):
        pd.testing.assert_frame_equal(pd.read_parquet(a), pd.read_parquet(b))
    summary = json.loads((tmp_path / "two" / "summary.json").read_text())
    assert summary["workers"] == 2 and summary["scored"] == len(CORPUS) and summary["rejected"] == 1
    assert summary["stage_seconds"]["decode"] > 0  # the workers' stage times reach the summary


def test_a_screen_folder_from_before_fast_resumes(model_dir, tmp_path):
    lib = tmp_path / "lib.smi"
    lib.write_text("".join(f"{s} m{i}\n" for i, s in enumerate(CORPUS[:20])))
    args = ("screen", "--model", model_dir, "--input", lib, "--out", tmp_path / "s", "--chunk-size", 10, "--quiet")
    assert _run(*args).exit_code == 0
    manifest = tmp_path / "s" / "screen.json"
    old = json.loads(manifest.read_text())
    del old["fast"]  # what a folder written before --fast holds
    manifest.write_text(json.dumps(old))
    res = _run(*args)
    assert res.exit_code == 0 and "2 parts kept from before" in res.output, res.output
    res = _run(*args, "--top", 5)
    assert res.exit_code != 0 and "top differ" in res.output  # another setting still refuses
