"""What the logger writes to: any object with ``write_events`` (and, for Arrow batches,
``write_arrow``) — the :class:`~huracan.store.Store`, the daemon client, or
:class:`MemorySink` in tests and examples."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from huracan.events import EventBase

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["ArrowSink", "EventSink", "MemorySink", "has_arrow"]


@runtime_checkable
class EventSink(Protocol):
    """Takes a batch of validated events; raises if the batch was not stored."""

    def write_events(self, events: Sequence[EventBase]) -> Any: ...


@runtime_checkable
class ArrowSink(EventSink, Protocol):
    """Also takes Arrow tables of one event type (columns as in the store's schema)."""

    def write_arrow(self, event_type: str, table: pa.Table) -> Any: ...


def has_arrow(sink: object) -> bool:
    return callable(getattr(sink, "write_arrow", None))


class MemorySink:
    """Keeps every batch in memory. Thread-safe; handy in tests and examples.

    >>> sink = MemorySink()
    >>> sink.write_events([]); sink.events
    []
    """

    def __init__(self) -> None:
        self.events: list[EventBase] = []
        self.tables: list[tuple[str, pa.Table]] = []
        self.batches: list[int] = []  # size of each write, in order
        self._lock = threading.Lock()

    def write_events(self, events: Sequence[EventBase]) -> int:
        with self._lock:
            self.events.extend(events)
            self.batches.append(len(events))
        return len(events)

    def write_arrow(self, event_type: str, table: pa.Table) -> int:
        with self._lock:
            self.tables.append((event_type, table))
            self.batches.append(table.num_rows)
        return int(table.num_rows)

    @property
    def rows(self) -> int:
        """Events received, objects and Arrow rows together."""
        with self._lock:
            return len(self.events) + sum(t.num_rows for _, t in self.tables)
