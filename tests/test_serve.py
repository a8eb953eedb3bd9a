"""`serve`: the HTTP API and page over one loaded model, the CLI's `predict` answered through it, and
the server under faults and load (loopback only, bounded in time)."""

import json
import os
import socket
import threading
import time
import urllib.error
import urllib.request

import numpy as np
import pytest
from click.testing import CliRunner

from llmpredgraph.cli import main
from llmpredgraph.errors import UserError
from llmpredgraph.serving import ask_server, discovery_path, write_discovery
from llmpredgraph.workflows.predict import predict_command
from llmpredgraph.workflows.serve import Server
from llmpredgraph.workflows.web_service import Limits

IBUPROFEN = "CC(C)Cc1ccc(cc1)C(C)C(=O)O"
PHENOL = "c1ccccc1O"


def start(model_dir, limits=None):
    log: list[str] = []
    srv = Server(model_dir, port=0, limits=limits, log=log.append)
    thread = threading.Thread(target=srv.run, kwargs={"idle_minutes": 5}, daemon=True)
    thread.start()
    assert srv.started.wait(30), log
    return srv, thread, log


@pytest.fixture
def server(model_dir):
    srv, thread, log = start(model_dir, Limits(max_batch=50, max_smiles=200, max_body=1 << 20))
    yield srv, log
    srv.stop()
    thread.join(10)
    assert not thread.is_alive() and not discovery_path(model_dir).exists()  # stops and removes its file


def call(srv, path, body=None, method=None, raw: bytes | None = None, timeout=60):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(srv.url + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def _predict(model_dir, *args):
    return CliRunner().invoke(main, ["predict", "--model", str(model_dir), *args])


# --- the CLI through the server -------------------------------------------------------------------
def test_served_predict_equals_in_process_and_writes_relative_paths(server, model_dir, tmp_path, monkeypatch):
    srv, log = server
    served = _predict(model_dir, "--smiles", IBUPROFEN, "--top", "5", "--format", "json")
    local = _predict(model_dir, "--smiles", IBUPROFEN, "--top", "5", "--format", "json", "--no-server")
    assert served.exit_code == local.exit_code == 0, served.output + local.output
    assert served.output == local.output
    assert sum(line.startswith("predict ok") for line in log) == 1  # --no-server did not ask it
    monkeypatch.chdir(tmp_path)  # a relative --out is the client's, not the server's working directory
    res = _predict(model_dir, "--smiles", IBUPROFEN, "--top", "3", "--out", "mine.csv")
    assert res.exit_code == 0 and (tmp_path / "mine.csv").is_file() and "wrote 3 rows" in res.output
    bad = _predict(model_dir, "--smiles", "C1CC")  # the same one-line error and exit code as in process
    assert bad.exit_code == 2 and "error: invalid SMILES 'C1CC'" in bad.output
    assert any(line.startswith("predict error: invalid SMILES") for line in log)


def test_server_reloads_a_rewritten_model_refuses_a_second_and_guards_the_cli_route(server, model_dir):
    srv, log = server
    first = srv.service.pipe
    os.utime(srv.folder / "meta.yaml", ns=(1, 1))  # what `train` rewriting the folder looks like
    assert _predict(model_dir, "--smiles", IBUPROFEN, "--top", "2").exit_code == 0
    assert srv.service.pipe is not first and any("changed: reloading" in line for line in log)
    reply = srv.service.cli_predict({"model": "/elsewhere", "args": {}})
    assert reply["problem"].startswith("this server serves")
    with pytest.raises(UserError, match="already runs"):
        Server(model_dir, port=0)
    status, body = call(srv, "/cli/predict", {"model": str(srv.folder), "args": {}})  # no token
    assert status == 403


def test_predict_runs_in_process_without_a_server_or_with_a_stale_file(model_dir):
    assert ask_server(model_dir, {}) is None
    write_discovery(model_dir, "http://127.0.0.1:9", "stale")  # left behind by a killed server
    try:
        assert ask_server(model_dir, {}) is None
        assert _predict(model_dir, "--smiles", IBUPROFEN, "--top", "2").exit_code == 0
    finally:
        discovery_path(model_dir).unlink()


# --- the API ----------------------------------------------------------------------------------------
def test_api_predict_explain_ask_health_and_docs(server, model_dir):
    srv, _ = server
    status, body = call(srv, "/predict", {"smiles": [IBUPROFEN, "C1CC"], "names": ["drug03"], "top": 4})
    out = json.loads(body)
    assert status == 200 and [r["index"] for r in out["rejected"]] == [1]
    assert "invalid SMILES" in out["rejected"][0]["reason"]
    offline = json.loads(predict_command(str(model_dir), IBUPROFEN, None, None, 4, "json", None, name=IBUPROFEN)[0])
    assert [r for r in out["rows"] if r["molecule"] == IBUPROFEN] == offline  # predict's columns, same numbers
    assert {r["molecule"] for r in out["rows"]} == {IBUPROFEN, "drug03"}
    status, body = call(srv, "/explain", {"molecules": [{"smiles": PHENOL, "name": "phenol"}], "top": 3})
    ex = json.loads(body)["explanations"][0]
    assert status == 200 and ex["molecule"] == "phenol" and len(ex["side_effects"]) == 3
    first = ex["side_effects"][0]
    assert {"assoc_prior", "assoc_correction", "dsf_prior", "evidence"} <= set(first) and first["evidence"]
    status, body = call(srv, "/ask?q=side+effects+of+drug01")
    assert status == 200 and json.loads(body)["text"].startswith("Side effects of drug01")
    status, body = call(srv, "/health")
    assert status == 200 and json.loads(body)["runtime"] == "numpy + onnxruntime"
    status, body = call(srv, "/openapi.json")
    assert status == 200 and {"/predict", "/explain", "/ask", "/health"} <= set(json.loads(body)["paths"])
    assert call(srv, "/docs")[0] == 200


def test_page_form_returns_the_table(server):
    srv, _ = server
    status, body = call(srv, "/")
    assert status == 200 and b'<form method="post"' in body
    boundary = "XyZ"
    parts = [("query", f"{IBUPROFEN}\ndrug03\nnot a drug"), ("top", "5"), ("rank", "association")]
    data = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in parts)
    data += f'--{boundary}\r\nContent-Disposition: form-data; name="csv"; filename="m.csv"\r\n'
    data += f"Content-Type: text/csv\r\n\r\nname,smiles\nphenol,{PHENOL}\n\r\n--{boundary}--\r\n"
    req = urllib.request.Request(srv.url + "/", data=data.encode(), method="POST")
    req.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
    with urllib.request.urlopen(req, timeout=60) as r:
        html = r.read().decode()
    assert html.count('class="ranked"') == 3 and 'id="download"' in html and "not a drug" in html
    assert html.count('<h2 class="molecule">') == 3 and "phenol" in html


# --- faults -----------------------------------------------------------------------------------------
def _raw(srv, data: bytes, read: bool = False) -> bytes:
    """Send bytes on a fresh connection; with read, the reply's first bytes (the server may refuse
    and close before everything is sent)."""
    host, port = srv.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        if not read:
            return b""
        reply = b""
        try:
            while b"\r\n\r\n" not in reply or len(reply.split(b"\r\n\r\n", 1)[1]) < 20:
                part = s.recv(65536)
                if not part:
                    break
                reply += part
        except (TimeoutError, ConnectionResetError):
            pass
        return reply


def test_faults_get_one_line_4xx_and_the_server_keeps_answering(server):
    srv, _ = server
    status, body = call(srv, "/predict", raw=b'{"smiles": [')
    assert status == 422 and json.loads(body)["error"].startswith("malformed JSON")
    # a 10 MB body: refused by its Content-Length before it is sent, or as it arrives when chunked
    head = "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    reply = _raw(srv, f"{head}Content-Length: {10 << 20}\r\n\r\n".encode(), read=True)
    assert reply.startswith(b"HTTP/1.1 413") and b"request body over" in reply
    chunk = b"%x\r\n%s\r\n" % (1 << 16, b"x" * (1 << 16))
    reply = _raw(srv, f"{head}Transfer-Encoding: chunked\r\n\r\n".encode() + chunk * 32, read=True)
    assert reply.startswith(b"HTTP/1.1 413") and b"request body over" in reply
    status, body = call(srv, "/predict", {"smiles": ["CCO"] * 51})  # over the batch limit of 50
    assert status == 413 and "limit is 50" in json.loads(body)["error"]
    status, body = call(srv, "/predict", {"smiles": ["C" * 201]})  # over the SMILES length limit
    assert status == 400 and "limit is 200" in json.loads(body)["error"]
    status, body = call(srv, "/predict", {"smiles": ["CCO"], "colour": "red"})
    assert status == 422 and "colour" in json.loads(body)["error"]
    status, body = call(srv, "/predict", {"smiles": ["C1CC", "N1"]})  # nothing usable
    assert status == 400 and "no usable molecule" in json.loads(body)["error"]
    # clients that go away: mid-headers, mid-body, and before reading a full reply
    _raw(srv, b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Ty")
    _raw(
        srv, b'POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"smi'
    )
    body = json.dumps({"smiles": [IBUPROFEN] * 20}).encode()
    _raw(srv, f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
    time.sleep(0.5)
    status, body = call(srv, "/predict", {"smiles": [PHENOL], "top": 1})
    assert status == 200 and json.loads(body)["rows"][0]["molecule"] == PHENOL
    assert call(srv, "/health")[0] == 200


def test_load_8_clients_200_requests_no_reply_lost_or_mixed_and_flat_memory(model_dir):
    """8 concurrent clients x 200 requests, every fifth a batch of 5; each reply must carry exactly
    the requested molecules with their offline scores. Bounded: a few seconds on the tiny model."""
    import psutil

    from llmpredgraph.pipeline.loading import load_predictor

    pool = [IBUPROFEN, PHENOL, "CCO", "CCN(CC)CC", "c1ccncc1", "CC(=O)Oc1ccccc1C(=O)O", "CCCCCCN", "OCC(O)CO"]
    offline = load_predictor(model_dir).predict_molecules(pool)["assoc"]
    se = load_predictor(model_dir).support.se_names
    srv, thread, _ = start(model_dir)
    proc = psutil.Process()
    errors: list[str] = []

    def client(c: int):
        rng = np.random.default_rng(c)
        for r in range(200):
            pick = rng.choice(len(pool), 5 if r % 5 == 0 else 1, replace=False)
            status, body = call(srv, "/predict", {"smiles": [pool[i] for i in pick], "top": 3}, timeout=120)
            if status != 200:
                errors.append(f"client {c} request {r}: {status}")
                continue
            rows = json.loads(body)["rows"]
            if [x["molecule"] for x in rows[::3]] != [pool[i] for i in pick]:
                errors.append(f"client {c} request {r}: molecules {[x['molecule'] for x in rows[::3]]}")
            for x in rows:
                want = offline[pool.index(x["molecule"]), se.index(x["side_effect"])]
                if abs(x["association_prob"] - want) > 1e-4:
                    errors.append(f"client {c} request {r}: {x['molecule']} {x['side_effect']} mixed up")

    try:
        for _ in range(2):  # warm-up: allocator pools and caches settle
            client(99)
        rss0 = proc.memory_info().rss
        threads = [threading.Thread(target=client, args=(c,)) for c in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(600)
        growth = (proc.memory_info().rss - rss0) / 2**20
    finally:
        srv.stop()
        thread.join(10)
    assert not errors, errors[:5]
    assert srv.service.served >= 8 * 200
    assert growth < 100, f"RSS grew by {growth:.0f} MiB under load"
