"""What ``POST /v1/sql`` may run, and how (issue 13).

The endpoint answers any local process (and, with a token, remote ones), so it is built
so that a statement can read event data and nothing else:

1. **The database is locked down** when the daemon opens it (:func:`lock_down`):
   ``enable_external_access = false`` (no ``read_text``, ``read_csv``, ``glob``,
   ``COPY``, ``ATTACH``, ``INSTALL``/``LOAD``, replacement scans of file names), with
   the local cold archive as the only allowed directory (its views read Parquet by
   path), then ``lock_configuration = true`` so no ``SET``/``RESET``/``PRAGMA`` can undo
   it. Both settings are per database instance and one-way: they hold for every cursor.
2. **Every statement is checked before it runs** (:func:`check_statement`): exactly one
   statement, a ``SELECT``; every relation it names is an event view ``v_<type>`` (or
   the hot table ``ev_<type>`` under it, which ``store info`` counts) or a CTE the
   statement defines itself; the only table functions are :data:`TABLE_FUNCTIONS`.
   The check walks DuckDB's own parse tree (``json_serialize_sql``), not the text.
3. **Bounded cost** (:func:`run_bounded`): a statement is interrupted after
   ``api.sql_timeout_s`` and refused once its answer passes ``api.sql_max_rows``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from typing import Any

import duckdb
import pyarrow as pa

from huracan.events import EVENT_TYPES

__all__ = [
    "TABLE_FUNCTIONS",
    "SqlRefused",
    "SqlTimeout",
    "SqlTooLarge",
    "catalog_names",
    "check_statement",
    "event_relations",
    "lock_down",
    "run_bounded",
]

#: Table functions a read may use: they generate values, they touch no file or setting.
TABLE_FUNCTIONS = frozenset({"unnest", "range", "generate_series"})

#: Table references whose target the parse tree does not spell out as a relation.
_OPAQUE_REFS = frozenset({"SHOW_REF", "PIVOT", "COLUMN_DATA", "DELIM_GET", "BOUND_TABLE_REF"})

_HINT = "the SQL endpoint reads the event views only (v_<type>, e.g. SELECT count(*) FROM v_signal)"


class SqlRefused(PermissionError):
    """The statement is not a read of the event views; the message says what was refused."""


class SqlTimeout(TimeoutError):
    """The statement ran longer than ``api.sql_timeout_s`` and was interrupted."""


class SqlTooLarge(ValueError):
    """The answer has more rows than ``api.sql_max_rows``."""


def event_relations() -> frozenset[str]:
    """The relation names a statement may read: ``v_<type>`` and ``ev_<type>`` of every event type."""
    return frozenset(f"{prefix}_{t}" for t in EVENT_TYPES for prefix in ("v", "ev"))


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def lock_down(con: duckdb.DuckDBPyConnection, allowed_dirs: Iterable[str] = ()) -> None:
    """Disable file and network access for the whole database instance of ``con``, then lock its configuration.

    ``allowed_dirs`` stay readable (the local cold archive, which the views read by path).
    Irreversible for the life of the instance: call it once, after the store is open.
    """
    dirs = [d.rstrip("/") + "/" for d in allowed_dirs]
    if dirs:
        con.execute(f"SET allowed_directories = [{', '.join(_literal(d) for d in dirs)}]")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _qualified(ref: dict[str, Any]) -> str:
    return ".".join(p for p in (ref.get("catalog_name"), ref.get("schema_name"), ref.get("table_name")) if p)


def check_statement(con: duckdb.DuckDBPyConnection, sql: str, catalog: Iterable[str] = ()) -> None:
    """Raise :class:`SqlRefused` unless ``sql`` is one ``SELECT`` over the event relations.

    ``catalog`` holds the names of every table and view that exist (CTE names may not
    reuse one: a reference outside the CTE's scope would reach the real table).
    """
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise SqlRefused(f"the statement does not parse: {exc}") from None
    if len(statements) != 1:
        raise SqlRefused(f"send exactly one statement (got {len(statements)}); {_HINT}")
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        name = getattr(kind, "name", str(kind))
        raise SqlRefused(f"only a read-only SELECT is allowed on /v1/sql (got {name}); {_HINT}")
    rows = con.execute("SELECT json_serialize_sql(?)", [sql]).fetchall()
    tree = json.loads(rows[0][0]) if rows else {"error": True, "error_message": "no parse tree"}
    if tree.get("error"):
        # PIVOT/UNPIVOT, SUMMARIZE, DESCRIBE and the like parse as SELECT but have no tree.
        raise SqlRefused(f"this form of SELECT cannot be checked ({tree.get('error_message')}); {_HINT}")
    nodes = list(_walk(tree["statements"]))
    ctes = {entry["key"] for n in nodes if isinstance(n.get("cte_map"), dict) for entry in n["cte_map"]["map"]}
    existing = {c.lower() for c in catalog}
    clash = sorted(c for c in ctes if c.lower() in existing)
    if clash:
        raise SqlRefused(f"a WITH name may not reuse a table or view name: {', '.join(clash)}; rename it")
    allowed = event_relations()
    for n in nodes:
        if n.get("type") in _OPAQUE_REFS:
            raise SqlRefused(f"DESCRIBE, SUMMARIZE, SHOW and PIVOT are not available here; {_HINT}")
        if n.get("type") == "BASE_TABLE":
            name = n.get("table_name", "")
            if n.get("catalog_name") or n.get("schema_name") or (name not in allowed and name not in ctes):
                raise SqlRefused(f"reading {_qualified(n)!r} is not allowed; {_HINT}")
        elif n.get("type") == "TABLE_FUNCTION":
            fn = (n.get("function") or {}).get("function_name", "?")
            if fn.lower() not in TABLE_FUNCTIONS:
                raise SqlRefused(
                    f"table function {fn}() is not allowed (only {', '.join(sorted(TABLE_FUNCTIONS))}); {_HINT}"
                )


def catalog_names(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Every table and view name visible to ``con`` (any schema, temp included)."""
    rows = con.execute("SELECT table_name FROM duckdb_tables() UNION SELECT view_name FROM duckdb_views()").fetchall()
    return {r[0] for r in rows}


def run_bounded(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    params: list[Any] | None,
    *,
    timeout_s: float,
    max_rows: int,
) -> pa.Table:
    """Run a checked ``sql`` on ``con``; interrupt it after ``timeout_s``, refuse more than ``max_rows`` rows."""
    done = threading.Event()
    lock = threading.Lock()
    fired = threading.Event()

    def interrupt() -> None:
        with lock:  # never interrupt the next statement on this cursor
            if not done.is_set():
                fired.set()
                con.interrupt()

    timer = threading.Timer(timeout_s, interrupt)
    timer.daemon = True
    timer.start()
    try:
        reader = con.sql(sql, params=params or None).to_arrow_reader(min(max_rows + 1, 100_000))
        batches, rows = [], 0
        for batch in reader:
            rows += batch.num_rows
            if rows > max_rows:
                reader.close()
                raise SqlTooLarge(
                    f"the answer has more than {max_rows:,} rows (api.sql_max_rows); "
                    "aggregate, filter by day, or add a LIMIT"
                )
            batches.append(batch)
        return pa.Table.from_batches(batches, schema=reader.schema)
    except duckdb.InterruptException:
        if fired.is_set():
            raise SqlTimeout(
                f"the query ran longer than {timeout_s:g} s (api.sql_timeout_s) and was stopped; "
                "narrow it (filter by day) or raise api.sql_timeout_s"
            ) from None
        raise
    finally:
        with lock:
            done.set()
        timer.cancel()
