"""What `serve` does per request, without the web framework: one model folder kept loaded (reloaded
when `train` rewrites it), inputs resolved to molecules (a SMILES, or a drug name looked up in the
benchmark and DrugBank), and `predict` / `explain` / `ask` answered as the CLI answers them.

Model work runs one request at a time under a lock: the encoder and the numpy forward already use
every core, so concurrent requests would only compete, and a CLI request runs in its client's
working directory and data folder, which are process-wide.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
import traceback
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from ..errors import UserError
from ..paths import raw_dir
from ..pipeline.loading import load_predictor
from .ask import Knowledge
from .ask_answers import answer_from, render
from .molecules import attach_drugbank, molecule
from .predict import molecule_tables, predict_command


@dataclass
class Limits:
    """What one request may ask: molecules per request, characters per SMILES, bytes per body."""

    max_batch: int = 1000
    max_smiles: int = 1000
    max_body: int = 2 << 20


@dataclass
class Item:
    """One requested molecule: a SMILES, or a drug name to look up (with optional knowledge)."""

    smiles: str | None = None
    name: str | None = None
    atc: str | None = None
    targets: str | None = None
    description: str | None = None


def folder_stamp(folder: Path) -> tuple:
    """What changes when the model folder is rewritten (train replaces it atomically)."""
    return tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in folder.iterdir() if p.is_file()))


def finite(obj):
    """obj with NaN / inf floats as None (JSON has no NaN)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [finite(v) for v in obj]
    return obj


def records(df: pd.DataFrame) -> list[dict]:
    """A table as JSON records, exactly as `predict --format json` writes them."""
    return json.loads(df.to_json(orient="records"))


class ModelService:
    def __init__(self, model_dir: str | os.PathLike, limits: Limits | None = None, log: Callable[[str], None] = print):
        self.folder = Path(model_dir).resolve()
        self.limits = limits or Limits()
        self.log = log
        self.lock = threading.Lock()
        self.last_request = time.monotonic()
        self.served = 0
        self._knowledge = None
        self._load()

    def _load(self) -> None:
        self.pipe, self.stamp = load_predictor(self.folder, self.log), folder_stamp(self.folder)
        self._knowledge = None
        try:  # one molecule through every step, so the first request finds the encoder loaded
            self.pipe.score_graph(self.pipe.molecule_graph(["CCO"]))
        except UserError:
            pass  # a model that cannot score new molecules (warm) still serves --drugs all

    @contextmanager
    def model(self):
        """The loaded model, for one request at a time; reloaded first when its folder changed."""
        with self.lock:
            self.last_request, self.served = time.monotonic(), self.served + 1
            if folder_stamp(self.folder) != self.stamp:
                self.log(f"{self.folder} changed: reloading")
                self._load()
            yield self.pipe

    @property
    def knowledge(self) -> Knowledge:
        if self._knowledge is None:
            self._knowledge = Knowledge(self.pipe)
        return self._knowledge

    def health(self) -> dict:
        p = self.pipe
        return {
            "status": "ok",
            "model": str(self.folder),
            "runtime": "numpy + onnxruntime" if type(p).__name__ == "PortableModel" else "torch",
            "protocol": p.cfg.protocol.kind,
            "support_drugs": p.support.n_drugs,
            "side_effects": p.support.n_side_effects,
            "requests": self.served,
            "limits": asdict(self.limits),
        }

    # --- new molecules -------------------------------------------------------------------------------
    def check(self, items: list[Item]) -> None:
        """Refuse a request over the limits before any work (UserError, a 4xx)."""
        lim = self.limits
        if not items:
            raise UserError("the request names no molecule", 'send {"smiles": ["CCO"]} or {"names": ["ibuprofen"]}')
        if len(items) > lim.max_batch:
            raise RequestTooLarge(
                f"{len(items)} molecules in one request (the limit is {lim.max_batch})",
                f"split it into requests of at most {lim.max_batch}, or use `llmpredgraph screen` for libraries",
            )
        for i, it in enumerate(items):
            if it.smiles is not None and len(it.smiles) > lim.max_smiles:
                raise UserError(
                    f"molecule {i + 1}: SMILES of {len(it.smiles)} characters (the limit is {lim.max_smiles})",
                    "send molecules of drug size; the model was trained on small molecules",
                )

    def resolve(self, items: list[Item]) -> tuple[list, list[dict]]:
        """(valid molecules with their DrugBank knowledge, rejected inputs with the reason): a bad
        item is rejected and the rest go on."""
        mols, rejected = [], []
        for i, it in enumerate(items):
            try:
                if it.smiles:
                    mols.append(molecule(it.name or it.smiles, it.smiles, it.atc, it.targets, it.description))
                elif it.name:
                    drug = self.knowledge.drug(it.name)
                    if drug.smiles is None:
                        raise UserError(f"{drug.name} has no structure in the benchmark", "send its SMILES")
                    mols.append(molecule(drug.name, drug.smiles, it.atc, it.targets, it.description))
                else:
                    raise ValueError("neither a SMILES nor a name")
            except (ValueError, UserError) as e:
                reason = e.one_line() if isinstance(e, UserError) else str(e)
                rejected.append({"index": i, "input": it.smiles or it.name, "reason": reason})
        return attach_drugbank(mols, raw_dir() / "drugbank"), rejected

    def predict(self, items: list[Item], top: int = 20, rank: str = "association", explain: bool = False) -> dict:
        """{'rows': predict's columns per (molecule, side effect), 'rejected': [...], and with explain
        'explanations': per molecule its side effects' evidence and score split}; the tables too."""
        self.check(items)
        with self.model() as pipe:
            mols, rejected = self.resolve(items)
            if not mols:
                first = rejected[0]
                raise UserError(f"no usable molecule: {first['input']!r}: {first['reason']}", "fix the input")
            tables, expls = molecule_tables(pipe, mols, top, rank, explain)
        out = {"model": str(self.folder), "rows": records(pd.concat(tables, ignore_index=True)), "rejected": rejected}
        if explain:
            out["explanations"] = [
                {"molecule": m.name, "smiles": m.smiles, "side_effects": finite([asdict(x) for x in xs])}
                for m, xs in zip(mols, expls)
            ]
        return out | {"_tables": tables, "_molecules": mols, "_explanations": expls, "_support": pipe.support}

    def ask(self, question: str, top: int = 10) -> dict:
        with self.model():
            ans = answer_from(self.knowledge, question, top)
        return finite(asdict(ans)) | {"text": render(ans)}

    # --- the CLI's own route ---------------------------------------------------------------------------
    def cli_predict(self, request: dict) -> dict:
        """One `predict` run for the CLI client -> {"text", "notes"} or {"problem", "fix"}."""
        if request.get("model") != str(self.folder):
            return {"problem": f"this server serves {self.folder}, not {request.get('model')}", "fix": None}
        start = time.perf_counter()
        try:
            with self.model() as pipe, _client_context(request["cwd"], request["data_dir"]):
                text, notes = predict_command(str(self.folder), **request["args"], loaded=pipe)
            reply = {"text": text, "notes": notes}
        except UserError as exc:
            reply = {"problem": exc.problem, "fix": exc.fix}
        except Exception as exc:  # a bug must not stop the server: the client shows it, the log keeps it
            self.log(traceback.format_exc())
            reply = {
                "problem": f"the server failed on this request ({type(exc).__name__}: {exc})",
                "fix": "run predict with --no-server to see it in process, and report it",
            }
        what = "error: " + reply["problem"] if "problem" in reply else "ok"
        self.log(f"predict {what} ({time.perf_counter() - start:.2f} s)")
        return reply


class RequestTooLarge(UserError):
    """A request over the batch limit (HTTP 413)."""


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
