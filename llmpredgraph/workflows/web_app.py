"""`serve`'s ASGI application (FastAPI): the HTTP API, its OpenAPI page at /docs, and the page at /.

    POST /predict   molecules (SMILES or names, one or many) -> predict's columns as JSON rows
    POST /explain   the same, plus each side effect's evidence drugs and score split
    GET  /ask?q=    the `ask` command's answer (rows, notes and the plain-language text)
    GET  /health    status, model, runtime, limits
    GET|POST /      the page: a form, then the ranked table, plots and a CSV download

A bad request gets a 4xx whose JSON body is {"error": one line, "fix": ...}; a body over the size
limit or a request over the batch limit gets 413 before any model work.
"""

from __future__ import annotations

import io
from typing import Annotated, Literal

import pandas as pd
from fastapi import FastAPI, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from .. import __version__
from ..errors import UserError
from ..serving import TOKEN_HEADER
from .web_page import page
from .web_service import Item, ModelService, RequestTooLarge


class MoleculeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    smiles: str | None = Field(None, description="the structure; without it, `name` is looked up")
    name: str | None = Field(None, description="a benchmark or DrugBank name or synonym, or a label for the SMILES")
    atc: str | None = Field(None, description="ATC codes, comma-separated (e.g. N02AA01)")
    targets: str | None = Field(None, description="UniProt ids of its targets, comma-separated")
    description: str | None = None


class PredictIn(BaseModel):
    """Molecules as `smiles`, `names` or `molecules` (with knowledge), in that order; one or many."""

    model_config = ConfigDict(extra="forbid")
    smiles: list[str] | str | None = Field(None, examples=[["CC(C)Cc1ccc(cc1)C(C)C(=O)O"]])
    names: list[str] | str | None = Field(None, examples=[["morphine"]])
    molecules: list[MoleculeIn] | None = None
    top: int = Field(20, ge=1, le=10_000, description="side effects per molecule, most likely first")
    rank: Literal["association", "lift"] = "association"

    def items(self) -> list[Item]:
        listed = lambda v: [v] if isinstance(v, str) else list(v or [])  # noqa: E731
        out = [Item(smiles=s) for s in listed(self.smiles)] + [Item(name=n) for n in listed(self.names)]
        return out + [Item(**m.model_dump()) for m in self.molecules or []]


class _BodyLimit:
    """ASGI middleware: refuse a body over `max_bytes` (413), by its Content-Length or as it arrives."""

    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            return await JSONResponse(_too_big(self.max_bytes), status_code=413)(scope, receive, send)
        seen = 0

        async def limited():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise HTTPException(413, _too_big(self.max_bytes)["error"])
            return message

        await self.app(scope, limited, send)


def _too_big(limit: int) -> dict:
    return {"error": f"request body over {limit} bytes", "fix": "send fewer molecules per request"}


def create_app(service: ModelService, token: str | None = None) -> FastAPI:
    """The application over one loaded `ModelService`; token: what the CLI's route requires."""
    app = FastAPI(
        title="llmpredgraph",
        version=__version__,
        description="Predicted side effects of molecules: association, frequency class (1-5) and "
        "high-frequency probability per side effect, with the training drugs that support them.",
    )
    app.add_middleware(_BodyLimit, max_bytes=service.limits.max_body)

    @app.exception_handler(UserError)
    async def _user_error(request: Request, exc: UserError):
        status = 413 if isinstance(exc, RequestTooLarge) else 400
        return JSONResponse({"error": exc.problem, "fix": exc.fix}, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        loc = [str(x) for x in first.get("loc", ()) if x != "body"]
        if first.get("type") == "json_invalid":  # loc holds the character position
            return JSONResponse(
                {"error": f"malformed JSON at character {''.join(loc) or '?'}", "fix": "send a JSON object"},
                status_code=422,
            )
        where, msg = ".".join(loc), first.get("msg", "invalid request")
        return JSONResponse(
            {"error": f"{where}: {msg}" if where else msg, "fix": "see the request schema at /docs"},
            status_code=422,
        )

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException):
        return JSONResponse({"error": str(exc.detail), "fix": None}, status_code=exc.status_code)

    @app.get("/health")
    def health() -> dict:
        return service.health()

    @app.post("/predict")
    def predict(req: PredictIn) -> dict:
        """Predict's columns per (molecule, side effect) as JSON rows; inputs that cannot be scored
        are listed under `rejected` with the reason, and the rest are scored."""
        out = service.predict(req.items(), req.top, req.rank)
        return {k: v for k, v in out.items() if not k.startswith("_")}

    @app.post("/explain")
    def explain(req: PredictIn) -> dict:
        """As /predict, plus per molecule each side effect's score split (prior, learned correction)
        and the training drugs that voted for it (similarity, class, channel)."""
        out = service.predict(req.items(), req.top, req.rank, explain=True)
        return {k: v for k, v in out.items() if not k.startswith("_")}

    @app.get("/ask")
    def ask(q: Annotated[str, Query(min_length=3, max_length=500, description='e.g. "side effects of morphine"')]):
        """The `ask` command: labels first, then the cold model's prediction, with sources."""
        return service.ask(q)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home() -> str:
        return page(str(service.folder))

    @app.post("/", response_class=HTMLResponse, include_in_schema=False)
    def home_post(
        query: Annotated[str, Form()] = "",
        top: Annotated[int, Form()] = 20,
        rank: Annotated[str, Form()] = "association",
        csv: Annotated[UploadFile | None, File()] = None,
    ) -> HTMLResponse:
        top = max(1, min(top, service.pipe.support.n_side_effects))
        rank = rank if rank in ("association", "lift") else "association"
        try:
            out = service.predict(_page_items(query, csv), top, rank, explain=True)
            return HTMLResponse(page(str(service.folder), query, top, out))
        except UserError as exc:
            return HTMLResponse(page(str(service.folder), query, top, error=exc.one_line()), status_code=400)

    @app.post("/cli/predict", include_in_schema=False)
    async def cli_predict(request: Request):
        if token is None or request.headers.get(TOKEN_HEADER) != token:
            return JSONResponse({"error": "this route is for the predict command of this user"}, status_code=403)
        body = await request.json()
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(service.cli_predict, body)

    return app


def _page_items(query: str, csv: UploadFile | None) -> list[Item]:
    """The form's lines (each a SMILES or a name) and the uploaded CSV's rows."""
    from ..data.structures import standard_smiles

    items = []
    for line in (x.strip() for x in query.splitlines()):
        if not line:
            continue
        try:
            standard_smiles(line)
            items.append(Item(smiles=line) if " " not in line else Item(name=line))
        except ValueError:
            items.append(Item(name=line))
    if csv is not None and csv.filename:
        try:
            df = pd.read_csv(io.BytesIO(csv.file.read()), dtype=str, keep_default_na=False)
        except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError):
            raise UserError(f"{csv.filename} is empty or not CSV", "upload a CSV with columns name,smiles") from None
        if "smiles" not in df.columns and "name" not in df.columns:
            raise UserError(f"{csv.filename} needs a smiles or a name column", "rename its columns")
        for row in df.to_dict("records"):
            items.append(Item(row.get("smiles") or None, row.get("name") or None, row.get("atc"), row.get("targets")))
    return items
