"""The JSON body of ``POST /v1/sql?format=json``: every DuckDB type as plain JSON.

The body is ``{"columns": [...], "types": [...], "rows": [[...], ...]}``: ``types`` are
the Arrow types of the columns, and each value is encoded as follows.

==========================  =====================================================
DuckDB type                 JSON value
==========================  =====================================================
BOOLEAN, integers, DOUBLE   number / boolean; NaN and ±Infinity become ``null``
DECIMAL, HUGEINT            string, exact (``"12.30"``): a float would round it
                            (DuckDB hands HUGEINT to Arrow as DECIMAL(38, 0))
VARCHAR, ENUM, UUID         string
DATE                        ``"2025-11-06"``
TIME                        ``"13:45:00.250000"``
TIMESTAMP                   ``"2025-11-06T13:45:00"`` (no offset: it has none)
TIMESTAMPTZ                 ``"2025-11-06T13:45:00+00:00"`` (always UTC)
TIMESTAMP_NS                ``"2025-11-06T13:45:00.123456789"`` (nine digits)
INTERVAL                    ``{"months": m, "days": d, "microseconds": µs}``
BLOB                        base64 string
BIT                         base64 of DuckDB's bytes (cast to VARCHAR for ``"101"``)
LIST, ARRAY                 array
STRUCT                      object
MAP                         object when every key is a string, else ``[[key, value], …]``
NULL                        ``null``
==========================  =====================================================
"""

from __future__ import annotations

import base64
import math
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

__all__ = ["arrow_to_json_body", "json_value"]


def json_value(v: Any) -> Any:
    """One Arrow/Python value as JSON-serialisable data (see the module table)."""
    if v is None or isinstance(v, bool | int | str):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, date | time):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(v)).decode("ascii")
    if isinstance(v, UUID):
        return str(v)
    if isinstance(v, timedelta):
        return {"months": 0, "days": v.days, "microseconds": v.seconds * 1_000_000 + v.microseconds}
    if isinstance(v, dict):
        return {str(k): json_value(x) for k, x in v.items()}
    if hasattr(v, "months") and hasattr(v, "nanoseconds"):  # pyarrow MonthDayNano (INTERVAL), a tuple
        return {"months": int(v.months), "days": int(v.days), "microseconds": int(v.nanoseconds) // 1000}
    if isinstance(v, list | tuple):
        # pyarrow gives a MAP as a list of (key, value) tuples; nothing else yields tuples
        if v and all(isinstance(x, tuple) and len(x) == 2 for x in v):
            return _map(v)
        return [json_value(x) for x in v]
    return str(v)


def _map(items: Any) -> Any:
    if all(isinstance(k, str) for k, _ in items):
        return {k: json_value(x) for k, x in items}
    return [[json_value(k), json_value(x)] for k, x in items]


def _iso_ns(ns: int, tz: str | None) -> str:
    """A TIMESTAMP_NS value in ISO 8601 with all nine digits (datetime stops at microseconds)."""
    secs, frac = divmod(ns, 1_000_000_000)
    whole = datetime.fromtimestamp(secs, UTC)
    text = whole.replace(tzinfo=None).isoformat() + f".{frac:09d}"
    return text + "+00:00" if tz else text


def arrow_to_json_body(table: Any) -> dict[str, Any]:
    """A query result (a ``pyarrow.Table``) as the ``format=json`` body."""
    import pyarrow as pa

    columns = []
    for i, field in enumerate(table.schema):
        col = table.column(i)
        if pa.types.is_map(field.type):
            values = [None if x is None else _map(x) for x in col.to_pylist()]
        elif pa.types.is_timestamp(field.type) and field.type.unit == "ns":
            values = [None if x is None else _iso_ns(x, field.type.tz) for x in col.cast(pa.int64()).to_pylist()]
        else:
            values = [json_value(x) for x in col.to_pylist()]
        columns.append(values)
    rows = [list(r) for r in zip(*columns, strict=True)] if columns else []
    return {"columns": table.column_names, "types": [str(f.type) for f in table.schema], "rows": rows}
