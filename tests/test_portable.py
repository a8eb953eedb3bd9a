"""Torch-free inference (`pipeline.portable`): the exported arrays give the torch pipeline's scores
and explanations, `predict` / `ask` / `screen` import no torch, and older folders still load."""

import json
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from llmpredgraph.cli import main
from llmpredgraph.pipeline.loading import load_predictor
from llmpredgraph.pipeline.portable import SPEC, PortableModel

from .conftest import make_tiny_bert, train_tiny_model
from .test_cli import TINY

# two message-passing layers, and the prior's three neighbour rules: the kNN edges, the 4 most
# similar support drugs (ties to the lower index), every support drug
CONFIGS = {k: TINY.replace("layers: 1}", f"layers: 2, prior: {{k: {k}}}}}") for k in ("null", "4", "0")}
# the association share on a kernel of its own (every support drug, squared similarities) beside the
# frequency priors' 4 nearest: new molecules must index as many neighbours as the wider one reads
CONFIGS["4+assoc0"] = TINY.replace(
    "layers: 1}", "layers: 2, prior: {k: 4, assoc: share, assoc_k: 0, assoc_power: 2.0}}"
)


def _pair(folder):
    from llmpredgraph.pipeline.fitted import Pipeline

    return Pipeline.load(folder), PortableModel.load(folder)


@pytest.mark.parametrize("k", list(CONFIGS))
def test_portable_scores_equal_torch_on_every_benchmark_drug(k, tmp_path, monkeypatch):
    monkeypatch.setenv("LLMPREDGRAPH_DATA_DIR", str(tmp_path / "data"))
    folder = train_tiny_model(tmp_path, CONFIGS[k])
    pipe, port = _pair(folder)
    smiles = pipe.support.drug_smiles  # every benchmark drug, scored as a new molecule
    for neighbours in ("exact", "faiss"):
        want = pipe.predict_molecules(smiles, neighbours=neighbours)
        got = port.predict_molecules(smiles, neighbours=neighbours)
        for h in want:
            np.testing.assert_allclose(got[h], want[h], atol=1e-5, rtol=0)
    # a molecule's scores do not depend on the molecules scored with it
    alone = port.predict_molecules(smiles[:1])
    np.testing.assert_allclose(alone["assoc"][0], got["assoc"][0], atol=1e-6)
    # explanations: the same priors, corrections and voting drugs
    se = [[0, 3, 7]] * 3
    ta = pipe.explain(pipe.molecule_graph(smiles[:3]), se)
    tb = port.explain(port.molecule_graph(smiles[:3]), se)
    for xa, xb in zip(ta, tb):
        for ea, eb in zip(xa, xb):
            assert [e.drug for e in ea.evidence] == [e.drug for e in eb.evidence]
            for f in ("assoc_prior", "assoc_correction", "assoc", "dsf_prior", "dsf", "dshf_prior", "dshf"):
                assert getattr(eb, f) == pytest.approx(getattr(ea, f), abs=1e-5), f
            np.testing.assert_allclose([e.weight for e in eb.evidence], [e.weight for e in ea.evidence], atol=1e-6)


def test_portable_lm_folder_runs_its_onnx_encoder_and_tokenizer(tmp_path, monkeypatch):
    from .test_onnx_encoder import TINY_ONNX

    monkeypatch.setenv("LLMPREDGRAPH_DATA_DIR", str(tmp_path / "data"))
    bert = make_tiny_bert(tmp_path / "tiny_bert")
    folder = train_tiny_model(tmp_path, TINY_ONNX.format(bert=bert))
    pipe, port = _pair(folder)
    smiles = pipe.support.drug_smiles + ["[Ra]CC", "C" * 80]  # an atom the vocabulary lacks; a truncated one
    want = pipe.drug_encoder().encode(smiles)
    np.testing.assert_allclose(port.drug_encoder().encode(smiles), want, atol=1e-5)
    a, b = pipe.predict_molecules(smiles), port.predict_molecules(smiles)
    for h in a:
        np.testing.assert_allclose(b[h], a[h], atol=1e-5, rtol=0)


SCRIPT = """
import json, sys
from click.testing import CliRunner
from llmpredgraph.cli import main
out = []
for args in (
    ["predict", "--model", sys.argv[1], "--smiles", "CCO", "--top", "3", "--explain", "--no-server"],
    ["ask", "side effects of drug01", "--model", sys.argv[1]],
    ["screen", "--model", sys.argv[1], "--input", sys.argv[2], "--out", sys.argv[3], "--quiet"],
):
    r = CliRunner().invoke(main, args)
    out.append([r.exit_code, r.output[-300:]])
import threading, urllib.request
from llmpredgraph.workflows.serve import Server
srv = Server(sys.argv[1], port=0, log=lambda line: None)
thread = threading.Thread(target=srv.run, daemon=True)
thread.start()
srv.started.wait(30)
body, head = b'{"smiles": ["CCO"]}', {"Content-Type": "application/json"}
req = urllib.request.Request(srv.url + "/predict", data=body, headers=head)
with urllib.request.urlopen(req, timeout=60) as r:
    out.append([0 if r.status == 200 else r.status, ""])
srv.stop()
thread.join(10)
heavy = [m for m in ("torch", "torch_geometric", "transformers", "sentence_transformers") if m in sys.modules]
print(json.dumps({"results": out, "heavy": heavy}))
"""


def test_predict_ask_screen_and_serve_import_no_torch(model_dir, tmp_path):
    lib = tmp_path / "lib.smi"
    lib.write_text("CC(C)Cc1ccc(cc1)C(C)C(=O)O ibuprofen\nc1ccccc1O phenol\nC1CC bad\n")
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(model_dir), str(lib), str(tmp_path / "screen")],
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert [code for code, _ in report["results"]] == [0, 0, 0, 0], report["results"]
    assert report["heavy"] == []


def test_a_folder_without_the_export_loads_through_torch_until_exported(tmp_path, monkeypatch):
    monkeypatch.setenv("LLMPREDGRAPH_DATA_DIR", str(tmp_path / "data"))
    folder = train_tiny_model(tmp_path, TINY)
    assert isinstance(load_predictor(folder), PortableModel)
    spec = json.loads((folder / SPEC).read_text())
    (folder / SPEC).unlink()  # what a folder saved before torch-free inference looks like
    notes: list[str] = []
    pipe = load_predictor(folder, notes.append)
    assert type(pipe).__name__ == "Pipeline" and len(notes) == 1 and "loading through torch" in notes[0]
    res = CliRunner().invoke(main, ["predict", "--model", str(folder), "--smiles", "CCO", "--top", "2", "--no-server"])
    assert res.exit_code == 0 and "loading through torch" in res.output
    res = CliRunner().invoke(main, ["export", "--model", str(folder)])
    assert res.exit_code == 0 and "wrote the torch-free inference part" in res.output
    assert json.loads((folder / SPEC).read_text()) == spec
    assert isinstance(load_predictor(folder), PortableModel)


def test_a_model_the_numpy_forward_does_not_cover_says_why(tmp_path, monkeypatch):
    monkeypatch.setenv("LLMPREDGRAPH_DATA_DIR", str(tmp_path / "data"))
    folder = train_tiny_model(tmp_path, TINY.replace("layers: 1}", "layers: 1, conv: gat}"))
    spec = json.loads((folder / SPEC).read_text())
    assert spec["portable"] is False and "'gat'" in spec["reason"]
    notes: list[str] = []
    assert type(load_predictor(folder, notes.append)).__name__ == "Pipeline" and not notes  # by design: quiet
    res = CliRunner().invoke(main, ["export", "--model", str(folder)])
    assert res.exit_code == 0 and "keeps loading through torch" in res.output and "'gat' layers" in res.output


def test_a_warm_folder_completes_known_drugs_torch_free(tmp_path, monkeypatch):
    from llmpredgraph.pipeline.fitted import Pipeline

    monkeypatch.setenv("LLMPREDGRAPH_DATA_DIR", str(tmp_path / "data"))
    folder = train_tiny_model(tmp_path, TINY, ("--protocol", "warm"))
    port = load_predictor(folder)
    assert isinstance(port, PortableModel)
    want, got = Pipeline.load(folder).complete(), port.complete()
    for h in want:
        np.testing.assert_allclose(got[h], want[h], atol=1e-6)
    np.testing.assert_allclose(port.drug_similarity(3), Pipeline.load(folder).drug_similarity(3))
