"""Cheap counters for the logger: per-severity tallies and a batch-latency window."""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Mapping
from operator import attrgetter

import pyarrow as pa
import pyarrow.compute as pc

from huracan.events import EventBase
from huracan.ingest.tiers import SEVERITIES, SEVERITY_INDEX

__all__ = ["LatencyWindow", "SeverityCounts", "arrow_severity_counts", "count_severities"]

_severity = attrgetter("severity")


def count_severities(events: Iterable[EventBase]) -> list[int]:
    """Events per severity index, counted at C speed (``Counter`` over ``attrgetter``)."""
    out = [0] * len(SEVERITIES)
    for sev, n in Counter(map(_severity, events)).items():
        out[SEVERITY_INDEX[sev]] += n
    return out


def arrow_severity_counts(table: pa.Table) -> list[int]:
    """Rows per severity index of a table's ``severity`` column (vectorised)."""
    out = [0] * len(SEVERITIES)
    for item in pc.value_counts(table.column("severity")).to_pylist():
        out[SEVERITY_INDEX[item["values"]]] += int(item["counts"])
    return out


class SeverityCounts:
    """Five integers, one per severity. Not locked: each instance has one writer at a time.

    >>> c = SeverityCounts(); c.add([0, 2, 0, 0, 1]); c.add_one(4); c.as_dict()["CRITICAL"], c.total
    (2, 4)
    """

    __slots__ = ("n",)

    def __init__(self) -> None:
        self.n = [0] * len(SEVERITIES)

    def add(self, counts: Iterable[int]) -> None:
        for i, k in enumerate(counts):
            self.n[i] += k

    def add_one(self, index: int, k: int = 1) -> None:
        self.n[index] += k

    @property
    def total(self) -> int:
        return sum(self.n)

    def as_dict(self) -> dict[str, int]:
        return dict(zip(SEVERITIES, self.n, strict=True))

    @staticmethod
    def from_mapping(m: Mapping[str, int]) -> list[int]:
        return [int(m.get(s, 0)) for s in SEVERITIES]


class LatencyWindow:
    """The last ``size`` batch write durations; last / p50 / p99 / max in milliseconds."""

    def __init__(self, size: int = 1024) -> None:
        self._d: deque[float] = deque(maxlen=size)

    def add(self, seconds: float) -> None:
        self._d.append(seconds)

    def summary(self) -> dict[str, float | None]:
        data = sorted(self._d)
        if not data:
            return {"last": None, "p50": None, "p99": None, "max": None}

        def pct(q: float) -> float:
            return round(data[min(len(data) - 1, int(q * len(data)))] * 1000.0, 3)

        return {"last": round(self._d[-1] * 1000.0, 3), "p50": pct(0.50), "p99": pct(0.99), "max": pct(1.0)}
