"""`llmpredgraph serve`: one model folder kept loaded behind an HTTP API and a page (FastAPI on
uvicorn, `web_app`). `predict --model` on the same folder finds it through a discovery file and
posts its request there instead of loading the model itself; the output is the same.

The server reloads the model when its folder changes and stops after `idle_minutes` without a
request (or on Ctrl-C), removing its discovery file.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ..errors import UserError
from ..serving import discovery_path, running_server, write_discovery
from .web_service import Limits, ModelService


class Server:
    """A running (or ready to run) server of one model folder; `run()` blocks, `stop()` ends it
    from another thread, `url` is known once `started` is set."""

    def __init__(
        self,
        model_dir: str | os.PathLike,
        host: str = "127.0.0.1",
        port: int = 8000,
        limits: Limits | None = None,
        log: Callable[[str], None] = print,
    ):
        import uvicorn

        from .web_app import create_app

        self.folder = Path(model_dir).resolve()
        found = running_server(self.folder)
        if found is not None:
            raise UserError(f"a server for {self.folder} already runs at {found['url']}", "use it, or stop it first")
        self.log, self.host = log, host
        self.token = secrets.token_urlsafe(24)
        self.service = ModelService(self.folder, limits, log)
        app = create_app(self.service, self.token)
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, timeout_keep_alive=5)
        self._server = uvicorn.Server(config)
        self.started = threading.Event()
        self.url: str | None = None

    def run(self, idle_minutes: float = 60.0) -> None:
        watcher = threading.Thread(target=self._watch, args=(idle_minutes,), daemon=True)
        watcher.start()
        try:
            self._server.run()
        finally:
            path = discovery_path(self.folder)
            if self.url and path.is_file() and self.token in path.read_text():
                path.unlink()  # ours (a newer server of the folder may have replaced it)
            self.started.clear()

    def stop(self) -> None:
        self._server.should_exit = True

    def _watch(self, idle_minutes: float) -> None:
        """Announce the server once it listens, then stop it after idle_minutes without a request."""
        while not self._server.started:
            if self._server.should_exit:
                return
            time.sleep(0.05)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://{self.host}:{port}"
        write_discovery(self.folder, self.url, self.token)
        self.log(f"serving {self.folder} at {self.url} (page /, API /docs); `predict --model` on this folder uses it")
        self.started.set()
        while not self._server.should_exit:
            if time.monotonic() - self.service.last_request > idle_minutes * 60:
                self.log(f"no request for {idle_minutes:g} minutes: stopping")
                self.stop()
                return
            time.sleep(0.5)
