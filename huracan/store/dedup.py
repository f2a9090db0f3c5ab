"""Exactly once in the store: which event ids of a batch are already held.

Every batch the loader writes goes through :class:`IdIndex` first (issue 14), so any
resend — a restarted producer, a torn spool, a retried request, a log replayed after a
crash — lands once. The index holds, per UTC day, the 64-bit DuckDB ``hash(event_id)``
of every stored event of that day (8 bytes an event, in sorted numpy runs), loaded
lazily from the store the first time a day is seen and kept for the ``max_days`` most
recently used days. A hash hit is only a candidate: it is confirmed against the stored
ids of that type and day before anything is dropped, so a collision never loses an event.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["IdIndex", "first_occurrences"]

log = logging.getLogger("huracan.store.dedup")

#: ``stored_hashes(day) -> uint64 hashes`` of every event held for a UTC day (days since epoch).
DayLoader = Callable[[int], np.ndarray]
#: ``stored_ids(event_type, days, candidate_ids) -> ids among them the store holds``.
IdConfirmer = Callable[[str, list[int], list[str]], set[str]]

_MAX_RUNS = 8


def first_occurrences(table: pa.Table, hashes: np.ndarray | None = None) -> pa.Table:
    """``table`` keeping only the first row of each ``event_id`` (a batch resent within itself).

    With the ids' ``hashes``: distinct hashes mean distinct ids, which settles the usual
    case in a numpy sort instead of an exact count.
    """
    ids = table.column("event_id")
    if hashes is not None and np.unique(hashes).size == table.num_rows:
        return table
    if pc.count_distinct(ids).as_py() == table.num_rows:
        return table
    firsts = (
        pa.table({"id": ids, "i": pa.array(np.arange(table.num_rows))})
        .group_by("id", use_threads=False)
        .aggregate([("i", "min")])
        .column("i_min")
    )
    return table.take(pa.array(np.sort(firsts.to_numpy())))


class _Day:
    """One day's hashes: a few sorted runs, merged when there are too many."""

    __slots__ = ("runs",)

    def __init__(self, hashes: np.ndarray) -> None:
        self.runs: list[np.ndarray] = [np.sort(hashes)] if hashes.size else []

    def contains(self, h: np.ndarray) -> np.ndarray:
        hit = np.zeros(h.size, dtype=np.bool_)
        for run in self.runs:
            i = np.searchsorted(run, h)
            i[i == run.size] = 0
            hit |= run[i] == h
        return hit

    def add(self, h: np.ndarray) -> None:
        if h.size:
            self.runs.append(np.sort(h))
        if len(self.runs) > _MAX_RUNS:
            self.runs = [np.sort(np.concatenate(self.runs))]

    @property
    def size(self) -> int:
        return sum(r.size for r in self.runs)


class IdIndex:
    """Per-day hashes of stored event ids; :meth:`new_rows` filters a batch down to new events.

    Not thread-safe: the loader is its only user.
    """

    def __init__(self, stored_hashes: DayLoader, stored_ids: IdConfirmer, *, max_days: int = 10) -> None:
        self._stored_hashes = stored_hashes
        self._stored_ids = stored_ids
        self.max_days = max_days
        self._days: OrderedDict[int, _Day] = OrderedDict()
        self._con = duckdb.connect(":memory:", config={"threads": 1})
        #: events dropped as already stored, since start
        self.duplicates = 0

    def hashes(self, ids: pa.Array | pa.ChunkedArray) -> np.ndarray:
        """DuckDB's ``hash()`` of each id (the same function the store's own query uses)."""
        batch = pa.table({"event_id": ids})  # noqa: F841 - read by DuckDB's replacement scan
        out = self._con.execute("SELECT hash(event_id) AS h FROM batch").fetchnumpy()["h"]
        return np.asarray(out, dtype=np.uint64)

    def _day(self, day: int) -> _Day:
        entry = self._days.get(day)
        if entry is None:
            entry = _Day(self._stored_hashes(day))
            self._days[day] = entry
            while len(self._days) > self.max_days:
                self._days.popitem(last=False)
        else:
            self._days.move_to_end(day)
        return entry

    def new_rows(self, event_type: str, table: pa.Table) -> tuple[pa.Table, np.ndarray, np.ndarray]:
        """``table`` without the events already stored (and without repeats within it).

        Returns (new rows, their days, their hashes); pass the last two to :meth:`add`
        once the rows are committed.
        """
        n = table.num_rows
        hashes = self.hashes(table.column("event_id"))
        table = first_occurrences(table, hashes)
        if table.num_rows < n:
            self.duplicates += n - table.num_rows
            hashes = self.hashes(table.column("event_id"))
        days = table.column("day").cast(pa.int32()).to_numpy()
        maybe = np.zeros(table.num_rows, dtype=np.bool_)
        for day in np.unique(days).tolist():
            sel = days == day
            maybe[sel] = self._day(day).contains(hashes[sel])
        if maybe.any():
            cand_idx = np.flatnonzero(maybe)
            ids = table.column("event_id").take(pa.array(cand_idx)).to_pylist()
            stored = self._stored_ids(event_type, np.unique(days[cand_idx]).tolist(), ids)
            dup = np.zeros(table.num_rows, dtype=np.bool_)
            if stored:
                dup[cand_idx] = [i in stored for i in ids]
            if dup.any():
                self.duplicates += int(dup.sum())
                keep = ~dup
                table, days, hashes = table.filter(pa.array(keep)), days[keep], hashes[keep]
        return table, days, hashes

    def add(self, days: np.ndarray, hashes: np.ndarray) -> None:
        """Record committed rows (days as days since the epoch)."""
        for day in np.unique(days).tolist():
            if day in self._days:
                self._days[day].add(hashes[days == day])
            # a day not loaded yet reads these rows from the store when first needed

    def forget(self, days: Iterable[int] | None = None) -> None:
        """Drop cached days (all of them by default): they are re-read when next needed."""
        if days is None:
            self._days.clear()
        else:
            for d in days:
                self._days.pop(d, None)

    @property
    def held(self) -> int:
        """Hashes held in memory."""
        return sum(d.size for d in self._days.values())

    def close(self) -> None:
        self._con.close()
