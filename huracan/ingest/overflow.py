"""CRITICAL events that met a full queue, carried to the spool by their own thread.

An fsync costs milliseconds (≈5 ms on this project's CI disk), so fsyncing each
overflowing CRITICAL event in ``log()`` would block the caller — in a burst, for
seconds. Instead ``log()`` appends to this buffer and returns; a dedicated thread (not
the batch writer, which may be stuck retrying a slow sink) spools whatever has gathered
with one fsync per group: group commit, so a burst of thousands costs a few fsyncs.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from huracan.events import EventBase
from huracan.ingest.spool import Spool

__all__ = ["CriticalSpooler"]

log = logging.getLogger("huracan.ingest.overflow")

# One buffered item: a list of events, or (event_type, table).
_Item = list[EventBase] | tuple[str, pa.Table]


class CriticalSpooler:
    """Buffers overflowing CRITICAL events and spools them, fsynced, in groups.

    ``fallback(item)`` receives what the spool refused (e.g. a full disk) so the logger
    can keep it in memory: CRITICAL is never dropped.
    """

    def __init__(self, spool: Spool, fallback: Callable[[_Item], None]) -> None:
        self.spool = spool
        self.fallback = fallback
        self._buf: deque[_Item] = deque()
        self._buffered = 0
        self._lock = threading.Lock()  # one drain at a time (the thread, or flush/close)
        self._count_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = False
        self._thread: threading.Thread | None = None
        self.groups = 0  # fsynced appends, for the stats

    @property
    def buffered(self) -> int:
        """Events accepted but not yet on disk."""
        return self._buffered

    def put(self, item: _Item) -> None:
        with self._count_lock:
            self._buffered += len(item) if isinstance(item, list) else item[1].num_rows
        self._buf.append(item)
        if self._thread is None:
            self.drain()  # no thread (logger not started): spool in the caller, as before
        else:
            self._wake.set()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="huracan-critical-spooler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        thread = self._thread
        if thread is not None:
            self._stop = True
            self._wake.set()
            thread.join()
            self._thread = None
        self.drain()

    def _run(self) -> None:
        while not self._stop:
            self._wake.wait()
            self._wake.clear()
            try:
                self.drain()
            except Exception:  # never let the thread die: the buffer would grow unseen
                log.exception("critical spooler drain failed; retrying")

    def drain(self) -> None:
        """Spool everything buffered now: consecutive event lists as one fsynced append."""
        with self._lock:
            while self._buf:
                events: list[EventBase] = []
                while self._buf and isinstance(self._buf[0], list):
                    events.extend(self._buf.popleft())  # type: ignore[arg-type]
                if events:
                    self._spool(events)
                    continue
                item = self._buf.popleft()
                self._spool(item)

    def _spool(self, item: Any) -> None:
        try:
            if isinstance(item, list):
                self.spool.append(item, fsync=True)
                n = len(item)
            else:
                self.spool.append_arrow(item[0], item[1], fsync=True)
                n = item[1].num_rows
            self.groups += 1
        except Exception:
            log.exception("could not spool overflowing CRITICAL events; keeping them in memory")
            n = len(item) if isinstance(item, list) else item[1].num_rows
            self.fallback(item)
        with self._count_lock:
            self._buffered -= n
