"""An experiment's fast path (fast_path.enabled): each cold fold's test drugs scored through
`screen --fast`'s path, from a model folder of the fold's training drugs."""

import numpy as np
import pytest

from llmpredgraph.config import load_config
from llmpredgraph.errors import UserError
from llmpredgraph.pipeline.features import load_inputs
from llmpredgraph.pretraining.student import distil_corpus
from llmpredgraph.protocols import make_protocol
from llmpredgraph.protocols.fold import run_fold

from .conftest import scrambled_benchmark
from .test_cli import TINY
from .test_distil import CORPUS

pytest.importorskip("onnxruntime")


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.smi"
    path.write_text("".join(f"{s}\n" for s in CORPUS))
    return path


def _cfg(tmp_path, corpus):
    text = TINY + (
        "labels: {association: mentions, extra_drugs: true}\n"
        f"fast_path: {{enabled: true, corpora: [{corpus}], n: 50, check: 10, hidden: 16, epochs: 3}}\n"
        "baselines: [se_mean]\n"
    )
    (tmp_path / "fast.yaml").write_text(text)
    return load_config(tmp_path / "fast.yaml")


def test_a_folds_fast_path_is_its_float_model_through_student_and_int8_and_blind_to_test_labels(
    bench, tmp_path, corpus
):
    cfg = _cfg(tmp_path, corpus)
    full = bench.with_labels("mentions", extra_drugs=True)
    protocol = make_protocol(full, cfg)
    fold = protocol.folds()[1]
    a = run_fold(protocol, fold, load_inputs(full, cfg, progress=False), progress=False)
    rec = a.info["fast_path"]
    # the model folder of the fold's training drugs gives the torch fold's scores (float path) ...
    assert max(rec["portable_vs_torch_max_abs"].values()) < 1e-5
    assert set(rec["tie_rule_max_abs"]) == {"dsf", "dshf", "assoc"}  # what support-order ties alone move
    # ... and the fast path moves them, by the student's vectors and int8, but not by much
    assert 0 < rec["fast_vs_float_max_abs"]["assoc"] < 0.25
    assert set(a.metrics["graph_fast"]) == set(a.metrics["graph"])
    assert a.scores["graph_fast"]["assoc"].shape == a.scores["graph"]["assoc"].shape
    assert not np.array_equal(a.scores["graph_fast"]["assoc"], a.scores["graph"]["assoc"])
    # every label of the test drugs (classes and mentions) scrambled: no fast-path score moves
    scrambled = scrambled_benchmark(full, fold.test)
    b = run_fold(make_protocol(scrambled, cfg), fold, load_inputs(scrambled, cfg, progress=False), progress=False)
    for head in ("dsf", "dshf", "assoc"):
        np.testing.assert_array_equal(a.scores["graph_fast"][head], b.scores["graph_fast"][head])
    assert a.metrics["graph_fast"]["dsf_scc"] != b.metrics["graph_fast"]["dsf_scc"]


class _CountingTeacher:
    """A teacher whose vectors are a fixed function of the SMILES; counts its calls."""

    identity = "counting-teacher"

    def __init__(self):
        self.calls = 0

    def encode(self, smiles, progress=False):
        self.calls += 1
        return np.array([[len(s), s.count("C"), s.count("O")] for s in smiles], dtype=np.float32)


def test_a_student_is_fitted_once_per_teacher_settings_and_molecules(tmp_path, corpus):
    t, cache = _CountingTeacher(), tmp_path / "students"
    kw = dict(corpora=(str(corpus),), n=40, check=8, hidden=8, epochs=2, progress=False, cache=cache)
    first = distil_corpus(t, t.identity, 2, 64, **kw)
    assert t.calls == 2  # training molecules, then the check set
    assert set(first.check).isdisjoint(first.train) and len(first.check) == 8 and len(first.train) == 40
    again = distil_corpus(t, t.identity, 2, 64, **kw)
    assert t.calls == 2  # from the cache
    for k, v in first.weights.items():
        np.testing.assert_array_equal(v, again.weights[k])
    np.testing.assert_array_equal(first.teacher_check, again.teacher_check)
    assert again.spec == first.spec and again.train == first.train
    distil_corpus(t, t.identity, 2, 64, **{**kw, "epochs": 3})  # other settings: a new student
    assert t.calls == 4


def test_fast_path_needs_a_protocol_that_holds_out_drugs():
    with pytest.raises(UserError, match="fast_path") as exc:
        load_config("configs/warm.yaml", ["fast_path.enabled=true"])
    assert "\n" not in str(exc.value)
    assert load_config("configs/scaffold.yaml", ["fast_path.enabled=true"]).fast_path.enabled
