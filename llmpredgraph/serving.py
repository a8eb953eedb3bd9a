"""Talking to a running `llmpredgraph serve`: where its socket is and one request / reply.

Standard library only: `predict` asks a server before it imports torch, so a served request costs
the client a fraction of a second. Messages are JSON, each after its 4-byte big-endian length.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import struct
import tempfile
from pathlib import Path

from .errors import UserError

PATH_ARGS = ("input_csv", "out", "out_of_fold", "report")  # predict's paths, made absolute for the server


def socket_path(model_dir: str | os.PathLike) -> Path:
    """One socket per user and model folder, in the temporary directory."""
    key = hashlib.sha256(str(Path(model_dir).resolve()).encode()).hexdigest()[:12]
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"llmpredgraph-{uid}-{key}.sock"


def send(conn: socket.socket, obj: dict) -> None:
    data = json.dumps(obj).encode("utf-8")
    conn.sendall(struct.pack(">I", len(data)) + data)


def receive(conn: socket.socket) -> dict | None:
    """The next message, or None when the other side closed first."""
    head = _exactly(conn, 4)
    if head is None:
        return None
    body = _exactly(conn, struct.unpack(">I", head)[0])
    return None if body is None else json.loads(body.decode("utf-8"))


def _exactly(conn: socket.socket, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        chunk = conn.recv(min(n - len(buf), 1 << 20))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def connect(model_dir: str | os.PathLike) -> socket.socket | None:
    """A connection to the server of this model folder, or None when none runs (a stale socket file
    left by a killed server counts as none)."""
    path = socket_path(model_dir)
    if not path.exists() or not hasattr(socket, "AF_UNIX"):
        return None
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(str(path))
    except OSError:
        conn.close()
        return None
    return conn


def ask_server(model_dir: str | os.PathLike, args: dict) -> dict | None:
    """Send one predict request (`args`: predict_command's keyword arguments, paths absolute) to the
    server of `model_dir`. The reply: {"text", "notes"} or {"problem", "fix"}; None without a server."""
    conn = connect(model_dir)
    if conn is None:
        return None
    from .paths import data_dir

    with conn:
        send(
            conn,
            {
                "model": str(Path(model_dir).resolve()),
                "args": args,
                "cwd": os.getcwd(),
                "data_dir": str(data_dir().resolve()),
            },
        )
        return receive(conn)


def served_predict(model_dir: str | os.PathLike, args: dict) -> tuple[str, list[str]] | None:
    """(text, notes) of `predict_command(model_dir, **args)` from a running server of `model_dir`, or
    None without one; the server's one-line error is raised here as it would be in process."""
    absolute = {k: os.path.abspath(v) for k in PATH_ARGS if (v := args.get(k))}
    reply = ask_server(model_dir, {**args, **absolute})
    if reply is None:
        return None
    if "problem" in reply:
        raise UserError(reply["problem"], reply["fix"])
    return reply["text"], reply["notes"]
