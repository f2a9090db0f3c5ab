"""The daemon's HTTP API (FastAPI).

- ``POST /v1/events``: a JSON array or NDJSON; valid lines are kept, each rejected line
  is reported with its number and field errors.
- ``POST /v1/sql``: one read-only SELECT over the store's views, answered as an Arrow
  IPC stream (or JSON with ``?format=json``) — how the CLI and dashboard read while the
  daemon holds the database.
- ``GET /v1/status``, ``GET /v1/jobs``, ``POST /v1/jobs/{job}/run``, ``GET /v1/feed``
  (server-sent events), ``GET /healthz``, ``GET /metrics`` (Prometheus).

A bearer token is required on every route but ``/healthz`` whenever one is configured
(and the daemon refuses a non-loopback bind without one).
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import AsyncIterator
from datetime import date
from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from huracan.daemon.feed import FEED_TYPES
from huracan.daemon.ingest_http import UnsupportedMediaType, check_media_type, parse_columns
from huracan.redact import redact

if TYPE_CHECKING:
    from huracan.daemon.service import Daemon

__all__ = ["build_app", "storage_full"]


class SqlRequest(BaseModel):
    sql: str = Field(min_length=1, max_length=100_000)
    params: list[Any] = Field(default_factory=list)


class IngestResponse(BaseModel):
    accepted: int
    rejected: int
    dropped: int = 0
    errors: list[dict[str, Any]] = Field(default_factory=list)


class RunJobRequest(BaseModel):
    day: date | None = None


class ErrorBody(BaseModel):
    detail: str


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the error codes a route can answer (all ``{"detail": …}``)."""
    text = {
        400: "the request could not be used (the detail says why)",
        401: "missing or wrong bearer token",
        403: "not allowed: anything but one SELECT over the event views (files, settings, other tables)",
        404: "no such job",
        413: "body larger than api.max_request_mb, or an answer over api.sql_max_rows rows",
        422: "invalid request (field errors, or no valid event in the batch)",
        415: "the body is not JSON or NDJSON (Content-Type)",
        507: "the data dir is full: the batch was not stored (resend it later)",
        503: "the daemon is shutting down",
        504: "the statement ran longer than api.sql_timeout_s",
    }
    return {c: {"model": ErrorBody, "description": text[c]} for c in codes}


_INGEST_BODY = {
    "requestBody": {
        "required": True,
        "description": "Events as a JSON array, or NDJSON (one event per line; see `huracan events schema`).",
        "content": {
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}


def storage_full(exc: BaseException) -> str | None:
    """Why a write failed for lack of space (ENOSPC, EDQUOT, a file-size limit), else None.

    DuckDB reports the OS error inside its own exception text.
    """
    import errno

    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return exc.strerror or str(exc)
    text = str(exc)
    for needle in ("No space left on device", "Disk quota exceeded", "File too large"):
        if needle in text:
            return needle
    return None


def build_app(daemon: Daemon) -> FastAPI:
    """The API bound to a running :class:`~huracan.daemon.service.Daemon`."""
    settings = daemon.settings
    token = settings.api.token.get_secret_value() if settings.api.token else None
    max_bytes = int(settings.api.max_request_mb * 1024 * 1024)

    app = FastAPI(
        title="Huracan Observability daemon",
        version=daemon.version,
        description="Ingest Engine/Hamilton events, read the store, watch jobs.",
        # Swagger UI and ReDoc load their assets from a CDN: off (issue 16); /openapi.json stays,
        # behind the token when one is set (registered below, once `auth` exists).
        docs_url=None,
        redoc_url=None,
        openapi_url=None if token else "/openapi.json",
    )

    async def auth(request: Request) -> None:
        if token is None:
            return
        header = request.headers.get("authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
            raise HTTPException(
                status_code=401,
                detail="missing or wrong bearer token: send 'Authorization: Bearer <api.token>'",
                headers={"WWW-Authenticate": "Bearer"},
            )

    if token:
        # The schema lists every route and parameter: with a token set, it is not for anyone who asks.
        @app.get("/openapi.json", include_in_schema=False, dependencies=[Depends(auth)])
        async def openapi_guarded() -> dict[str, Any]:
            return app.openapi()

    async def body_capped(request: Request) -> bytes:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            raise HTTPException(413, f"request body of {declared} bytes exceeds api.max_request_mb ({max_bytes} bytes)")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_bytes:
                raise HTTPException(413, f"request body exceeds api.max_request_mb ({max_bytes} bytes)")
            chunks.append(chunk)
        return b"".join(chunks)

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        return daemon.health()

    @app.post(
        "/v1/events",
        response_model=IngestResponse,
        dependencies=[Depends(auth)],
        responses={
            207: {"model": IngestResponse, "description": "some lines rejected, the valid ones kept"},
            **_errors(400, 401, 413, 415, 503, 507),
            422: {"model": IngestResponse, "description": "no line was a valid event: each error is listed"},
        },
        openapi_extra=_INGEST_BODY,
    )
    async def ingest(request: Request) -> JSONResponse:
        if daemon.stopping:
            raise HTTPException(503, "the daemon is shutting down; retry shortly", headers={"Retry-After": "5"})
        ctype = request.headers.get("content-type", "")
        try:
            check_media_type(ctype)
        except UnsupportedMediaType as exc:
            raise HTTPException(415, str(exc)) from None
        body = await body_capped(request)
        try:
            batch = await asyncio.to_thread(parse_columns, body, ctype)
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from None
        accepted, errors = batch.accepted, batch.errors
        # Durable before we answer: a 2xx means the batch is in the fsynced ingest log, so
        # a client never drops a batch the daemon might lose. Resends are de-duplicated
        # by event id when the log is loaded (issue 14).
        try:
            if accepted:
                await asyncio.to_thread(daemon.write_batch, batch)
        except Exception as exc:
            problem = storage_full(exc)
            if problem is None:
                raise
            # A full disk cut the record off the log: nothing of it is kept, so say so and
            # let the producer keep it (clients spool and retry).
            raise HTTPException(
                507,
                f"the data dir {settings.data_dir} is full ({problem}): this batch was not stored. "
                "Free space there; producers keep their events and resend them",
                headers={"Retry-After": "30"},
            ) from None
        if daemon.feed.subscribers and FEED_TYPES.intersection(batch.tables):
            daemon.feed.publish_many(batch.events(FEED_TYPES))  # objects only when someone watches
        daemon.ingest_stats.add(accepted=accepted, rejected=len(errors))
        result = IngestResponse(
            accepted=accepted,
            rejected=len(errors),
            dropped=0,
            errors=errors[:1000],
        )
        status = 200 if not errors else 207 if accepted else 422
        return JSONResponse(result.model_dump(), status_code=status)

    @app.post(
        "/v1/sql",
        dependencies=[Depends(auth)],
        responses={
            200: {
                "content": {"application/vnd.apache.arrow.stream": {}, "application/json": {}},
                "description": "Arrow IPC stream, or with ?format=json `{columns, types, rows}` "
                "(value encoding: huracan.daemon.sql_json)",
            },
            **_errors(400, 401, 403, 413, 422, 504),
        },
    )
    async def sql(req: SqlRequest, format: str = Query("arrow", pattern="^(arrow|json)$")) -> Response:
        from huracan.daemon.sql_guard import SqlTimeout, SqlTooLarge

        try:
            table = await asyncio.to_thread(daemon.read_query, req.sql, req.params)
        except PermissionError as exc:
            raise HTTPException(403, str(exc)) from None
        except SqlTooLarge as exc:
            raise HTTPException(413, str(exc)) from None
        except SqlTimeout as exc:
            raise HTTPException(504, str(exc)) from None
        except Exception as exc:  # a bad query is the caller's error, not ours
            raise HTTPException(400, f"query failed: {redact(str(exc))}") from None
        if format == "json":
            from huracan.daemon.sql_json import arrow_to_json_body

            body = await asyncio.to_thread(arrow_to_json_body, table)
            return JSONResponse(body, headers={"X-Row-Count": str(table.num_rows)})
        from huracan.daemon.access import arrow_to_ipc

        return Response(arrow_to_ipc(table), media_type="application/vnd.apache.arrow.stream")

    @app.get("/v1/status", dependencies=[Depends(auth)], responses=_errors(401))
    async def status() -> dict[str, Any]:
        return await asyncio.to_thread(daemon.status)

    @app.get("/v1/jobs", dependencies=[Depends(auth)], responses=_errors(401, 422))
    async def jobs(limit: int = Query(50, ge=1, le=1000), job: str | None = None) -> list[dict[str, Any]]:
        runs = await asyncio.to_thread(daemon.ledger.recent, limit, job)
        return [r.as_dict() for r in runs]

    @app.post("/v1/jobs/{job}/run", dependencies=[Depends(auth)], responses=_errors(401, 404, 422))
    async def run_job(job: str, req: RunJobRequest) -> dict[str, Any]:
        if job not in daemon.jobs:
            raise HTTPException(404, f"unknown job {job!r}; jobs: {', '.join(sorted(daemon.jobs))}")
        return await daemon.run_job(job, day=req.day, trigger="api")

    @app.get(
        "/v1/feed",
        dependencies=[Depends(auth)],
        responses={200: {"content": {"text/event-stream": {}}, "description": "server-sent events"}, **_errors(401)},
    )
    async def feed(request: Request) -> StreamingResponse:
        async def stream() -> AsyncIterator[bytes]:
            async with daemon.feed.subscribe() as queue:
                yield b": huracan live feed\n\n"
                while not daemon.stopping:
                    if await request.is_disconnected():
                        break
                    try:
                        item = await asyncio.wait_for(queue.get(), timeout=5.0)
                    except TimeoutError:
                        yield b": keep-alive\n\n"
                        continue
                    yield f"event: {item['type']}\ndata: {json.dumps(item, default=str)}\n\n".encode()

        return StreamingResponse(stream(), media_type="text/event-stream")

    @app.get(
        "/metrics",
        dependencies=[Depends(auth)],
        responses={200: {"content": {"text/plain": {}}, "description": "Prometheus exposition"}, **_errors(401)},
    )
    async def metrics() -> Response:
        from prometheus_client import CONTENT_TYPE_LATEST

        body = await asyncio.to_thread(daemon.prometheus)  # reads the ledger: off the loop
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    @app.post("/v1/store/snapshot", dependencies=[Depends(auth)], responses=_errors(401))
    async def store_snapshot() -> dict[str, Any]:
        """A consistent Parquet snapshot of the hot tier under the data dir (`huracan store backup`, issue 15)."""
        from huracan.store.backup import take_snapshot

        await asyncio.to_thread(daemon.loader.wait_loaded)  # acknowledged events are in the snapshot

        return await asyncio.to_thread(take_snapshot, daemon.store)

    from huracan.daemon.web import build_router

    app.include_router(build_router(daemon))  # GET / and /digests/DATE: the web page
    return app
