"""The EventLogger: a bounded, severity-tiered queue that never blocks its caller.

``log(event)`` is a length check and a ``deque.append`` (atomic under the GIL, so
producers on any thread or event loop share the queue without a lock). Only an
overloaded queue takes the slow path: DEBUG is shed from ``shed_debug_fill``, everything
below ERROR from ``kill_switch_fill`` (the kill switch), and at capacity a CRITICAL
event goes to the disk spool instead of being dropped. A background thread
(:mod:`huracan.ingest.writer`) writes batches of ``batch_size`` events or whatever
arrived within ``flush_interval_s`` to the sink. The batch API (``log_many``,
``log_arrow``) and its shedding live in :mod:`huracan.ingest.bulk`, mixed in here.

Example::

    >>> from huracan.ingest import EventLogger, MemorySink
    >>> from huracan.samples import sample_events
    >>> sink = MemorySink()
    >>> with EventLogger(sink) as log:
    ...     accepted = [log.log(e) for e in sample_events("signal", n=3)]
    >>> accepted, len(sink.events)
    ([True, True, True], 3)

The fill bound is soft by at most one event per concurrent producer (the length check
and the append are two steps); the tiers are decided on that same fill.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from operator import attrgetter
from pathlib import Path
from typing import Any

from huracan.config import IngestSettings
from huracan.events import EventBase
from huracan.ingest.batch import Batch, Chunk, build_batches
from huracan.ingest.bulk import BatchLogging
from huracan.ingest.counters import SeverityCounts, arrow_severity_counts, count_severities
from huracan.ingest.overflow import CriticalSpooler
from huracan.ingest.spool import Spool
from huracan.ingest.tiers import CRITICAL, SEVERITIES, SEVERITY_INDEX, TIER_HEALTH, Limits, Tier
from huracan.ingest.writer import Writer

__all__ = ["EventLogger", "TierListener"]

log = logging.getLogger("huracan.ingest")

#: Called as ``listener(old_tier, new_tier, fill)`` on the thread that saw the change;
#: it must be quick and must not log into the logger (the monitor only sets a flag).
TierListener = Callable[[Tier, Tier, int], None]


class EventLogger(BatchLogging):
    """Non-blocking event logging into any sink (see :mod:`huracan.ingest.sinks`).

    Args:
        sink: an object with ``write_events(list)``; ``write_arrow(type, table)`` too for
            :meth:`log_arrow`.
        settings: the ``ingest`` section of the settings (defaults when None).
        spool_dir: where events go when the sink fails or CRITICAL finds the queue full;
            without one, a failing sink's batches wait in memory and the queue sheds.
        clock: monotonic seconds; tests pass a controllable one.
        retry_attempts / retry_backoff_s: a failing write is retried this many times,
            sleeping ``backoff * 2**attempt`` between tries, before it is spooled.
        probe_interval_s: while the sink is down, how often the writer tries it again.
    """

    def __init__(
        self,
        sink: Any,
        settings: IngestSettings | None = None,
        *,
        spool_dir: str | Path | None = None,
        clock: Callable[[], float] = time.monotonic,
        retry_attempts: int = 3,
        retry_backoff_s: float = 0.05,
        probe_interval_s: float = 1.0,
    ) -> None:
        self.settings = settings or IngestSettings()
        s = self.settings
        self.sink = sink
        self.limits = Limits.from_ratios(s.queue_capacity, s.shed_debug_fill, s.kill_switch_fill)
        self.clock = clock
        self._q: deque[EventBase | Chunk] = deque()
        # Events held beyond one per queue item: the rest of each chunk, and the batches
        # the writer has taken but not yet handed off (acknowledged, or written to the
        # spool). So the fill that log() checks bounds every event held in memory, and a
        # SIGKILL of this process loses at most queue_capacity events (issue 14).
        self._extra = 0
        self._inflight = 0
        self._chunks = 0
        # log() takes the fast path below this fill; set to -1 on close so every call
        # goes through the slow path, which knows the logger is closed.
        self._fast_limit = self.limits.shed_debug
        self.batch_trigger = max(1, min(s.batch_size, self.limits.shed_debug))
        self._wake_at = self.batch_trigger - 1
        self._lock = threading.Lock()  # slow path, bulk admission, taking, tier state
        self.dropped = SeverityCounts()
        self.overflowed = SeverityCounts()  # CRITICAL that met a full queue: to the spool
        self._tier = Tier.OK
        self._tier_since = clock()
        self._kill_seconds = 0.0
        self.tier_entries = {Tier.SHED_DEBUG: 0, Tier.KILL_SWITCH: 0}
        self._listeners: list[TierListener] = []
        self._closed = False
        self._closed_drops_logged = False
        #: after close(): ``{"events": n, "where": "..."}`` when something was not delivered
        self.left: dict[str, Any] = {}
        #: a per-process spool (the client's) is removed by a close that delivered everything
        self.remove_spool_when_empty = False
        self.spool = Spool(spool_dir, int(s.spool_max_mb * 2**20)) if spool_dir is not None else None
        self.overflow = CriticalSpooler(self.spool, self._keep_in_memory) if self.spool is not None else None
        self.writer = Writer(
            self,
            sink,
            self.spool,
            batch_size=s.batch_size,
            flush_interval_s=s.flush_interval_s,
            retry_attempts=retry_attempts,
            retry_backoff_s=retry_backoff_s,
            probe_interval_s=probe_interval_s,
        )

    # -- the object API --------------------------------------------------------------
    def log(self, event: EventBase) -> bool:
        """Queue ``event`` for writing; never blocks, never raises on overload.

        Returns False when the event was shed (queue over a tier's threshold, or the
        logger is closed); a CRITICAL event is always kept (queue or spool).
        """
        q = self._q
        n = len(q) + self._extra
        if n < self._fast_limit:
            q.append(event)
            if n == self._wake_at:
                self.writer.wake()
            return True
        return self._log_slow(event, n)

    def _log_slow(self, event: EventBase, n: int) -> bool:
        idx = SEVERITY_INDEX[event.severity]
        if self._closed:
            return self._drop_closed(idx, 1)
        self.writer.wake()
        with self._lock:
            changed = self._observe(n)
            if self.limits.admits(n, idx):
                self._q.append(event)
                overflow = False
            elif idx == CRITICAL:
                self.overflowed.add_one(CRITICAL)
                overflow = True
            else:
                self.dropped.add_one(idx)
                return self._announce(changed, False)
        if overflow:
            self._overflow_events([event])
        return self._announce(changed, True)

    def log_internal(self, event: EventBase) -> bool:
        """Queue one of Huracan's own events about the queue (the monitor's alerts).

        Admitted whatever the fill, so the record of an overload survives the overload
        (a recovery notice is INFO and would otherwise be shed by the very queue it is
        about); the monitor sends a handful per check at most.
        """
        if self._closed:
            return self._drop_closed(SEVERITY_INDEX[event.severity], 1)
        self._q.append(event)
        self.writer.wake()
        return True

    # -- close helpers ---------------------------------------------------------------
    def _drop_closed(self, idx: int, k: int) -> bool:
        with self._lock:
            self.dropped.add_one(idx, k)
        if not self._closed_drops_logged:
            self._closed_drops_logged = True
            log.warning("EventLogger is closed: events logged after close() are dropped and counted")
        return False

    # -- tiers -----------------------------------------------------------------------
    def add_listener(self, listener: TierListener) -> None:
        """Call ``listener(old, new, fill)`` whenever the tier changes (see :data:`TierListener`)."""
        self._listeners.append(listener)

    def _observe(self, fill: int) -> tuple[Tier, Tier, int] | None:
        # Under self._lock. Returns the change for _announce to report outside the lock.
        tier = self.limits.tier(fill)
        old = self._tier
        if tier == old:
            return None
        now = self.clock()
        if old == Tier.KILL_SWITCH:
            self._kill_seconds += now - self._tier_since
        if tier > old:
            for t in (Tier.SHED_DEBUG, Tier.KILL_SWITCH):
                if old < t <= tier:
                    self.tier_entries[t] += 1
        self._tier, self._tier_since = tier, now
        return old, tier, fill

    def _announce(self, changed: tuple[Tier, Tier, int] | None, result: bool) -> bool:
        if changed is not None:
            for fn in self._listeners:
                try:
                    fn(*changed)
                except Exception:
                    log.exception("tier listener %r failed", fn)
        return result

    def observe_fill(self) -> None:
        """Re-evaluate the tier from the current fill (the writer calls it after draining)."""
        with self._lock:
            changed = self._observe(len(self._q) + self._extra)
        self._announce(changed, True)

    @property
    def tier(self) -> Tier:
        return self._tier

    @property
    def queued(self) -> int:
        """Events waiting in the queue (not counting batches being written)."""
        return len(self._q) + self._extra - self._inflight

    @property
    def in_memory(self) -> int:
        """Events held in this process and not yet handed off: queued plus being written.

        What a SIGKILL of this process would lose; never more than ``queue_capacity``
        (plus CRITICAL events kept in memory when the spool refused them).
        """
        return len(self._q) + self._extra

    def release(self, n: int) -> None:
        """The writer handed ``n`` taken events off (acknowledged or spooled)."""
        with self._lock:
            self._extra -= n
            self._inflight -= n

    # -- the writer's side -----------------------------------------------------------
    def take(self, max_events: int) -> list[Batch]:
        """Remove up to ``max_events`` (at least one item) from the queue as sink batches."""
        q = self._q
        with self._lock:
            if not q:
                return []
            if self._chunks == 0:
                items: list[EventBase | Chunk] = [q.popleft() for _ in range(min(len(q), max_events))]
            else:
                items, k = [], 0
                while q and k < max_events:
                    item = q.popleft()
                    if type(item) is Chunk:
                        if k and k + item.size > max_events:
                            q.appendleft(item)
                            break
                        self._extra -= item.size - 1
                        self._chunks -= 1
                        k += item.size
                    else:
                        k += 1
                    items.append(item)
            batches = build_batches(items, self.settings.batch_size)
            taken = 0
            for b in batches:
                self.writer.accepted.add(b.counts)
                taken += b.size
            # Still held (in flight) until the writer releases them.
            self._extra += taken
            self._inflight += taken
        return batches

    def _queued_by_severity(self) -> list[int]:
        for _ in range(5):
            try:
                items = list(self._q)
                break
            except RuntimeError:  # appended to mid-copy (a GC pause let a producer in); retry
                continue
        else:
            return [0] * len(SEVERITIES)
        out = [0] * len(SEVERITIES)
        singles = [i for i in items if type(i) is not Chunk]
        for sev, c in Counter(map(attrgetter("severity"), singles)).items():
            out[SEVERITY_INDEX[sev]] += c
        for ch in items:
            if type(ch) is Chunk:
                counts = arrow_severity_counts(ch.table) if ch.table is not None else count_severities(ch.events or [])
                out = [a + b for a, b in zip(out, counts, strict=True)]
        return out

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> EventLogger:
        """Start the background writer (replaying the spool first). Returns self."""
        if self._closed:
            raise RuntimeError("this EventLogger is closed; create a new one")
        self.writer.start()
        if self.overflow is not None:
            self.overflow.start()
        return self

    def flush(self, timeout: float | None = None) -> bool:
        """Write everything queued, and the spool, now. True when nothing is left pending.

        Blocks the caller (not other producers) until done or ``timeout`` seconds.
        Without a running writer the caller's thread does the writing.
        """
        if self.overflow is not None:
            self.overflow.drain()
        return self.writer.flush(timeout)

    def close(self, timeout: float | None = None) -> bool:
        """Stop accepting, drain the queue and the spool, stop the writer. Idempotent.

        Returns True if everything was written. Otherwise :attr:`left` says how many
        events were not delivered and where they are (the spool directory, fsynced, for
        the next process to send; or in memory with no spool), and a warning says so.
        """
        if self._closed:
            return not self.left
        self._closed = True
        self._fast_limit = -1
        if self.overflow is not None:
            self.overflow.stop()
        ok = self.writer.stop(timeout)
        left = self.pending()
        if self.spool is not None:
            try:
                self.spool.sync()  # what is left survives a power loss too
            except OSError as exc:
                log.error("could not fsync the spool at %s: %s", self.spool.directory, exc)
            by_sev = self.spool.stats()["pending_by_severity"]
            self.spool.close()
            if self.remove_spool_when_empty and not left:
                shutil.rmtree(self.spool.directory, ignore_errors=True)
        if left:
            where = (
                f"spooled in {self.spool.directory} ({', '.join(f'{k} {v}' for k, v in by_sev.items() if v)}); "
                "the next process that connects with this data directory sends them"
                if self.spool is not None and self.writer.held_events == 0
                else f"{self.writer.held_events} held in memory (no spool): lost when this process exits"
            )
            self.left = {"events": left, "where": where}
            log.warning("EventLogger closed with %d event(s) not delivered: %s", left, where)
        return ok and not left

    async def aflush(self, timeout: float | None = None) -> bool:
        """:meth:`flush` without blocking the event loop."""
        return await asyncio.to_thread(self.flush, timeout)

    async def aclose(self, timeout: float | None = None) -> bool:
        """:meth:`close` without blocking the event loop."""
        return await asyncio.to_thread(self.close, timeout)

    def pending(self) -> int:
        """Events not yet written: queued, held after a failed write, and spooled."""
        spooled = self.spool.pending if self.spool is not None and not self._spool_closed() else 0
        buffered = self.overflow.buffered if self.overflow is not None else 0
        return self.queued + self.writer.held_events + spooled + buffered

    def _spool_closed(self) -> bool:
        return bool(getattr(self.spool, "_closed", False))

    def __enter__(self) -> EventLogger:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- numbers ---------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        """Everything a monitor or a Prometheus scrape needs, as plain data."""
        w = self.writer
        with self._lock:
            queued = len(self._q) + self._extra - self._inflight
            in_flight = self._inflight
            in_queue = self._queued_by_severity()
            accepted = [a + b + c for a, b, c in zip(w.accepted.n, in_queue, self.overflowed.n, strict=True)]
            dropped = self.dropped.as_dict()
            tier, since = self._tier, self._tier_since
            kill_s = self._kill_seconds + (self.clock() - since if tier == Tier.KILL_SWITCH else 0.0)
            entries = {t.label: n for t, n in self.tier_entries.items()}
        spooled = [a + b for a, b in zip(w.spooled.n, self.overflowed.n, strict=True)]
        spool = self.spool.stats() if self.spool is not None and not self._spool_closed() else None
        return {
            "capacity": self.limits.capacity,
            "queued": queued,
            "in_flight": in_flight,
            "fill": round(queued / self.limits.capacity, 6),
            "tier": tier.label,
            "health": TIER_HEALTH[tier].value,
            "kill_switch": tier == Tier.KILL_SWITCH,
            "kill_switch_seconds": round(kill_s, 6),
            "tier_entries": entries,
            "accepted": dict(zip(SEVERITIES, accepted, strict=True)),
            "dropped": dropped,
            "written": w.written.as_dict(),
            "spooled": dict(zip(SEVERITIES, spooled, strict=True)),
            "accepted_total": sum(accepted),
            "dropped_total": sum(dropped.values()),
            "written_total": w.written.total,
            "spooled_total": sum(spooled),
            "replayed_total": w.replayed,
            "held_events": w.held_events,
            "critical_buffered": self.overflow.buffered if self.overflow is not None else 0,
            "batches": w.batches,
            "batch_latency_ms": w.latency.summary(),
            "sink_healthy": w.healthy,
            "write_errors": w.write_errors,
            "retries": w.retries,
            "last_error": w.last_error,
            "spool": spool,
            "running": w.running,
            "closed": self._closed,
        }
