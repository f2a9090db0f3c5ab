"""Arrow schemas of the event types, and fast conversion between events and Arrow.

Every event type gets one flat table: the envelope (``event_id, type, schema_version,
ts, severity, source``), then the model's own fields in declaration order, then
``day`` (the UTC day of ``ts``, for pruning). Scalars map to Arrow scalars; anything
nested (dicts, lists, sub-models, unions of several types) is stored as JSON text so
that SQL reads it with ``->>``.

Example::

    >>> from huracan.samples import sample_events
    >>> from huracan.store.schema import arrow_schema, events_to_arrow
    >>> table = events_to_arrow(list(sample_events("signal", n=3)))
    >>> table.schema == arrow_schema("signal"), table.num_rows
    (True, 3)
"""

from __future__ import annotations

import enum
import json
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from operator import attrgetter, itemgetter
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import AwareDatetime, FutureDatetime, NaiveDatetime, PastDatetime
from pydantic_core import to_json

from huracan.events import EVENT_TYPES, Event, EventBase, parse_event, trusted_timestamps

__all__ = [
    "ENVELOPE",
    "PARTITION_COLUMNS",
    "ColumnKind",
    "arrow_schema",
    "column_kinds",
    "dicts_to_arrow",
    "event_type_of",
    "events_to_arrow",
    "group_by_type",
    "row_to_payload",
    "rows_to_events",
]

#: Envelope columns, first in every table, in this order.
ENVELOPE: tuple[str, ...] = ("event_id", "type", "schema_version", "ts", "severity", "source")
#: Columns that are the cold archive's directory names (``type=<t>/day=<d>``), not stored in its files.
PARTITION_COLUMNS: tuple[str, ...] = ("type", "day")

ColumnKind = Literal["string", "float", "int", "bool", "timestamp", "json"]

TIMESTAMP = pa.timestamp("us", tz="UTC")
_ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "float": pa.float64(),
    "int": pa.int64(),
    "bool": pa.bool_(),
    "timestamp": TIMESTAMP,
    "json": pa.string(),
}


_PYDANTIC_DATETIMES: tuple[Any, ...] = (AwareDatetime, NaiveDatetime, PastDatetime, FutureDatetime)


@dataclass(frozen=True)
class _Column:
    name: str
    kind: ColumnKind
    nullable: bool


def _classify(tp: Any) -> tuple[ColumnKind, bool]:
    """Map a field annotation to (column kind, nullable)."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _classify(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        nullable = len(args) < len(typing.get_args(tp))
        if len(args) == 1:
            kind, _ = _classify(args[0])
            return kind, nullable
        return "json", nullable  # e.g. str | float | int | bool: keep the value's own JSON type
    if origin is Literal:
        values = typing.get_args(tp)
        if all(isinstance(v, str) for v in values):
            return "string", False
        return "json", False
    if tp in _PYDANTIC_DATETIMES:  # annotation-only classes, not datetime subclasses
        return "timestamp", False
    if isinstance(tp, type):
        if issubclass(tp, enum.Enum):
            return ("string" if issubclass(tp, str) else "json"), False
        # bool before int: bool is a subclass of int.
        for py, kind in ((bool, "bool"), (str, "string"), (int, "int"), (float, "float"), (datetime, "timestamp")):
            if issubclass(tp, py):
                return typing.cast(ColumnKind, kind), False
    return "json", False  # dict, list, sub-models and anything else nested


@cache
def _columns(event_type: str) -> tuple[_Column, ...]:
    cls = _event_class(event_type)
    fields = cls.model_fields
    order = list(ENVELOPE) + [n for n in fields if n not in ENVELOPE]
    cols = []
    for name in order:
        kind, nullable = _classify(fields[name].annotation)
        cols.append(_Column(name, kind, nullable))
    return tuple(cols)


def _event_class(event_type: str) -> type[EventBase]:
    try:
        return EVENT_TYPES[event_type]
    except KeyError:
        raise ValueError(f"unknown event type {event_type!r}; known types: {', '.join(sorted(EVENT_TYPES))}") from None


def column_kinds(event_type: str) -> dict[str, ColumnKind]:
    """``{column: kind}`` for every model column of ``event_type`` (without ``day``)."""
    return {c.name: c.kind for c in _columns(event_type)}


@cache
def arrow_schema(event_type: str) -> pa.Schema:
    """The Arrow schema of ``event_type``'s table: envelope, fields, then ``day`` (date32).

    ``schema_version`` is int32 (SQL ``INTEGER``); optional fields are nullable.
    """
    fields = []
    for c in _columns(event_type):
        typ = pa.int32() if c.name == "schema_version" else _ARROW_TYPES[c.kind]
        fields.append(pa.field(c.name, typ, nullable=c.nullable or c.kind == "json"))
    fields.append(pa.field("day", pa.date32(), nullable=False))
    return pa.schema(fields)


def event_type_of(events: Sequence[EventBase]) -> str:
    """The one type all ``events`` share; raise ``ValueError`` naming a stray one."""
    if not events:
        raise ValueError("no events given: cannot tell the event type of an empty batch")
    first = events[0].type
    if all(e.type == first for e in events):
        return first
    for i, e in enumerate(events):
        if e.type != first:
            raise ValueError(
                f"events_to_arrow takes events of one type; event {i} ({e.event_id}) is {e.type!r}, "
                f"the first is {first!r} (group them with huracan.store.schema.group_by_type)"
            )
    raise AssertionError("unreachable")


def events_to_arrow(events: Sequence[EventBase], event_type: str | None = None) -> pa.Table:
    """Build the Arrow table of ``events`` (all of one type), sorted by ``ts``.

    Reads each model's attribute dict once (no ``model_dump``): this is on the ingest hot
    path. Nested values become JSON text through pydantic-core's serializer (~5x faster
    than ``json.dumps``; handles sub-models); ``None`` in a JSON column is the text
    ``null``, so SQL NULL keeps meaning "column absent in this row's schema version".
    ``event_type`` is required only for an empty sequence.
    """
    etype = event_type or event_type_of(events)
    return dicts_to_arrow(list(map(_DICT, events)), etype)


def dicts_to_arrow(rows: Sequence[Mapping[str, Any]], event_type: str) -> pa.Table:
    """Build ``event_type``'s Arrow table from validated field dicts (sorted by ``ts``).

    Each mapping must hold every field of the type with validated values (a model's
    ``__dict__``, or what a typed-dict validator of the model's fields returns); this is
    the conversion :func:`events_to_arrow` uses, exposed for ingest paths that validate
    JSON straight into dicts.
    """
    plan = _plan(event_type)
    # One C-level pass per row (itemgetter) and one transpose (zip): each row's dict is
    # touched once, instead of once per column.
    columns: list[tuple[Any, ...]] = list(zip(*map(plan.getter, rows), strict=True)) if rows else []
    arrays: list[pa.Array] = []
    for i, (kind, typ) in enumerate(plan.columns):
        values: Sequence[Any] = columns[i] if rows else ()
        if kind == "json":
            # bytes then one vectorised UTF-8 check, rather than a .decode() per value
            arrays.append(pa.array(list(map(to_json, values)), type=pa.binary()).cast(pa.string()))
        elif kind == "timestamp":
            arrays.append(_timestamps(values, typ))
        else:
            arrays.append(pa.array(values, type=typ))
    ts = arrays[plan.ts_index]
    arrays.append(pc.cast(ts, pa.date32()))
    table = pa.Table.from_arrays(arrays, schema=arrow_schema(event_type))
    # Time-ordered inserts keep DuckDB's per-row-group min/max tight on ts and day,
    # which is what lets a day filter skip most of the table.
    if table.num_rows > 1 and not _is_sorted(ts):
        table = table.sort_by("ts")
    return table


_DICT = attrgetter("__dict__")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)


def _timestamps(values: Sequence[Any], typ: pa.DataType) -> pa.Array:
    """Datetimes (or None) to ``timestamp[us, UTC]``.

    Integer microseconds since the epoch by C-level datetime arithmetic are ~2x cheaper
    than pyarrow's per-value conversion of aware datetimes, and exact (no float). Naive
    datetimes cannot be subtracted from an aware epoch: anything unusual takes pyarrow's
    own conversion, so the result is always what ``pa.array(values, type)`` gives.
    """
    try:
        micros = [(v - _EPOCH) // _ONE_US for v in values]
    except TypeError:  # None (an optional timestamp) or a naive datetime
        return pa.array(values, type=typ)
    return pa.array(micros, type=pa.int64()).view(typ)


@dataclass(frozen=True)
class _Plan:
    names: tuple[str, ...]
    getter: Callable[[Mapping[str, Any]], tuple[Any, ...]]
    columns: tuple[tuple[ColumnKind, pa.DataType], ...]
    ts_index: int


@cache
def _plan(event_type: str) -> _Plan:
    schema = arrow_schema(event_type)
    cols = _columns(event_type)
    names = tuple(c.name for c in cols)
    return _Plan(
        names=names,
        getter=itemgetter(*names),  # more than one name: always returns a tuple
        columns=tuple((c.kind, schema.field(c.name).type) for c in cols),
        ts_index=names.index("ts"),
    )


def _is_sorted(arr: pa.Array) -> bool:
    if len(arr) < 2:
        return True
    return bool(pc.all(pc.greater_equal(arr[1:], arr[:-1])).as_py())


def group_by_type(events: Iterable[EventBase]) -> dict[str, list[EventBase]]:
    """``{type: [events]}`` keeping each type's arrival order."""
    groups: dict[str, list[EventBase]] = {}
    for e in events:
        groups.setdefault(e.type, []).append(e)
    return groups


def row_to_payload(row: dict[str, Any], event_type: str) -> dict[str, Any]:
    """Turn one stored row back into an event payload for :func:`parse_event`.

    JSON columns are decoded; NULL columns are dropped, so a field an old schema
    version lacked takes its default or is filled by the upgrade. (A stored ``None``
    in a scalar column is an optional field at its default ``None``; in a JSON column
    it is the text ``null``.)
    """
    kinds = column_kinds(event_type)
    out: dict[str, Any] = {}
    for name, value in row.items():
        if value is None or name == "day":
            continue
        if kinds.get(name) == "json" and isinstance(value, str):
            value = json.loads(value)
        out[name] = value
    out["type"] = event_type
    return out


def rows_to_events(table: pa.Table | pa.RecordBatch, event_type: str) -> Iterator[Event]:
    """Yield event objects from stored rows of ``event_type``, upgraded to the current version."""
    for row in table.to_pylist():
        with trusted_timestamps():  # accepted when written: not re-judged against today's clock
            event = parse_event(row_to_payload(row, event_type))
        yield event
