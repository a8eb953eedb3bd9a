"""Finding and asking a running `llmpredgraph serve` over HTTP.

Standard library only: `predict` asks a server before it imports anything heavy, so a served
request costs the client a fraction of a second. A server writes a discovery file (its URL and a
random token, readable by this user only) into the temporary directory, one per user and model
folder; `predict` reads it and posts its arguments to the server's private `/cli/predict` route
with the token (the public API, `/predict`, takes no token and writes no files).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from .errors import UserError

PATH_ARGS = ("input_csv", "out", "out_of_fold", "report")  # predict's paths, made absolute for the server
TOKEN_HEADER = "X-Llmpredgraph-Token"


def discovery_path(model_dir: str | os.PathLike) -> Path:
    """One discovery file per user and model folder, in the temporary directory."""
    key = hashlib.sha256(str(Path(model_dir).resolve()).encode()).hexdigest()[:12]
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"llmpredgraph-{uid}-{key}.json"


def write_discovery(model_dir: str | os.PathLike, url: str, token: str) -> Path:
    """Announce a server (mode 0600: the token lets a client write files as this user)."""
    path = discovery_path(model_dir)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"url": url, "token": token, "model": str(Path(model_dir).resolve()), "pid": os.getpid()}, f)
    os.replace(tmp, path)
    return path


def read_discovery(model_dir: str | os.PathLike) -> dict | None:
    path = discovery_path(model_dir)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def get_json(url: str, timeout: float = 2.0) -> dict | None:
    """GET url as JSON; None when nothing answers there."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return json.loads(r.read())
    except (OSError, ValueError):
        return None


def running_server(model_dir: str | os.PathLike) -> dict | None:
    """The discovery record of a server of this folder that answers /health, else None (a file left
    by a killed server counts as none)."""
    found = read_discovery(model_dir)
    if found is None:
        return None
    health = get_json(found["url"].rstrip("/") + "/health", timeout=1.0)
    return found if health and health.get("model") == found.get("model") else None


def ask_server(model_dir: str | os.PathLike, args: dict, timeout: float = 600.0) -> dict | None:
    """Post one predict request (`args`: predict_command's keyword arguments, paths absolute) to the
    server of `model_dir`. The reply: {"text", "notes"} or {"problem", "fix"}; None without a server."""
    found = read_discovery(model_dir)
    if found is None:
        return None
    from .paths import data_dir

    body = json.dumps(
        {
            "model": str(Path(model_dir).resolve()),
            "args": args,
            "cwd": os.getcwd(),
            "data_dir": str(data_dir().resolve()),
        }
    ).encode()
    req = urllib.request.Request(
        found["url"].rstrip("/") + "/cli/predict",
        data=body,
        headers={"Content-Type": "application/json", TOKEN_HEADER: found.get("token", "")},
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as e:  # the server's one-line refusal (400) or a stranger on the port
        try:
            return json.loads(e.read())
        except ValueError:
            return None
    except (OSError, ValueError):  # nothing listens there any more: a stale discovery file
        return None


def served_predict(model_dir: str | os.PathLike, args: dict) -> tuple[str, list[str]] | None:
    """(text, notes) of `predict_command(model_dir, **args)` from a running server of `model_dir`, or
    None without one; the server's one-line error is raised here as it would be in process."""
    absolute = {k: os.path.abspath(v) for k in PATH_ARGS if (v := args.get(k))}
    reply = ask_server(model_dir, {**args, **absolute})
    if reply is None or ("problem" not in reply and "text" not in reply):
        return None
    if "problem" in reply:
        raise UserError(reply["problem"], reply.get("fix"))
    return reply["text"], reply["notes"]
