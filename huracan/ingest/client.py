"""Shipping events to the daemon: the sink the Engine and Hamilton log through.

:func:`connect` returns an :class:`~huracan.ingest.EventLogger` whose sink POSTs batches
to the daemon. When the daemon is unreachable the logger's retry and disk spool keep
every event (shedding lowest severity first if the spool fills, CRITICAL last) and
replay them in order once it answers again.

Each process gets its own spool, ``<data_dir>/spool/client/<name>.<pid>/``, so any
number of producers share a host with the same plain ``connect()`` (issue 14). A spool
whose process is gone (its lock is free) is found by the next process that connects
and sent, then removed. Resending is always safe: the daemon stores each ``event_id``
once, whoever sends it and however often.

Example (in the Engine)::

    from huracan.ingest.client import connect
    log = connect()                      # finds the local daemon, or HURACAN_URL
    log.log(Signal(...))                 # never blocks
    log.close()                          # drain on shutdown
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
from pydantic import TypeAdapter

from huracan.config import Settings, load_config
from huracan.events import Event, EventBase

__all__ = ["DaemonSink", "DaemonUnreachable", "adopt_orphans", "connect"]

log = logging.getLogger("huracan.client")
_LIST: TypeAdapter[list[Event]] = TypeAdapter(list[Event])


class DaemonUnreachable(ConnectionError):
    """The daemon did not take the batch; the logger retries and spools it."""


class DaemonSink:
    """A logger sink that POSTs each batch to ``{url}/v1/events`` as one JSON array.

    No replay flag: a batch whose answer was lost is simply sent again, and the daemon
    keeps each event id once.
    """

    def __init__(self, url: str, headers: dict[str, str] | None = None, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self._client = httpx.Client(base_url=self.url, headers=headers or {}, timeout=timeout)
        self.rejected = 0

    def write_events(self, events: Sequence[EventBase]) -> None:
        if not events:
            return
        body = _LIST.dump_json(list(events))  # type: ignore[arg-type]
        headers = {"Content-Type": "application/json"}
        try:
            r = self._client.post("/v1/events", content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DaemonUnreachable(f"daemon at {self.url} unreachable: {exc}") from exc
        if r.status_code in (200, 207, 422):
            data = r.json()
            if data.get("rejected"):
                # Already-validated events the daemon refuses (e.g. a gate its plugins don't
                # know): retrying cannot help, so say exactly what and move on.
                self.rejected += int(data["rejected"])
                for err in data.get("errors", [])[:5]:
                    log.error("daemon rejected event %s: %s", err.get("line"), "; ".join(err.get("errors", [])))
            return
        if r.status_code == 401:
            raise DaemonUnreachable("daemon refused the token (401): set HURACAN_TOKEN or api.token")
        raise DaemonUnreachable(f"daemon answered {r.status_code}: {r.text[:200]}")

    def close(self) -> None:
        self._client.close()


def _producer_name() -> str:
    name = Path(sys.argv[0]).stem if sys.argv and sys.argv[0] not in ("", "-c", "-m") else "python"
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name)[:40] or "python"


def adopt_orphans(base: Path, own: Path, sink: Any, max_bytes: int) -> int:
    """Send the spools under ``base`` whose process is gone; returns events sent.

    A spool is an orphan when nobody holds its lock (its process exited or was killed).
    Each is replayed oldest first and removed once empty; one that the daemon refuses
    stays for the next try. Live spools (locked) are left alone.
    """
    from huracan.ingest.spool import Spool, SpoolLockedError

    sent = 0
    if not base.exists():
        return 0
    # ``base`` itself too: before issue 14 every process shared it as its one spool.
    for path in [base, *sorted(p for p in base.iterdir() if p.is_dir() and p != own)]:
        try:
            spool = Spool(path, max_bytes)
        except SpoolLockedError:
            continue  # a live producer's
        try:
            if spool.pending:
                log.info("sending %d event(s) spooled by an earlier process in %s", spool.pending, path)
            report = spool.replay(sink)
            sent += report.events
            if report.error is not None:
                raise report.error
            empty = spool.pending == 0
        finally:
            spool.close()
        if empty and path != base:
            shutil.rmtree(path, ignore_errors=True)
    return sent


def connect(
    url: str | None = None,
    settings: Settings | None = None,
    *,
    start: bool = True,
    name: str | None = None,
) -> Any:
    """A started EventLogger shipping events to the daemon (see docs/engine.md).

    Args:
        url: the daemon's base URL; default ``$HURACAN_URL``, else discovered by
            :func:`huracan.daemon.access.find_daemon` (``<data_dir>/daemon.json``, then
            ``api.host:api.port`` when no data directory was chosen).
        settings: default :func:`huracan.config.load_config`; its ``ingest`` section sizes
            the queue, its ``api.token`` (or ``$HURACAN_TOKEN``) is sent as the bearer token.
        start: start the sender thread now.
        name: labels this process's spool directory (default: the program's name).

    With no daemon answering, events go to ``api.host:api.port`` anyway and wait in this
    process's disk spool (``<data_dir>/spool/client/<name>.<pid>``) until it answers.
    """
    from huracan.daemon.access import auth_headers, configured_url, find_daemon
    from huracan.ingest import EventLogger

    settings = settings or load_config()
    target = find_daemon(settings, url)
    if target is None:
        target = configured_url(settings)
        log.warning("no daemon found for %s; events will be spooled until %s answers", settings.data_dir, target)
    sink = DaemonSink(target, auth_headers(settings))
    base = settings.spool_dir / "client"
    own = base / f"{name or _producer_name()}.{os.getpid()}"
    max_bytes = int(settings.ingest.spool_max_mb * 2**20)
    logger = EventLogger(sink, settings.ingest, spool_dir=own)
    logger.writer.adopt = lambda s: adopt_orphans(base, own, s, max_bytes)
    logger.remove_spool_when_empty = True
    if start:
        logger.start()
    return logger
