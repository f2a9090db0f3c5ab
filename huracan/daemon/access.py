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
    "DaemonUnavailable",
    "RemoteConnection",
    "arrow_to_ipc",
    "auth_headers",
    "find_daemon",
    "open_reader",
]


class DaemonUnavailable(RuntimeError):
    pass


def auth_headers(settings: Settings) -> dict[str, str]:
    tok = os.environ.get("HURACAN_TOKEN") or (settings.api.token.get_secret_value() if settings.api.token else None)
    return {"Authorization": f"Bearer {tok}"} if tok else {}


def find_daemon(settings: Settings, url: str | None = None) -> str | None:
    """The URL of the daemon that owns ``settings.data_dir`` (or ``url`` / ``$HURACAN_URL``)."""
    explicit = url or os.environ.get("HURACAN_URL")
    if explicit:
        return explicit.rstrip("/")
    info = read_runfile(settings.data_dir)
    if info is None:
        return None
    try:
        r = httpx.get(f"{info.url}/healthz", timeout=2.0)
        if r.status_code == 200:
            return info.url
    except httpx.HTTPError:
        pass
    return None


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
            raise DaemonUnavailable(f"the daemon at {self.url} did not answer: {exc}") from exc
        if r.status_code == 401:
            raise PermissionError("the daemon wants a bearer token: set HURACAN_TOKEN or api.token")
        if r.status_code != 200:
            detail = (
                r.json().get("detail", r.text)
                if r.headers.get("content-type", "").startswith("application/json")
                else r.text
            )
            raise RuntimeError(f"daemon query failed ({r.status_code}): {detail}")
        return _RemoteResult(pa.ipc.open_stream(r.content).read_all())

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
