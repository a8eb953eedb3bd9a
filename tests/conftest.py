import os
from pathlib import Path

import pytest

from llmpredgraph.data.synthetic import synthetic_benchmark


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path, monkeypatch):
    """Every test gets its own working area; nothing touches the repository's data/."""
    monkeypatch.setenv("LLMPREDGRAPH_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def bench():
    return synthetic_benchmark()


@pytest.fixture(scope="session")
def mirror():
    """The real benchmark mirror; real-data tests skip only when no mirror is configured."""
    value = os.environ.get("LLMPREDGRAPH_DATA_MIRROR")
    if not value:
        pytest.skip("LLMPREDGRAPH_DATA_MIRROR is not set (CI sets it to ../shared/data)")
    path = Path(value)
    assert path.is_dir(), f"LLMPREDGRAPH_DATA_MIRROR={value} is not a folder"
    return path


@pytest.fixture(scope="session")
def real_processed(mirror, tmp_path_factory):
    """Fetch from the mirror and prepare once per session."""
    from llmpredgraph.data.fetch import fetch_raw
    from llmpredgraph.data.prepare import prepare

    root = tmp_path_factory.mktemp("real")
    fetch_raw(mirror=mirror, dest=root / "raw", progress=False)
    bench, report = prepare(root / "raw", root / "processed")
    return root, bench, report
