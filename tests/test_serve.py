"""`serve` keeps a model loaded; `predict` on the same folder is answered by it with the same output."""

import os
import threading

import pytest
from click.testing import CliRunner

from llmpredgraph.cli import main
from llmpredgraph.errors import UserError
from llmpredgraph.serving import ask_server, socket_path
from llmpredgraph.workflows.serve import ModelServer

IBUPROFEN = "CC(C)Cc1ccc(cc1)C(C)C(=O)O"


@pytest.fixture
def server(model_dir):
    log: list[str] = []
    srv = ModelServer(model_dir, log=log.append)
    thread = threading.Thread(target=srv.serve, kwargs={"idle_minutes": 5}, daemon=True)
    thread.start()
    while not any(line.startswith("serving") for line in log):
        thread.join(0.05)
    yield srv, log
    srv.stopped.set()
    thread.join(5)
    assert not thread.is_alive() and not socket_path(model_dir).exists()  # stops and removes its socket


def _predict(model_dir, *args):
    return CliRunner().invoke(main, ["predict", "--model", str(model_dir), *args])


def test_served_predict_equals_in_process_and_writes_relative_paths(server, model_dir, tmp_path, monkeypatch):
    srv, log = server
    served = _predict(model_dir, "--smiles", IBUPROFEN, "--top", "5", "--format", "json")
    local = _predict(model_dir, "--smiles", IBUPROFEN, "--top", "5", "--format", "json", "--no-server")
    assert served.exit_code == local.exit_code == 0, served.output + local.output
    assert served.output == local.output
    assert sum(line.startswith("predict ok") for line in log) == 1  # --no-server did not ask it
    # a relative --out is the client's, not the server's working directory
    monkeypatch.chdir(tmp_path)
    res = _predict(model_dir, "--smiles", IBUPROFEN, "--top", "3", "--out", "mine.csv")
    assert res.exit_code == 0 and (tmp_path / "mine.csv").is_file() and "wrote 3 rows" in res.output
    # bad input: the same one-line error and exit code as in process
    bad = _predict(model_dir, "--smiles", "C1CC")
    assert bad.exit_code == 2 and "error: invalid SMILES 'C1CC'" in bad.output
    assert any(line.startswith("predict error: invalid SMILES") for line in log)


def test_server_reloads_a_rewritten_model_and_refuses_a_second_server(server, model_dir):
    srv, log = server
    request = {"model": str(srv.folder), "cwd": os.getcwd(), "data_dir": os.getcwd()}
    first = srv.pipe
    os.utime(srv.folder / "meta.yaml", ns=(1, 1))  # what `train` rewriting the folder looks like
    assert _predict(model_dir, "--smiles", IBUPROFEN, "--top", "2").exit_code == 0
    assert srv.pipe is not first and any("changed: reloading" in line for line in log)
    assert srv.handle({**request, "model": "/elsewhere", "args": {}})["problem"].startswith("this server serves")
    with pytest.raises(UserError, match="already runs"):
        ModelServer(model_dir, log=log.append).serve(idle_minutes=0.01)


def test_predict_runs_in_process_without_a_server_or_with_a_stale_socket(model_dir):
    assert ask_server(model_dir, {}) is None
    socket_path(model_dir).write_text("")  # left behind by a killed server
    try:
        assert ask_server(model_dir, {}) is None
        assert _predict(model_dir, "--smiles", IBUPROFEN, "--top", "2").exit_code == 0
    finally:
        socket_path(model_dir).unlink()
