"""`llmpredgraph serve`: one model folder kept loaded; `predict --model` on the same folder sends its
request here instead of importing torch and loading the model itself (about 0.3 s instead of 6-10 s).

Requests are served one at a time, each in the client's working directory and data folder, by the
same `predict_command` that runs in process, so the output is the same. The server reloads the
model when its folder changes and stops after `idle_minutes` without a request.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import traceback
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from ..errors import UserError
from ..pipeline.loading import load_predictor
from ..serving import connect, receive, send, socket_path
from .predict import predict_command


def folder_stamp(folder: Path) -> tuple:
    """What changes when the model folder is rewritten (train replaces it atomically)."""
    return tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in folder.iterdir() if p.is_file()))


class ModelServer:
    def __init__(self, model_dir: str | os.PathLike, log: Callable[[str], None] = print):
        self.folder = Path(model_dir).resolve()
        self.log = log
        self.stopped = threading.Event()  # set it to stop serving (from another thread)
        self._load()

    def _load(self) -> None:
        self.pipe, self.stamp = load_predictor(self.folder, self.log), folder_stamp(self.folder)
        try:  # one molecule through every step, so the first request finds the encoder loaded
            self.pipe.score_graph(self.pipe.molecule_graph(["CCO"]))
        except UserError:
            pass  # a model that cannot score new molecules (warm) still serves --drugs all

    def handle(self, request: dict) -> dict:
        """One request -> {"text", "notes"} or {"problem", "fix"}."""
        if request.get("model") != str(self.folder):
            return {"problem": f"this server serves {self.folder}, not {request.get('model')}", "fix": None}
        try:
            if folder_stamp(self.folder) != self.stamp:
                self.log(f"{self.folder} changed: reloading")
                self._load()
            with _client_context(request["cwd"], request["data_dir"]):
                text, notes = predict_command(str(self.folder), **request["args"], loaded=self.pipe)
            return {"text": text, "notes": notes}
        except UserError as exc:
            return {"problem": exc.problem, "fix": exc.fix}
        except Exception as exc:  # a bug must not stop the server: the client shows it, the log keeps it
            self.log(traceback.format_exc())
            return {
                "problem": f"the server failed on this request ({type(exc).__name__}: {exc})",
                "fix": "run predict with --no-server to see it in process, and report it",
            }

    def serve(self, idle_minutes: float = 60.0) -> None:
        """Accept requests until idle for `idle_minutes` (or interrupted); removes its socket on exit."""
        path = socket_path(self.folder)
        running = connect(self.folder)
        if running is not None:
            running.close()
            raise UserError(f"a server for {self.folder} already runs ({path})", "use it, or stop it first")
        path.unlink(missing_ok=True)  # a stale socket from a killed server
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(str(path))
            os.chmod(path, 0o600)  # this user's requests only
            sock.listen(8)
            sock.settimeout(1.0)  # wakes every second to see whether to stop
            self.log(f"serving {self.folder} on {path}; `predict --model` on this folder uses it")
            last = time.monotonic()
            while not self.stopped.is_set():
                try:
                    conn, _ = sock.accept()
                except TimeoutError:
                    if time.monotonic() - last > idle_minutes * 60:
                        self.log(f"no request for {idle_minutes:g} minutes: stopping")
                        return
                    continue
                last = time.monotonic()
                with conn:
                    conn.settimeout(None)
                    request = receive(conn)
                    if request is None:
                        continue
                    start = time.perf_counter()
                    reply = self.handle(request)
                    what = "error: " + reply["problem"] if "problem" in reply else "ok"
                    self.log(f"predict {what} ({time.perf_counter() - start:.2f} s)")  # logged before the reply
                    send(conn, reply)
        finally:
            sock.close()
            path.unlink(missing_ok=True)


@contextmanager
def _client_context(cwd: str, data_dir: str):
    """Run a request as if in the client's process: its working directory and data folder."""
    old_cwd, old_data = os.getcwd(), os.environ.get("LLMPREDGRAPH_DATA_DIR")
    os.chdir(cwd)
    os.environ["LLMPREDGRAPH_DATA_DIR"] = data_dir
    try:
        yield
    finally:
        os.chdir(old_cwd)
        if old_data is None:
            os.environ.pop("LLMPREDGRAPH_DATA_DIR", None)
        else:
            os.environ["LLMPREDGRAPH_DATA_DIR"] = old_data
