"""The logger's background writer: batches to the sink, retries, spool, replay.

One thread takes batches off the queue when ``batch_size`` events wait or
``flush_interval_s`` has passed, and writes them. A write that raises is retried with
exponential backoff; if it still fails the batch goes to the spool (or, with no spool,
is held in memory while the queue sheds) and the sink is marked down. While it is
down, new batches go straight to the spool and the sink is probed every
``probe_interval_s`` by replaying the spool, oldest first — so events reach the sink
in the order they were logged.

:meth:`Writer.step` is one iteration; the thread loops over it, and a host without
threads (or a test with a controllable clock) may call it directly.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from huracan.ingest.batch import Batch
from huracan.ingest.counters import LatencyWindow, SeverityCounts
from huracan.ingest.spool import Spool

if TYPE_CHECKING:
    from huracan.ingest.logger import EventLogger

__all__ = ["Writer"]

log = logging.getLogger("huracan.ingest.writer")

_IDLE_POLL_S = 0.05
ADOPT_INTERVAL_S = 30.0


class Writer:
    """Consumes an :class:`~huracan.ingest.logger.EventLogger` 's queue (see module doc)."""

    def __init__(
        self,
        logger: EventLogger,
        sink: Any,
        spool: Spool | None,
        *,
        batch_size: int,
        flush_interval_s: float,
        retry_attempts: int,
        retry_backoff_s: float,
        probe_interval_s: float,
    ) -> None:
        self.logger = logger
        self.sink = sink
        self.spool = spool
        self.batch_size = batch_size
        self.flush_interval_s = flush_interval_s
        self.retry_attempts = max(0, retry_attempts)
        self.retry_backoff_s = max(0.0, retry_backoff_s)
        self.probe_interval_s = probe_interval_s
        self.clock = logger.clock
        # Counters: mutated by the one consumer at a time (self._consumer), read by stats().
        self.accepted = SeverityCounts()  # taken off the queue (updated under the logger's lock)
        self.written = SeverityCounts()
        self.spooled = SeverityCounts()
        self.latency = LatencyWindow()
        self.batches = 0
        self.replayed = 0
        self.write_errors = 0
        self.retries = 0
        self.last_error: str | None = None
        self.healthy = True
        self._next_probe = 0.0
        self._last_flush = self.clock()
        self._held: list[Batch] = []  # failed batches when there is no spool, oldest first
        self._consumer = threading.RLock()  # the thread and a caller's flush never write at once
        self._wake = threading.Event()
        self._cond = threading.Condition()
        self._flush_requested = 0
        self._flush_done = 0
        self._stopping = False
        self._thread: threading.Thread | None = None
        #: ``adopt(sink) -> events``: send what earlier processes left spooled (the client
        #: sets it); tried at start and then at most every ``ADOPT_INTERVAL_S`` while healthy.
        self.adopt: Callable[[Any], int] | None = None
        self._next_adopt = 0.0

    # -- control ---------------------------------------------------------------------
    def wake(self) -> None:
        self._wake.set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def held_events(self) -> int:
        return sum(b.size for b in self._held)

    def start(self) -> None:
        if self.running:
            return
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="huracan-ingest-writer", daemon=True)
        self._thread.start()

    def flush(self, timeout: float | None = None) -> bool:
        """Drain the queue and the spool; True when nothing is left pending."""
        if not self.running:
            self.step(drain=True)
            return self.logger.pending() == 0
        with self._cond:
            self._flush_requested += 1
            ticket = self._flush_requested
            self._wake.set()
            self._cond.wait_for(lambda: self._flush_done >= ticket or not self.running, timeout)
        return self.logger.pending() == 0

    def stop(self, timeout: float | None = None) -> bool:
        """Final drain, then stop the thread. True when everything was written."""
        deadline = None if timeout is None else time.monotonic() + timeout
        ok = self.flush(timeout)
        thread = self._thread
        if thread is not None:
            self._stopping = True
            self._wake.set()
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        # Producers racing close() may have appended after the thread's last drain.
        if self.logger.queued or self._held:
            self.step(drain=True)
            ok = self.logger.pending() == 0
        return ok

    def _adopt(self) -> int:
        if self.adopt is None or self.clock() < self._next_adopt:
            return 0
        self._next_adopt = self.clock() + ADOPT_INTERVAL_S
        try:
            n = self.adopt(self.sink)
        except Exception as exc:  # the sink is down: those spools wait for the next try
            log.warning("could not send spools left by earlier processes yet: %s", exc)
            return 0
        self.replayed += n
        return n

    def _run(self) -> None:
        if self.spool is not None and self.spool.pending:
            log.info("replaying %d spooled event(s) from %s", self.spool.pending, self.spool.directory)
        self._adopt()
        while not self._stopping:
            ticket = self._flush_requested
            try:
                self.step(drain=ticket > self._flush_done)
            except Exception:  # a bug here must not silently stop ingest
                log.exception("ingest writer step failed; continuing")
                time.sleep(_IDLE_POLL_S)
            if ticket > self._flush_done:
                with self._cond:
                    self._flush_done = ticket
                    self._cond.notify_all()
            self._wake.wait(min(_IDLE_POLL_S, self.flush_interval_s))
            self._wake.clear()
        with self._cond:
            self._cond.notify_all()

    # -- one iteration ---------------------------------------------------------------
    def step(self, drain: bool = False) -> int:
        """Write what is due (everything when ``drain``); returns events written."""
        with self._consumer:
            written = 0
            now = self.clock()
            if (self._held or (self.spool is not None and self.spool.pending)) and (
                drain or self.healthy or now >= self._next_probe
            ):
                written += self._recover()
            can_take = self.healthy or self.spool is not None
            due = self.logger.queued >= self.logger.batch_trigger or (
                self.logger.queued > 0 and now - self._last_flush >= self.flush_interval_s
            )
            while can_take and (due or drain):
                batches = self.logger.take(self.batch_size)
                if not batches:
                    break
                self._last_flush = now
                for batch in batches:
                    written += self._write(batch, drain)
                    if not self._held or self._held[-1] is not batch:
                        self.logger.release(batch.size)  # acknowledged or spooled: handed off
                due = self.logger.queued >= self.logger.batch_trigger
                can_take = self.healthy or self.spool is not None
            if not self.logger.queued:
                self._last_flush = now
            self.logger.observe_fill()
            return written

    def _write(self, batch: Batch, drain: bool) -> int:
        if not self.healthy and not drain and self.clock() < self._next_probe and self.spool is not None:
            self._spool(batch)  # the sink is down: keep the queue moving, in order, on disk
            return 0
        if self.spool is not None and self.spool.pending:
            self._spool(batch)  # older events are still spooled: this one goes after them
            return 0
        if self._attempt(batch, retries=self.retry_attempts):
            return batch.size
        if self.spool is not None:
            self._spool(batch)
        else:
            self._held.append(batch)
        return 0

    def _attempt(self, batch: Batch, *, retries: int) -> bool:
        for attempt in range(retries + 1):
            t0 = time.perf_counter()
            try:
                batch.write_to(self.sink)
            except Exception as exc:  # any sink failure is retried, then spooled — never lost
                self._failed(exc, batch.size)
                if attempt < retries:
                    self.retries += 1
                    time.sleep(self.retry_backoff_s * 2**attempt)
                continue
            self.latency.add(time.perf_counter() - t0)
            self.batches += 1
            self.written.add(batch.counts)
            if not self.healthy:
                log.warning("ingest sink %s is writing again", type(self.sink).__name__)
            self.healthy = True
            return True
        return False

    def _failed(self, exc: Exception, size: int) -> None:
        self.write_errors += 1
        self.last_error = f"{type(exc).__name__}: {exc}"[:500]
        if self.healthy:
            log.error(
                "ingest sink %s failed writing %d event(s): %s; retrying, then spooling",
                type(self.sink).__name__,
                size,
                self.last_error,
            )
        self.healthy = False
        self._next_probe = self.clock() + self.probe_interval_s

    def _spool(self, batch: Batch) -> None:
        assert self.spool is not None
        try:
            if batch.kind == "events":
                self.spool.append(batch.events)
            else:
                assert batch.table is not None and batch.event_type is not None
                self.spool.append_arrow(batch.event_type, batch.table)
        except Exception as exc:
            log.error("could not spool %d event(s) (%s); holding them in memory", batch.size, exc)
            self._held.append(batch)
            return
        self.spooled.add(batch.counts)

    def _recover(self) -> int:
        """Retry held batches, then replay the spool; stop at the first failure."""
        written = 0
        while self._held:
            batch = self._held[0]
            if not self._attempt(batch, retries=0):
                return written
            self._held.pop(0)
            self.logger.release(batch.size)
            written += batch.size
        if self.spool is None or not self.spool.pending:
            return written
        t0 = time.perf_counter()
        report = self.spool.replay(self.sink)
        if report.events:
            self.written.add(report.by_severity)
            self.replayed += report.events
            self.batches += report.segments
            self.latency.add((time.perf_counter() - t0) / max(1, report.segments))
            written += report.events
        if report.error is not None:
            self._failed(report.error, self.spool.pending)
        elif not self.healthy:
            log.warning("ingest sink %s recovered; spool replayed", type(self.sink).__name__)
            self.healthy = True
        if self.healthy:
            written += self._adopt()
        return written
