"""Shipping events to the daemon: the sink the Engine and Hamilton log through.

:func:`connect` returns an :class:`~huracan.ingest.EventLogger` whose sink POSTs batches
to the daemon. When the daemon is unreachable the logger's retry and disk spool keep
every event (shedding lowest severity first if the spool fills, CRITICAL last) and
replay them in order once it answers again.

Example (in the Engine)::

    from huracan.ingest.client import connect
    log = connect()                      # finds the local daemon, or HURACAN_URL
    log.log(Signal(...))                 # never blocks
    log.close()                          # drain on shutdown
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import httpx
from pydantic import TypeAdapter

from huracan.config import Settings, load_config
from huracan.events import Event, EventBase

__all__ = ["DaemonSink", "DaemonUnreachable", "connect"]

log = logging.getLogger("huracan.client")
REPLAY_WINDOW_S = 60.0
_LIST: TypeAdapter[list[Event]] = TypeAdapter(list[Event])


class DaemonUnreachable(ConnectionError):
    """The daemon did not take the batch; the logger retries and spools it."""


class DaemonSink:
    """A logger sink that POSTs each batch to ``{url}/v1/events`` as one JSON array."""

    def __init__(self, url: str, headers: dict[str, str] | None = None, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self._client = httpx.Client(base_url=self.url, headers=headers or {}, timeout=timeout)
        self.rejected = 0
        # After a failed POST we cannot know whether the daemon stored the batch, and the
        # logger will resend it: mark sends as replays (the daemon de-duplicates them) until
        # a quiet minute has passed since the last failure.
        self._replay_until = 0.0

    def write_events(self, events: Sequence[EventBase]) -> None:
        if not events:
            return
        body = _LIST.dump_json(list(events))  # type: ignore[arg-type]
        headers = {"Content-Type": "application/json"}
        if time.monotonic() < self._replay_until:
            headers["X-Huracan-Replay"] = "1"
        try:
            r = self._client.post("/v1/events", content=body, headers=headers)
        except httpx.HTTPError as exc:
            self._replay_until = time.monotonic() + REPLAY_WINDOW_S
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
        self._replay_until = time.monotonic() + REPLAY_WINDOW_S
        if r.status_code == 401:
            raise DaemonUnreachable("daemon refused the token (401): set HURACAN_TOKEN or api.token")
        raise DaemonUnreachable(f"daemon answered {r.status_code}: {r.text[:200]}")

    def close(self) -> None:
        self._client.close()


def connect(
    url: str | None = None,
    settings: Settings | None = None,
    *,
    start: bool = True,
) -> Any:
    """A started EventLogger shipping events to the daemon (see docs/engine.md).

    Args:
        url: the daemon's base URL; default ``$HURACAN_URL``, else discovered by
            :func:`huracan.daemon.access.find_daemon` (``<data_dir>/daemon.json``, then
            ``api.host:api.port`` when no data directory was chosen).
        settings: default :func:`huracan.config.load_config`; its ``ingest`` section sizes
            the queue, its ``api.token`` (or ``$HURACAN_TOKEN``) is sent as the bearer token.
        start: start the sender thread now.

    With no daemon answering, events go to ``api.host:api.port`` anyway and wait in the
    disk spool (``<data_dir>/spool/client``) until it answers.
    """
    from huracan.daemon.access import auth_headers, configured_url, find_daemon
    from huracan.ingest import EventLogger

    settings = settings or load_config()
    target = find_daemon(settings, url)
    if target is None:
        target = configured_url(settings)
        log.warning("no daemon found for %s; events will be spooled until %s answers", settings.data_dir, target)
    sink = DaemonSink(target, auth_headers(settings))
    logger = EventLogger(sink, settings.ingest, spool_dir=settings.spool_dir / "client")
    if start:
        logger.start()
    return logger
