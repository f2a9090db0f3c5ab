"""The hot tier: one DuckDB file with one table ``ev_<type>`` per event type.

Tables carry no primary key or index: DuckDB's per-row-group min/max (zonemaps) on
``day`` and ``ts`` already skip the data a time filter excludes, and a unique index
would make every insert pay a lookup. Rows go in sorted by ``ts`` (see
:func:`huracan.store.schema.events_to_arrow`), which keeps those zonemaps tight.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from huracan.events import EVENT_TYPES
from huracan.store.schema import arrow_schema

__all__ = ["HotDB", "StoreLockedError", "sql_type", "table_name", "view_name"]


class StoreLockedError(RuntimeError):
    """Another process holds the hot DuckDB file read-write."""


_SQL_TYPES: dict[pa.DataType, str] = {
    pa.string(): "VARCHAR",
    pa.float64(): "DOUBLE",
    pa.int64(): "BIGINT",
    pa.int32(): "INTEGER",
    pa.bool_(): "BOOLEAN",
    pa.timestamp("us", tz="UTC"): "TIMESTAMPTZ",
    pa.date32(): "DATE",
}


def sql_type(t: pa.DataType) -> str:
    """The DuckDB column type for an Arrow type of our schemas."""
    try:
        return _SQL_TYPES[t]
    except KeyError:
        raise TypeError(f"no DuckDB type mapped for Arrow type {t}") from None


def table_name(event_type: str) -> str:
    return f"ev_{event_type}"


def view_name(event_type: str) -> str:
    return f"v_{event_type}"


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def empty_select(schema: pa.Schema) -> str:
    """A ``SELECT`` of typed NULLs returning no rows: stands in for a missing table."""
    cols = ", ".join(f"CAST(NULL AS {sql_type(f.type)}) AS {quote(f.name)}" for f in schema)
    return f"SELECT {cols} WHERE false"


class HotDB:
    """The DuckDB connection of the hot tier and the shape of its tables.

    Read-write opens create and migrate the tables (new fields become new nullable
    columns; a dropped field's column stays, so old rows stay upgradable). A read-only
    open of a file that does not exist yet works on an empty in-memory database, so
    a fresh install can still read its cold archive.
    """

    def __init__(self, path: Path, *, read_only: bool = False, memory_limit: str = "2GB", threads: int = 2):
        self.path = path
        self.read_only = read_only
        config: dict[str, Any] = {"memory_limit": memory_limit, "threads": threads}
        target = str(path)
        if read_only and not path.exists():
            target = ":memory:"
        elif not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(target, read_only=read_only and target != ":memory:", config=config)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise StoreLockedError(
                    f"the hot store {path} is open read-write in another process (usually the daemon): {exc}\n"
                    "Read through the daemon (`huracan.daemon.access`), or stop it to open the file directly."
                ) from None
            raise
        self.columns: dict[str, list[str]] = {}
        if not read_only:
            self._create_tables()
        self.refresh_columns()

    def _create_tables(self) -> None:
        for etype in EVENT_TYPES:
            schema = arrow_schema(etype)
            cols = ", ".join(f"{quote(f.name)} {sql_type(f.type)}" for f in schema)
            self.con.execute(f"CREATE TABLE IF NOT EXISTS {table_name(etype)} ({cols})")
            have = {
                r[0]
                for r in self.con.execute(
                    "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND schema_name = 'main'",
                    [table_name(etype)],
                ).fetchall()
            }
            for f in schema:
                if f.name not in have:  # a field added by a newer schema version
                    self.con.execute(f"ALTER TABLE {table_name(etype)} ADD COLUMN {quote(f.name)} {sql_type(f.type)}")

    def refresh_columns(self) -> None:
        """Re-read which tables exist and their columns."""
        rows = self.con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() "
            "WHERE schema_name = 'main' AND table_name LIKE 'ev\\_%' ESCAPE '\\' ORDER BY table_name, column_index"
        ).fetchall()
        cols: dict[str, list[str]] = {}
        for tname, cname in rows:
            cols.setdefault(tname, []).append(cname)
        self.columns = cols

    def source(self, event_type: str) -> str:
        """The hot tier's table expression for ``event_type`` (an empty select if absent)."""
        name = table_name(event_type)
        if name in self.columns:
            return f"SELECT * FROM {name}"
        return empty_select(arrow_schema(event_type))

    def insert(self, cur: duckdb.DuckDBPyConnection, event_type: str, table: pa.Table) -> int:
        """Append ``table`` (columns matched by name) to ``ev_<type>``; one statement, one commit."""
        if self.read_only:
            raise PermissionError(
                f"the store at {self.path} is open read-only; open it with Store.open(settings) to write"
            )
        name = f"_huracan_batch_{id(table):x}"
        cur.register(name, table)
        try:
            cur.execute(f"INSERT INTO {table_name(event_type)} BY NAME SELECT * FROM {name}")
        finally:
            cur.unregister(name)
        return table.num_rows

    def close(self) -> None:
        self.con.close()
