"""What travels through the logger's queue and what the writer hands to the sink.

The queue holds single events (the object API) and :class:`Chunk` items (the batch
API: one item per ``log_many`` list or ``log_arrow`` table, so a bulk producer pays one
append, not one per event). The writer turns what it takes into :class:`Batch` es: runs
of events for ``write_events`` and tables for ``write_arrow``, in queue order, each at
most ``batch_size`` events, each with its severity counts computed once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import pyarrow as pa

from huracan.events import EventBase
from huracan.ingest.counters import arrow_severity_counts, count_severities

__all__ = ["Batch", "Chunk", "build_batches"]


@dataclass(slots=True)
class Chunk:
    """Many events queued as one item: a list of events or an Arrow table of one type."""

    size: int
    events: list[EventBase] | None = None
    table: pa.Table | None = None
    event_type: str | None = None


@dataclass(slots=True)
class Batch:
    """One sink call: ``write_events(events)`` or ``write_arrow(event_type, table)``."""

    kind: Literal["events", "arrow"]
    counts: list[int]
    events: list[EventBase] = field(default_factory=list)
    table: pa.Table | None = None
    event_type: str | None = None

    @property
    def size(self) -> int:
        return len(self.events) if self.kind == "events" else int(self.table.num_rows if self.table else 0)

    def write_to(self, sink: Any) -> None:
        if self.kind == "events":
            sink.write_events(self.events)
        else:
            sink.write_arrow(self.event_type, self.table)


def build_batches(items: Iterable[EventBase | Chunk], batch_size: int) -> list[Batch]:
    """Group queue items into sink calls, keeping their order.

    >>> from huracan.samples import sample_events
    >>> evs = list(sample_events("signal", n=5))
    >>> [b.size for b in build_batches([evs[0], Chunk(4, events=evs[1:])], batch_size=3)]
    [3, 2]
    """
    out: list[Batch] = []
    run: list[EventBase] = []

    def close_run() -> None:
        for i in range(0, len(run), batch_size):
            part = run[i : i + batch_size]
            out.append(Batch("events", count_severities(part), events=part))
        run.clear()

    for item in items:
        if type(item) is not Chunk:
            run.append(item)  # type: ignore[arg-type]
        elif item.events is not None:
            run.extend(item.events)
        else:
            close_run()
            table = item.table
            assert table is not None
            for start in range(0, table.num_rows, batch_size):
                part = table.slice(start, batch_size)
                out.append(Batch("arrow", arrow_severity_counts(part), table=part, event_type=item.event_type))
    close_run()
    return out
