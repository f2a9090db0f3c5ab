"""One query surface over the hot DuckDB tier and the cold Delta Lake archive.

Example::

    >>> from huracan.config import load_config
    >>> from huracan.samples import sample_events
    >>> import tempfile
    >>> with Store.open(load_config(data_dir=tempfile.mkdtemp())) as store:
    ...     store.write_events(list(sample_events("signal", n=3)))
    ...     store.query("SELECT count(*) AS n FROM v_signal")
    3
    [{'n': 3}]
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from huracan.config import Settings
from huracan.events import EVENT_TYPES, Event, EventBase
from huracan.store._views import RWLock, ViewState, install_views
from huracan.store.cold import ArchiveUnavailable, ColdArchive, ColdTable, archive_error
from huracan.store.hot import HotDB, table_name, view_name
from huracan.store.schema import arrow_schema, events_to_arrow, group_by_type, rows_to_events

if TYPE_CHECKING:
    from huracan.store.roll import RollReport

__all__ = ["Store", "StoreClosedError"]

log = logging.getLogger(__name__)

_ITER_BATCH = 10_000
#: While the archive is unreachable, how often a query may try it again (seconds).
COLD_RETRY_S = 15.0


class StoreClosedError(RuntimeError):
    """The store was used after :meth:`Store.close`."""


@contextmanager
def _archive_errors() -> Iterator[None]:
    # A view over an unreachable archive fails inside DuckDB: re-raise it as what it is.
    try:
        yield
    except duckdb.Error as exc:
        err = archive_error(exc)
        if err is None:
            raise
        raise err from None


def _utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (got naive {value.isoformat()}); use datetime.now(UTC)")
    return value.astimezone(UTC)


class Store:
    """The event store. Open it with :meth:`Store.open`.

    Thread-safe: every thread gets its own DuckDB cursor (a connection is not), and
    reads see a consistent pair of tiers even while :meth:`roll` runs.
    """

    def __init__(self, settings: Settings, hot: HotDB, cold: ColdArchive):
        self.settings = settings
        self.hot = hot
        self.cold = cold
        self.read_only = hot.read_only
        self._lock = RWLock()
        self._local = threading.local()
        # Weak: callers often drop cursor() results without closing them; close() still
        # closes whatever is alive, so the database file is released.
        self._cursors: weakref.WeakSet[duckdb.DuckDBPyConnection] = weakref.WeakSet()
        self._cursors_lock = threading.Lock()
        self._closed = False
        self._views = ViewState()
        self._cold_checked = 0.0
        self.refresh()

    @classmethod
    def open(cls, settings: Settings, read_only: bool = False) -> Store:
        """Open the store of ``settings``: read-write (the single writer) or read-only.

        DuckDB allows one read-write process or several read-only ones, never both; a
        conflicting open raises :class:`huracan.store.hot.StoreLockedError`.
        """
        s = settings.store
        hot = HotDB(
            settings.hot_db_path, read_only=read_only, memory_limit=s.duckdb_memory_limit, threads=s.duckdb_threads
        )
        try:
            cold = ColdArchive(settings.cold_uri)
            return cls(settings, hot, cold)
        except BaseException:
            hot.close()
            raise

    # --- lifecycle -----------------------------------------------------------------

    def close(self) -> None:
        """Close every cursor and the database; committed data is durable (WAL)."""
        if self._closed:
            return
        self._closed = True
        with self._cursors_lock:
            for cur in list(self._cursors):
                try:
                    cur.close()
                except duckdb.Error:
                    pass
            self._cursors.clear()
        self.hot.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosedError(f"the store at {self.hot.path} is closed; open it again with Store.open(settings)")

    @property
    def cold_error(self) -> str | None:
        """Why the cold archive is unreadable right now (queries over the views then fail), else None."""
        return self._views.cold_error

    @property
    def cold_tables(self) -> dict[str, ColdTable]:
        """The cold tables the views read now, by event type."""
        return dict(self._views.tables)

    # --- cursors and views ---------------------------------------------------------

    def refresh(self, types: list[str] | None = None) -> None:
        """Reload the cold tables (all, or only ``types``) and swap the views to them.

        The archive is read outside the lock (on S3 that takes round trips); only the
        swap holds it, so ingest never waits for the network.
        """
        self._check_open()
        if self._views.cold_error:
            types = None
        self._cold_checked = time.monotonic()
        try:
            loaded, error = self.cold.load_all(types), None
        except ArchiveUnavailable as exc:
            # Ingest keeps running; queries over the views fail with this until it is back.
            log.warning("%s", exc)
            loaded, error = {}, str(exc)
        self.swap_views(loaded, error, replace=types is None)

    def swap_views(
        self,
        tables: Mapping[str, ColdTable],
        error: str | None = None,
        *,
        replace: bool = False,
        before: Any = None,
    ) -> None:
        """Under the write lock: run ``before()`` (e.g. a hot commit), then show ``tables``.

        ``replace`` drops every table not in ``tables``; otherwise they update the current set.
        """
        with self._lock.write():
            if before is not None:
                before()
            prev = self._views
            merged = {} if error else dict(tables) if replace else {**prev.tables, **tables}
            cur = self.hot.con.cursor()
            try:
                self.hot.refresh_columns()
                self._views = ViewState.build(self.hot, cur, prev.generation + 1, merged, error)
            finally:
                cur.close()

    def _retry_cold(self) -> None:
        # Try an unreachable archive again, at most every COLD_RETRY_S, from a query (never
        # from ingest): the archive coming back needs no restart.
        if self._views.cold_error and time.monotonic() - self._cold_checked >= COLD_RETRY_S:
            self.refresh()

    def _new_cursor(self, types: list[str] | None = None) -> duckdb.DuckDBPyConnection:
        self._check_open()
        cur = self.hot.con.cursor()
        install_views(cur, self.hot, self.cold, self._views, types or list(EVENT_TYPES))
        return cur

    def _thread_cursor(self, slot: str = "internal") -> duckdb.DuckDBPyConnection:
        """This thread's cursor in ``slot``, with views of the current generation.

        The caller holds the read lock. The store's own calls use the "internal" slot and
        :meth:`cursor` the "public" one, so a caller reading a result from its cursor is
        never cut off by a ``store.query()`` on the same thread.
        """
        self._check_open()
        state: dict[str, Any] | None = getattr(self._local, slot, None)
        if state is None:
            cur = self.hot.con.cursor()
            state = {"cur": cur, "gen": -1}
            setattr(self._local, slot, state)
            with self._cursors_lock:
                self._cursors.add(cur)
        if state["gen"] != self._views.generation:
            # A result this thread left unread (fetchone) blocks re-registering the cold
            # datasets (DuckDB 2); asking for the cursor again means that read is over.
            try:
                state["cur"].abort()
            except duckdb.Error:
                pass
            install_views(state["cur"], self.hot, self.cold, self._views, list(EVENT_TYPES))
            state["gen"] = self._views.generation
        cur = state["cur"]
        return cur

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """The calling thread's own cursor, with every ``v_<type>`` view (current as of this call).

        Cheap to call per request: the cursor is made once per thread and kept. Read a
        result to the end before the next ``cursor().execute`` on the same thread. Closing
        it is allowed: the next call makes a new one.
        """
        self._retry_cold()
        with self._lock.read():
            cur = self._thread_cursor("public")
            try:
                cur.execute("SELECT 1").fetchall()
            except duckdb.ConnectionException:  # the caller closed it
                delattr(self._local, "public")
                cur = self._thread_cursor("public")
        return cur

    # --- writing -------------------------------------------------------------------

    def write_events(self, events: Sequence[EventBase]) -> int:
        """Append ``events`` (any mix of types) in one transaction: all of them or none.

        One Arrow insert per type; a SIGKILL at any point loses or keeps the whole batch.
        """
        groups = group_by_type(events)
        return self._insert({etype: events_to_arrow(group, etype) for etype, group in groups.items()})

    def _insert(self, tables: dict[str, pa.Table], also: Callable[[Any], None] | None = None) -> int:
        self._writable()
        tables = {t: tb for t, tb in tables.items() if tb.num_rows}
        if not tables and also is None:
            return 0
        with self._lock.read():
            cur = self._thread_cursor()
            if len(tables) == 1 and also is None:  # one statement is one transaction already
                [(etype, table)] = tables.items()
                return self.hot.insert(cur, etype, table)
            cur.begin()
            try:
                n = sum(self.hot.insert(cur, etype, table) for etype, table in tables.items())
                if also is not None:
                    also(cur)
                cur.commit()
            except BaseException:
                cur.rollback()
                raise
        return n

    def _writable(self) -> None:
        if self.read_only:
            raise PermissionError(
                f"the store at {self.hot.path} is open read-only; open it with Store.open(settings) to write"
            )

    def write_arrow(self, event_type: str, table: pa.Table) -> int:
        """Append rows already in ``event_type``'s Arrow schema (``day`` is derived if absent)."""
        self._writable()
        return self._insert({event_type: self._conform(event_type, table)})

    def write_tables(self, tables: Mapping[str, pa.Table], *, also: Callable[[Any], None] | None = None) -> int:
        """Append ``{event_type: table}`` (each as for :meth:`write_arrow`) in one transaction.

        The batch form of :meth:`write_arrow`: all of the tables or none, one commit.
        ``also(cursor)`` runs inside that transaction (the ingest loader records how far
        it has loaded its log there, so the rows and the mark commit together).
        """
        self._writable()
        return self._insert({etype: self._conform(etype, table) for etype, table in tables.items()}, also)

    def _conform(self, event_type: str, table: pa.Table) -> pa.Table:
        schema = arrow_schema(event_type)
        if table.schema.equals(schema):  # our own conversion's output: nothing to check but the type
            conformed = table
        else:
            if "day" not in table.column_names and "ts" in table.column_names:
                table = table.append_column("day", pc.cast(table.column("ts"), pa.date32()))
            names = set(table.column_names)
            missing = [n for n in schema.names if n not in names]
            extra = sorted(names - set(schema.names))
            if missing or extra:
                raise ValueError(
                    f"write_arrow({event_type!r}): columns do not match the type's schema; "
                    f"missing: {missing or 'none'}, unexpected: {extra or 'none'}. "
                    "Build the table with huracan.store.schema.events_to_arrow or arrow_schema()"
                )
            try:
                conformed = table.select(schema.names).cast(schema)
            except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError) as exc:
                raise ValueError(f"write_arrow({event_type!r}): a column has the wrong type: {exc}") from None
        if conformed.num_rows and not pc.all(pc.equal(conformed.column("type"), event_type)).as_py():
            raise ValueError(f"write_arrow({event_type!r}): the 'type' column holds other event types")
        return conformed

    # --- reading -------------------------------------------------------------------

    def query(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Run ``sql`` over the views; rows as dicts.

        >>> store.query("SELECT count(*) AS n FROM v_signal WHERE day = ?", [day])  # doctest: +SKIP
        """
        self._retry_cold()
        with self._lock.read(), _archive_errors():
            cur = self._thread_cursor()
            res = cur.execute(sql, params or [])
            cols = [d[0] for d in res.description or []]
            return [dict(zip(cols, row, strict=True)) for row in res.fetchall()]

    def arrow(self, sql: str, params: list[Any] | None = None) -> pa.Table:
        """Run ``sql`` over the views; the result as an Arrow table."""
        self._retry_cold()
        with self._lock.read(), _archive_errors():
            return self._thread_cursor().sql(sql, params=params or None).to_arrow_table()

    def iter_events(self, start: datetime, end: datetime, types: list[str] | None = None) -> Iterator[Event]:
        """Events with ``start <= ts < end`` from both tiers, upgraded, in ``ts`` order.

        Streams in batches: memory stays bounded for long ranges.
        """
        start, end = _utc(start, "start"), _utc(end, "end")
        chosen = list(EVENT_TYPES) if types is None else types
        for t in chosen:
            arrow_schema(t)  # a clear error for an unknown type, before any work
        streams = [self._iter_type(t, start, end) for t in chosen]
        yield from heapq.merge(*streams, key=lambda e: (e.ts, e.event_id))

    def _iter_type(self, etype: str, start: datetime, end: datetime) -> Iterator[Event]:
        sql = f"SELECT * FROM {view_name(etype)} WHERE day BETWEEN ? AND ? AND ts >= ? AND ts < ? ORDER BY ts, event_id"
        self._retry_cold()
        with self._lock.read(), _archive_errors():
            cur = self._new_cursor([etype])
            reader = cur.sql(sql, params=[start.date(), end.date(), start, end]).to_arrow_reader(batch_size=_ITER_BATCH)
        try:
            with _archive_errors():
                for batch in reader:
                    yield from rows_to_events(batch, etype)
        finally:
            reader.close()
            cur.close()

    def last_day(self) -> date | None:
        """The last UTC day with any event, in either tier."""
        self._retry_cold()
        days = [max(t.rows_by_day) for t in self._views.tables.values() if t.rows_by_day]
        parts = [f"SELECT max(day) AS d FROM {table_name(t)}" for t in EVENT_TYPES if table_name(t) in self.hot.columns]
        if parts:
            row = self.query(f"SELECT max(d) AS d FROM ({' UNION ALL '.join(parts)})")
            if row and row[0]["d"] is not None:
                days.append(row[0]["d"])
        if not days and self._views.cold_error:
            # Cold holds only days older than hot's: with hot empty the answer is in cold.
            raise ArchiveUnavailable(self._views.cold_error)
        return max(days) if days else None

    def counts(self, day: date | None = None) -> dict[str, int]:
        """Events per type over both tiers (on ``day`` only, when given)."""
        where, params = ("WHERE day = ?", [day]) if day else ("", [])
        parts = [f"SELECT '{t}' AS t, count(*) AS n FROM {view_name(t)} {where}" for t in EVENT_TYPES]
        rows = self.query(" UNION ALL ".join(parts), params * len(parts))
        return {r["t"]: int(r["n"]) for r in rows}

    def events_total(self) -> int:
        """Every event held, both tiers."""
        return sum(self.counts().values())

    def events_today(self, now: datetime | None = None) -> int:
        """Events of the current UTC day (the daemon's ``status``)."""
        return sum(self.counts(_utc(now or datetime.now(UTC), "now").date()).values())

    def roll(self, now: datetime | None = None) -> RollReport:
        """Move hot days older than ``store.hot_days`` to the cold archive; see :mod:`huracan.store.roll`."""
        from huracan.store.roll import roll

        return roll(self, now)
