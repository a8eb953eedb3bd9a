import hashlib

import numpy as np
import pandas as pd
import pytest

from llmpredgraph.atomic import atomic_path, write_text
from llmpredgraph.data.benchmark import Benchmark
from llmpredgraph.data.fetch import fetch_raw
from llmpredgraph.data.prepare import align_smiles, duplicate_groups
from llmpredgraph.data.registry import RawFile
from llmpredgraph.errors import UserError


def _entry(path, content):
    return RawFile(path, "https://example.invalid/" + path, hashlib.sha256(content).hexdigest())


def test_fetch_copies_from_mirror_and_verifies(tmp_path):
    mirror = tmp_path / "mirror"
    (mirror / "a").mkdir(parents=True)
    (mirror / "a" / "x.txt").write_bytes(b"hello")
    status = fetch_raw(mirror=mirror, dest=tmp_path / "raw", files=[_entry("a/x.txt", b"hello")], progress=False)
    assert status == {"a/x.txt": "copied"}
    assert (tmp_path / "raw" / "a" / "x.txt").read_bytes() == b"hello"
    # second call: already present with the right hash
    assert fetch_raw(mirror=mirror, dest=tmp_path / "raw", files=[_entry("a/x.txt", b"hello")], progress=False) == {
        "a/x.txt": "ok"
    }


def test_checksum_mismatch_is_one_line_and_writes_nothing(tmp_path):
    mirror = tmp_path / "mirror"
    (mirror / "a").mkdir(parents=True)
    (mirror / "a" / "x.txt").write_bytes(b"corrupted")
    with pytest.raises(UserError) as err:
        fetch_raw(mirror=mirror, dest=tmp_path / "raw", files=[_entry("a/x.txt", b"hello")], progress=False)
    msg = err.value.one_line()
    assert "checksum mismatch for a/x.txt" in msg and "\n" not in msg
    assert not (tmp_path / "raw" / "a" / "x.txt").exists()
    assert list((tmp_path / "raw" / "a").iterdir()) == []  # no temp file left behind


def test_missing_mirror_folder_and_file(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        fetch_raw(mirror=tmp_path / "nope", dest=tmp_path / "raw", files=[_entry("a", b"")], progress=False)
    (tmp_path / "m").mkdir()
    with pytest.raises(UserError, match="missing from the data mirror"):
        fetch_raw(mirror=tmp_path / "m", dest=tmp_path / "raw", files=[_entry("a/x.txt", b"")], progress=False)


def test_atomic_write_keeps_old_content_on_failure(tmp_path):
    target = tmp_path / "out.txt"
    write_text(target, "old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_alignment_by_row_order_reports_misnamed_rows():
    drugs = ["doxorubicin", "epirubicin", "valproic acid", "no smiles drug"]
    ids = pd.DataFrame([["epirubicin", "CID1"], ["doxorubicin", "CID2"], ["valproic.acid", "CID3"]])
    # The SMILES file calls its first row "doxorubicin", but row order says it is epirubicin.
    smi = pd.DataFrame([["doxorubicin", "CCO"], ["doxorubicin", "CCN"], ["valproate", "CCCC(CCC)C(=O)O"]])
    out = align_smiles(drugs, ids, smi)
    assert out.loc[1, "smiles"] == "CCO" and out.loc[1, "cid"] == "CID1"
    assert out.loc[0, "smiles"] == "CCN"
    assert out["misnamed"].tolist() == [False, True, False, False]
    assert out["has_smiles"].tolist() == [True, True, True, False]


def test_duplicate_groups():
    groups = duplicate_groups(pd.Series(["CCO", "CCN", "CCO", None, "CCN", "C"]))
    assert groups[0] == groups[2] != groups[1] == groups[4]
    assert groups[3] == -1 and groups[5] == -1


def test_benchmark_roundtrip_and_corruption(bench, tmp_path):
    bench.save(tmp_path / "p")
    again = Benchmark.load(tmp_path / "p")
    np.testing.assert_array_equal(again.R, bench.R)
    assert again.drug_names == bench.drug_names and again.se_texts == bench.se_texts
    assert again.hierarchy.number_of_edges() == bench.hierarchy.number_of_edges()
    (tmp_path / "p" / "R.npy").write_bytes(b"garbage")
    with pytest.raises(UserError, match="does not match its manifest"):
        Benchmark.load(tmp_path / "p")


def test_unknown_drug_name(bench):
    with pytest.raises(UserError, match="unknown drug 'aspirinx'"):
        bench.drug_index("aspirinx")


@pytest.mark.realdata
def test_real_benchmark_counts(real_processed):
    _, bench, report = real_processed
    stats = bench.learnable().stats()
    assert (stats["drugs"], stats["side_effects"], stats["known_pairs"]) == (750, 994, 37071)
    assert bench.n_drugs == 759 and len(report["drugs_without_smiles"]) == 9
    # identical canonical SMILES after the structure corrections: levofloxacin no longer carries
    # ciprofloxacin's SMILES nor dexmethylphenidate dexmedetomidine's (8 groups of 17 before)
    groups = report["duplicate_structure_groups"]
    assert len(groups) == 6 and sum(map(len, groups)) == 13
    assert ["ciprofloxacin", "levofloxacin"] not in groups and ["citalopram", "escitalopram"] in groups
    assert len(report["misnamed_smiles_rows"]) == 8
    assert "doxorubicin -> epirubicin" in report["misnamed_smiles_rows"]
    # epirubicin gets the row the SMILES file calls "doxorubicin"
    d = bench.drugs.set_index("name")
    assert d.loc["epirubicin", "canonical_smiles"] == d.loc["doxorubicin", "canonical_smiles"]
    assert bench.R.shape == (759, 994) and set(np.unique(bench.R)) == {0, 1, 2, 3, 4, 5}


@pytest.mark.realdata
def test_real_corrupted_mirror_file_gives_error(mirror, tmp_path):
    import shutil

    bad = tmp_path / "mirror"
    shutil.copytree(mirror, bad)
    target = bad / "atc" / "drug_atc.tsv"
    target.chmod(0o644)
    target.write_bytes(target.read_bytes()[:-10])
    with pytest.raises(UserError, match="checksum mismatch for atc/drug_atc.tsv"):
        fetch_raw(mirror=bad, dest=tmp_path / "raw", progress=False)
    assert not (tmp_path / "raw" / "atc" / "drug_atc.tsv").exists()
