"""Parsing an ingest request body: a JSON array or NDJSON, one event per element/line.

:func:`parse_columns` (the daemon's path) validates the whole batch in pydantic-core at
once straight into Arrow tables (:mod:`huracan.daemon.ingest_fast`); only when that
fails does it fall back to line-by-line parsing, so valid lines are kept and every
invalid line is reported with its number and field errors. :func:`parse_batch` is the
same into event objects.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import TypeAdapter, ValidationError

from huracan.daemon.ingest_fast import validate_to_arrow
from huracan.events import Event, EventBase, format_validation_error, parse_event
from huracan.store.schema import events_to_arrow, group_by_type, rows_to_events

__all__ = ["IngestBatch", "parse_batch", "parse_columns"]

_LIST: TypeAdapter[list[Event]] = TypeAdapter(list[Event])


def _lines(body: bytes, content_type: str) -> tuple[list[bytes], bool]:
    """Split the body into per-event chunks; returns (chunks, was_array)."""
    stripped = body.lstrip()
    if not stripped:
        return [], False
    if stripped[:1] == b"[" and "ndjson" not in content_type:
        return [], True
    return body.splitlines(), False


def parse_batch(body: bytes, content_type: str = "") -> tuple[list[EventBase], list[dict[str, Any]]]:
    """Parse an ingest body into (valid events, errors).

    Each error is ``{"line": N, "errors": ["field.path: message", ...]}`` where N is the
    1-based line (NDJSON) or array position (JSON array).

    >>> events, errors = parse_batch(b'{"type": "nope"}\\n', "application/x-ndjson")
    >>> (len(events), errors[0]["line"])
    (0, 1)
    """
    lines, is_array = _lines(body, content_type)
    if is_array:
        try:
            return list(_LIST.validate_json(body)), []  # type: ignore[arg-type]
        except ValidationError:
            pass
        try:
            items = json.loads(body)
        except json.JSONDecodeError as exc:
            raise ValueError(f"body is not valid JSON: {exc}") from None
        if not isinstance(items, list):
            raise ValueError("a JSON body must be an array of events")
        return _one_by_one((i, item) for i, item in enumerate(items, 1))

    numbered = [(i, ln) for i, ln in enumerate(lines, 1) if ln.strip()]
    if not numbered:
        return [], []
    try:
        joined = b"[" + b",".join(ln for _, ln in numbered) + b"]"
        events = list(_LIST.validate_json(joined))
    except ValidationError:
        return _one_by_one(numbered)
    if len(events) != len(numbered):  # a line holding two values ("{...}, {...}") is one bad line
        return _one_by_one(numbered)
    return events, []  # type: ignore[return-value]


@dataclass
class IngestBatch:
    """A parsed ingest body: valid events as ``{type: Arrow table}``, and the rejected lines."""

    tables: dict[str, pa.Table]
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return sum(t.num_rows for t in self.tables.values())

    def events(self, types: frozenset[str] | set[str] | None = None) -> Iterator[EventBase]:
        """The accepted events (of ``types`` only, when given) as objects, e.g. for the live feed."""
        for etype, table in self.tables.items():
            if types is None or etype in types:
                yield from rows_to_events(table, etype)

    def only_ids_not_in(self, seen: dict[str, set[str]]) -> IngestBatch:
        """This batch without the events whose ids ``seen[type]`` holds (replay de-dup)."""
        kept = {}
        for etype, table in self.tables.items():
            ids = seen.get(etype)
            if ids:
                mask = pc.invert(pc.is_in(table.column("event_id"), value_set=pa.array(sorted(ids), pa.string())))
                table = table.filter(mask)
            kept[etype] = table
        return IngestBatch(kept, self.errors)


def parse_columns(body: bytes, content_type: str = "") -> IngestBatch:
    """Parse an ingest body into Arrow tables per event type, and per-line errors.

    Accepts exactly what :func:`parse_batch` accepts, with the same values and errors.

    >>> batch = parse_columns(b'{"type": "nope"}\\n', "application/x-ndjson")
    >>> (batch.accepted, batch.errors[0]["line"])
    (0, 1)
    """
    lines, is_array = _lines(body, content_type)
    if is_array:
        # The element count is unknown without parsing; the list validator returns what it holds.
        tables = validate_to_arrow(body, None)
    else:
        numbered = [ln for ln in lines if ln.strip()]
        if not numbered:
            return IngestBatch({})
        tables = validate_to_arrow(b"[" + b",".join(numbered) + b"]", len(numbered))
    if tables is not None:
        return IngestBatch(tables)
    events, errors = parse_batch(body, content_type)
    return IngestBatch({t: events_to_arrow(g, t) for t, g in group_by_type(events).items()}, errors)


def _one_by_one(items: Any) -> tuple[list[EventBase], list[dict[str, Any]]]:
    events: list[EventBase] = []
    errors: list[dict[str, Any]] = []
    for lineno, item in items:
        try:
            data = json.loads(item) if isinstance(item, bytes | str) else item
            if not isinstance(data, dict):
                raise ValueError("each event must be a JSON object")
            events.append(parse_event(data))  # type: ignore[arg-type]
        except ValidationError as exc:
            errors.append({"line": lineno, "errors": format_validation_error(exc)})
        except ValueError as exc:
            errors.append({"line": lineno, "errors": [f"(line): {exc}"]})
    return events, errors
