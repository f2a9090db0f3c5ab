"""How a command reaches the data: through the daemon when it runs, else the store.

DuckDB lets one process hold the database read-write, never alongside readers, so
while the daemon runs every read goes through its ``/v1/sql`` API. :func:`open_reader`
hides which: it yields a *connection-like* object supporting ``execute(sql, params)``
then ``fetchall()`` / ``fetchone()`` / ``to_arrow_table()`` / ``description``.

>>> from huracan.config import load_config
>>> import tempfile, pathlib
>>> cfg = load_config(data_dir=pathlib.Path(tempfile.mkdtemp()))
>>> find_daemon(cfg) is None
True
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from huracan.config import Settings
from huracan.daemon.runfile import read_runfile

__all__ = [
    "DaemonAuthError",
    "DaemonError",
    "DaemonUnavailable",
    "RemoteConnection",
    "arrow_to_ipc",
    "auth_headers",
    "check_answer",
    "configured_url",
    "daemon_request",
    "find_daemon",
    "open_reader",
]


class DaemonError(RuntimeError):
    """A request to the daemon failed; the message says what, why and what to do."""


class DaemonUnavailable(DaemonError):
    """The daemon could not be reached (down, wrong URL, or it hung up)."""


class DaemonAuthError(DaemonError):
    """The daemon refused the bearer token (or none was sent)."""


def auth_headers(settings: Settings) -> dict[str, str]:
    tok = os.environ.get("HURACAN_TOKEN") or (settings.api.token.get_secret_value() if settings.api.token else None)
    return {"Authorization": f"Bearer {tok}"} if tok else {}


def configured_url(settings: Settings) -> str:
    """Where a daemon started with these settings listens (``api.host:api.port``).

    A wildcard bind (``0.0.0.0`` / ``::``) is reached through loopback.
    """
    host = settings.api.host
    host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"http://{'[' + host + ']' if ':' in host else host}:{settings.api.port}"


def _answers(url: str, timeout: float) -> bool:
    """True when a Huracan daemon answers ``/healthz`` at ``url``."""
    try:
        r = httpx.get(f"{url}/healthz", timeout=timeout)
        return r.status_code == 200 and "version" in r.json()
    except (httpx.HTTPError, ValueError):
        return False


def find_daemon(settings: Settings, url: str | None = None) -> str | None:
    """The URL of the daemon to read through, or None to open the store directly.

    In order: ``url`` (``--url``) or ``$HURACAN_URL`` as given (not probed: a wrong one
    fails loudly on first use); the daemon recorded in ``<data_dir>/daemon.json`` if it
    answers; and, when no data directory was chosen (no ``--data-dir``,
    ``HURACAN_DATA_DIR`` or ``data_dir`` key), a daemon answering at
    ``api.host:api.port`` — the systemd service, whose state directory an operator's
    shell usually cannot read.
    """
    explicit = url or os.environ.get("HURACAN_URL")
    if explicit:
        return explicit.rstrip("/")
    info = read_runfile(settings.data_dir)
    if info is not None and _answers(info.url, 2.0):
        return info.url
    if "data_dir" not in settings.model_fields_set:
        guess = configured_url(settings)
        if _answers(guess, 1.0):
            return guess
    return None


def _unreachable(url: str, exc: Exception) -> DaemonUnavailable:
    why = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.ConnectError):
        why = "connection refused" if "refused" in why.lower() else why
    elif isinstance(exc, httpx.TimeoutException):
        why = "it did not answer in time"
    return DaemonUnavailable(
        f"cannot reach the daemon at {url}: {why}; check --url / HURACAN_URL, "
        "or start it (`huracan daemon`, `systemctl start huracan`)"
    )


def _detail(r: httpx.Response) -> str:
    if r.headers.get("content-type", "").startswith("application/json"):
        try:
            body = r.json()
        except ValueError:
            return r.text[:300]
        if isinstance(body, dict) and "detail" in body:
            return str(body["detail"])
    return r.text[:300]


def check_answer(url: str, r: httpx.Response) -> httpx.Response:
    """Raise a :class:`DaemonError` with a person-readable message unless ``r`` is 2xx."""
    if r.status_code == 401:
        raise DaemonAuthError(
            f"the daemon at {url} refused the request: missing or wrong bearer token; "
            "set HURACAN_TOKEN (or api.token) to the daemon's api.token"
        )
    if r.status_code >= 400:
        raise DaemonError(f"the daemon at {url} answered {r.status_code}: {_detail(r)}")
    return r


def daemon_request(
    url: str, method: str, path: str, headers: dict[str, str], timeout: float = 30.0, **kwargs: Any
) -> Any:
    """One request to the daemon, its JSON answer returned; every failure a :class:`DaemonError`."""
    try:
        r = httpx.request(method, url + path, headers=headers, timeout=timeout, **kwargs)
    except httpx.HTTPError as exc:
        raise _unreachable(url, exc) from exc
    try:
        return check_answer(url, r).json()
    except ValueError:
        raise DaemonError(f"the daemon at {url} answered {path} with something that is not JSON") from None


def arrow_to_ipc(table: Any) -> bytes:
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


@dataclass
class _RemoteResult:
    table: Any
    _pos: int = 0

    @property
    def description(self) -> list[tuple[Any, ...]]:
        return [(f.name, str(f.type), None, None, None, None, None) for f in self.table.schema]

    def to_arrow_table(self) -> Any:
        return self.table

    fetch_arrow_table = to_arrow_table  # the DuckDB 1.x name

    def fetchall(self) -> list[tuple[Any, ...]]:
        cols = [c.to_pylist() for c in self.table.columns]
        rows = list(zip(*cols, strict=True)) if cols else []
        out = rows[self._pos :]
        self._pos = len(rows)
        return out

    def fetchone(self) -> tuple[Any, ...] | None:
        if self._pos >= self.table.num_rows:
            return None
        row = tuple(c[self._pos].as_py() for c in self.table.columns)
        self._pos += 1
        return row


class RemoteConnection:
    """A read-only stand-in for a DuckDB connection, backed by the daemon's ``/v1/sql``."""

    def __init__(self, url: str, headers: dict[str, str] | None = None, timeout: float = 120.0) -> None:
        self.url = url.rstrip("/")
        self._client = httpx.Client(base_url=self.url, headers=headers or {}, timeout=timeout)

    def execute(self, sql: str, params: list[Any] | tuple[Any, ...] | None = None) -> _RemoteResult:
        import pyarrow as pa

        payload = {"sql": sql, "params": [_jsonable(p) for p in (params or [])]}
        try:
            r = self._client.post("/v1/sql", json=payload)
        except httpx.HTTPError as exc:
            raise _unreachable(self.url, exc) from exc
        return _RemoteResult(pa.ipc.open_stream(check_answer(self.url, r).content).read_all())

    def cursor(self) -> RemoteConnection:
        return self

    def close(self) -> None:
        self._client.close()


def _jsonable(v: Any) -> Any:
    from datetime import date, datetime

    return v.isoformat() if isinstance(v, datetime | date) else v


@contextmanager
def open_reader(settings: Settings, url: str | None = None) -> Iterator[Any]:
    """Yield a connection-like reader: the daemon's API if one runs, else the store read-only."""
    daemon_url = find_daemon(settings, url)
    if daemon_url:
        conn = RemoteConnection(daemon_url, auth_headers(settings))
        try:
            yield conn
        finally:
            conn.close()
        return
    from huracan.store import Store

    store = Store.open(settings, read_only=True)
    try:
        yield store.cursor()
    finally:
        store.close()
