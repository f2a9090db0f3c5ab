"""The EventLogger's batch API: ``log_many``, ``log_arrow``, ``log_dicts``, and where their shed CRITICAL goes.

:class:`BatchLogging` is a mixin of :class:`~huracan.ingest.logger.EventLogger`; it holds
no state of its own. A batch that fits under the DEBUG threshold is queued as one
:class:`~huracan.ingest.batch.Chunk`; over it the tier rules of
:func:`~huracan.ingest.tiers.admit_batch` apply event by event (vectorised), and
CRITICAL events that meet a full queue go to the disk spool (or, without one, stay in
memory past capacity) — exactly as :meth:`EventLogger.log` treats single events.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import ValidationError

from huracan.events import EVENT_TYPES, EventBase, format_validation_error, future_cutoff, parse_event
from huracan.ingest.batch import Chunk
from huracan.ingest.counters import SeverityCounts
from huracan.ingest.overflow import CriticalSpooler
from huracan.ingest.sinks import has_arrow
from huracan.ingest.tiers import CRITICAL, SEVERITIES, SEVERITY_INDEX, Limits, Tier, admit_batch

if TYPE_CHECKING:  # the writer module imports the logger, which imports this one
    from huracan.ingest.writer import Writer

__all__ = ["BatchLogging"]

_SEVERITY_VALUES = pa.array(SEVERITIES)


class BatchLogging:
    """Bulk admission into the EventLogger's queue (mixed into :class:`EventLogger`).

    The attributes and methods declared below are the EventLogger's; they are named
    here so the type checker can follow the mixin.
    """

    sink: Any
    limits: Limits
    writer: Writer
    overflow: CriticalSpooler | None
    dropped: SeverityCounts
    overflowed: SeverityCounts
    _q: deque[EventBase | Chunk]
    _extra: int
    _chunks: int
    _lock: threading.Lock
    _closed: bool
    _drop_closed: Callable[[int, int], bool]
    _observe: Callable[[int], tuple[Tier, Tier, int] | None]
    _announce: Callable[[tuple[Tier, Tier, int] | None, bool], bool]

    def log_many(self, events: Sequence[EventBase]) -> int:
        """Queue many events as one item; returns how many were accepted.

        Below the DEBUG threshold this costs one append whatever the length; over it
        the tier rules apply event by event (vectorised), exactly as for :meth:`log`.
        """
        k = len(events)
        if k == 0:
            return 0
        if self._closed:
            for sev, c in Counter(map(attrgetter("severity"), events)).items():
                self._drop_closed(SEVERITY_INDEX[sev], c)
            return 0
        with self._lock:
            n = len(self._q) + self._extra
            if n + k <= self.limits.shed_debug:
                self._put_chunk(Chunk(k, events=list(events)))
                changed = None
                kept, overflow = k, []
            else:
                ranks = np.fromiter((SEVERITY_INDEX[e.severity] for e in events), np.int8, k)
                mask, full_at = admit_batch(ranks, n, self.limits)
                admitted = [e for e, m in zip(events, mask.tolist(), strict=True) if m]
                overflow = [e for e in events[full_at:] if SEVERITY_INDEX[e.severity] == CRITICAL]
                lost = ranks[~mask]
                for i, c in enumerate(np.bincount(lost, minlength=len(SEVERITIES)).tolist()):
                    self.dropped.add_one(i, c)
                self.dropped.add_one(CRITICAL, -len(overflow))
                self.overflowed.add_one(CRITICAL, len(overflow))
                if admitted:
                    self._put_chunk(Chunk(len(admitted), events=admitted))
                kept = len(admitted)
                changed = self._observe(n + kept)
        self.writer.wake()
        if overflow:
            self._overflow_events(overflow)
        self._announce(changed, True)
        return kept + len(overflow)

    def log_arrow(self, event_type: str, table: pa.Table) -> int:
        """Queue an Arrow table of one event type (columns as the store's schema).

        Tier rules apply to its ``severity`` column. Returns the rows accepted. Raises
        ValueError / TypeError for a table or sink that cannot work — never for overload.
        """
        if event_type not in EVENT_TYPES:
            raise ValueError(f"log_arrow: unknown event type {event_type!r}; known: {', '.join(sorted(EVENT_TYPES))}")
        if not has_arrow(self.sink):
            raise TypeError(
                f"log_arrow needs a sink with write_arrow(event_type, table); {type(self.sink).__name__} has "
                "none — use log_many(events) instead"
            )
        if "severity" not in table.column_names:
            raise ValueError(f"log_arrow({event_type!r}): the table has no 'severity' column: {table.column_names}")
        k = table.num_rows
        if k == 0:
            return 0
        idx = pc.index_in(table.column("severity"), value_set=_SEVERITY_VALUES)
        if idx.null_count:
            bad = pc.unique(pc.filter(table.column("severity"), pc.is_null(idx))).to_pylist()[:5]
            raise ValueError(f"log_arrow({event_type!r}): unknown severity values {bad}; expected one of {SEVERITIES}")
        if "ts" in table.column_names:
            latest = pc.max(table.column("ts")).as_py()
            if latest is not None and latest.tzinfo is not None and latest > future_cutoff():
                raise ValueError(
                    f"log_arrow({event_type!r}): ts {latest.isoformat()} is in the future beyond the clock-skew "
                    "allowance (ingest.max_clock_skew_s); fix the producer's clock or the ts column"
                )
        if self._closed:
            for i, c in enumerate(np.bincount(idx.to_numpy(), minlength=len(SEVERITIES)).tolist()):
                self._drop_closed(i, c)
            return 0
        overflow: pa.Table | None = None
        with self._lock:
            n = len(self._q) + self._extra
            if n + k <= self.limits.shed_debug:
                self._put_chunk(Chunk(k, table=table, event_type=event_type))
                kept, changed = k, None
            else:
                ranks = idx.to_numpy().astype(np.int8)
                mask, full_at = admit_batch(ranks, n, self.limits)
                spill = np.zeros(k, dtype=np.bool_)
                spill[full_at:] = ranks[full_at:] == CRITICAL
                for i, c in enumerate(np.bincount(ranks[~mask & ~spill], minlength=len(SEVERITIES)).tolist()):
                    self.dropped.add_one(i, c)
                kept = int(mask.sum())
                if kept:
                    self._put_chunk(Chunk(kept, table=table.filter(pa.array(mask)), event_type=event_type))
                if spill.any():
                    overflow = table.filter(pa.array(spill))
                    self.overflowed.add_one(CRITICAL, overflow.num_rows)
                changed = self._observe(n + kept)
        self.writer.wake()
        if overflow is not None:
            self._overflow_arrow(event_type, overflow)
        self._announce(changed, True)
        return kept + (overflow.num_rows if overflow is not None else 0)

    def log_dicts(self, payloads: Sequence[Mapping[str, Any]]) -> int:
        """Validate plain event payloads and queue them; returns how many were accepted.

        Each payload is what the event's JSON holds (``{"type": "signal", "symbol": ...}``),
        with datetimes as aware ``datetime`` objects (or ISO text). The generated msgspec
        decoder (:mod:`huracan.daemon.wire`) checks a whole batch against the schemas of
        :mod:`huracan.events` and turns it into Arrow tables without building an object per
        event — the fastest way in (issue 14). When it cannot vouch for the batch, each
        payload is validated as an event object instead, with the same rules; an invalid
        payload raises ``ValueError`` naming every bad one, and nothing of the batch is queued.
        """
        if not payloads:
            return 0
        tables = None
        if has_arrow(self.sink) and not self._closed:
            from huracan.daemon.wire import convert_payloads

            tables = convert_payloads(payloads)
        if tables is not None:
            return sum(self.log_arrow(etype, table) for etype, table in tables.items())
        events, errors = [], []
        for i, p in enumerate(payloads):
            try:
                events.append(parse_event(dict(p)))
            except ValidationError as exc:
                errors.append(f"payload {i}: " + "; ".join(format_validation_error(exc)))
            except ValueError as exc:
                errors.append(f"payload {i}: {exc}")
        if errors:
            more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
            raise ValueError(
                f"log_dicts: {len(errors)} invalid payload(s), none queued: " + " | ".join(errors[:5]) + more
            )
        return self.log_many(events)

    def _put_chunk(self, chunk: Chunk) -> None:
        # Under self._lock: _extra and the chunk must appear together for _take.
        self._q.append(chunk)
        self._extra += chunk.size - 1
        self._chunks += 1

    # -- CRITICAL overflow: spool, or memory as the last resort -----------------------
    def _overflow_events(self, events: list[EventBase]) -> None:
        if self.overflow is not None:
            self.overflow.put(list(events))
        else:
            self._keep_in_memory(list(events))

    def _overflow_arrow(self, event_type: str, table: pa.Table) -> None:
        if self.overflow is not None:
            self.overflow.put((event_type, table))
        else:
            self._keep_in_memory((event_type, table))

    def _keep_in_memory(self, item: list[EventBase] | tuple[str, pa.Table]) -> None:
        # Never drop CRITICAL: past capacity in memory is the last resort (no spool, or
        # the spool refused them).
        with self._lock:
            if isinstance(item, list):
                self.overflowed.add_one(CRITICAL, -len(item))
                self._put_chunk(Chunk(len(item), events=item))
            else:
                self.overflowed.add_one(CRITICAL, -item[1].num_rows)
                self._put_chunk(Chunk(item[1].num_rows, table=item[1], event_type=item[0]))
